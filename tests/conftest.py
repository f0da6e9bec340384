"""Fixtures shared by every test folder."""

from __future__ import annotations

import shutil
from pathlib import Path

# imported once here, frictionless lets validate_package check descriptors in this process
# instead of starting a child process for every test
import frictionless  # noqa: F401
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
