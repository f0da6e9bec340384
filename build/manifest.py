"""``<out>/build.json``: what the outputs were built from, to skip rebuilds that change nothing."""

from __future__ import annotations

import json
import platform
import sqlite3
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import duckdb
import pyarrow
from semicon.build.atomic import write_text_atomic
from semicon.build.package import Package
from semicon.schemas.package import sha256_hex

MANIFEST_NAME = "build.json"
FORMAT = 2  # bump when the build's outputs change for the same input (2: ADBC SQLite)


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


def _sqlite_writer_version() -> str:
    """SQLite of the ADBC driver (it writes the file), else Python's."""
    try:
        from semicon.build.sqlite_db import sqlite_version
    except ImportError:
        return sqlite3.sqlite_version
    return sqlite_version()


def tool_versions() -> dict[str, str]:
    return {
        "semicon-nl": _version("semicon-nl"),
        "build-format": str(FORMAT),
        "duckdb": duckdb.__version__,
        "sqlite": _sqlite_writer_version(),
        "adbc-driver-sqlite": _version("adbc-driver-sqlite"),
        "pyarrow": pyarrow.__version__,
        "python": platform.python_version(),
    }


def input_hashes(package: Package) -> dict[str, Any]:
    """sha256 of the descriptor, of every resource file and of the schema and dialect files
    the descriptor names, plus the tool versions."""
    files = {}
    for r in package.resources:
        named = [p for p in (r.raw.get("schema"), r.raw.get("dialect")) if isinstance(p, str)]
        for rel in [*r.paths, *named]:
            p = package.base_dir / rel
            if p.is_file():
                files[rel] = sha256_hex(p)
    return {
        "descriptor": sha256_hex(package.path),
        "resources": files,
        "tools": tool_versions(),
    }


def output_stats(out_dir: Path, paths: list[Path]) -> dict[str, dict[str, int]]:
    stats = {}
    for p in paths:
        st = p.stat()
        stats[p.relative_to(out_dir).as_posix()] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
    return stats


def read_manifest(out_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def up_to_date(out_dir: Path, inputs: dict[str, Any]) -> dict[str, Any] | None:
    """The stored manifest when inputs match and every output is unchanged since; else None."""
    manifest = read_manifest(out_dir)
    if not manifest or manifest.get("inputs") != inputs:
        return None
    outputs = manifest.get("outputs") or {}
    if not outputs:
        return None
    for rel, want in outputs.items():
        p = out_dir / rel
        try:
            st = p.stat()
        except OSError:
            return None
        if st.st_size != want.get("size") or st.st_mtime_ns != want.get("mtime_ns"):
            return None
    return manifest


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    write_text_atomic(out_dir / MANIFEST_NAME, text)


def remove_manifest(out_dir: Path) -> None:
    (out_dir / MANIFEST_NAME).unlink(missing_ok=True)
