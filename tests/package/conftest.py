"""Fixtures for the release and diff tests (helpers live in helpers.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.package.helpers import CountingBuilder, write_package


@pytest.fixture
def package_dir(tmp_path: Path) -> Path:
    root = tmp_path / "pkg"
    write_package(root)
    return root


@pytest.fixture
def builder() -> CountingBuilder:
    return CountingBuilder()


@pytest.fixture
def make_pkg(tmp_path: Path) -> Callable[..., Path]:
    """Factory: make_pkg("old", descriptor=..., tables=...) -> package folder."""

    def make(label: str, **kwargs: Any) -> Path:
        root = tmp_path / label
        write_package(root, **kwargs)
        return root

    return make
