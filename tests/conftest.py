"""Fixtures shared by every test folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "datapackage"
LETTER = BUNDLED / "sources" / "voortgangsbrief-halfgeleiderindustrie-2025.txt"


@pytest.fixture
def bundled_copy(tmp_path: Path) -> Path:
    """A copy of the bundled data package that a test may change; returns its descriptor."""
    target = tmp_path / "datapackage"
    shutil.copytree(BUNDLED, target)
    return target / "datapackage.json"
