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


@pytest.fixture(scope="session")
def bundled_release(tmp_path_factory) -> tuple[Path, Path]:
    """The bundled package released by a fresh real build: (unzipped folder, zip)."""
    import zipfile

    from semicon.build.release import make_release

    root = tmp_path_factory.mktemp("bundled-release")
    package = Path(__file__).resolve().parents[2] / "datapackage"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        zip_path = make_release(package, root / "dist").zip_path
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(root / "unzipped")
        (folder,) = {n.split("/", 1)[0] for n in zf.namelist()}
    return root / "unzipped" / folder, zip_path
