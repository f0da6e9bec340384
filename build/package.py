"""The package as the build reads it: the package model, checked for what a build needs."""

from __future__ import annotations

import re
from pathlib import Path

from semicon.schemas.errors import UnusableInput
from semicon.schemas.model import ForeignKey, Package, Resource, as_package

__all__ = ["ForeignKey", "Package", "Resource", "load_package"]

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def load_package(descriptor_path: str | Path | Package) -> Package:
    """The package at ``descriptor_path``; :class:`UnusableInput` when it cannot be built.

    Its tables (:attr:`Package.load_order`) are what the build writes; files that are not
    tables (source documents) are left alone.
    """
    package = as_package(descriptor_path)
    tables = package.tables
    if not tables:
        raise UnusableInput(f"{package.path}: the package has no table to build")
    for r in tables:
        if not _NAME_RE.match(r.name):
            raise UnusableInput(f"resource name {r.name!r} is not usable as a table name")
    reason = _name_clash([r.name for r in tables])
    if reason:
        raise UnusableInput(f"{package.path}: {reason}")
    return package


#: tables every build writes beside the package's own
BUILD_TABLES = frozenset({"_build", "_data_dictionary"})


def _name_clash(names: list[str]) -> str | None:
    """Why two tables of these names cannot sit in one database, if they cannot: SQL
    table names ignore case, the build writes tables of its own, SQLite reserves
    ``sqlite_``, and a table's full-text index is ``<table>_fts`` (with its own tables
    ``<table>_fts_*``)."""
    seen: dict[str, str] = {}
    for name in names:
        low = name.lower()
        if low in seen:
            return (f'resources "{seen[low]}" and "{name}" differ only in case, and SQL '
                    "table names ignore case")
        seen[low] = name
        if low in BUILD_TABLES or low.startswith("sqlite_"):
            return f'resource name "{name}" is the name of a table the build writes itself'
    for low, name in seen.items():
        for other_low, other in seen.items():
            if low == f"{other_low}_fts" or low.startswith(f"{other_low}_fts_"):
                return (f'resource name "{name}" is the name of the full-text index of '
                        f'resource "{other}"')
    return None


def unbuildable_reason(r: Resource) -> str | None:
    """Why the build cannot load table ``r`` (None when it can)."""
    if not r.inline and not r.paths:
        return f'resource "{r.name}" has neither "path" nor "data"'
    if r.schema is None or not r.fields:
        return f'resource "{r.name}" has no Table Schema fields'
    return None
