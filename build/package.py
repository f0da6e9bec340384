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
    return package


def unbuildable_reason(r: Resource) -> str | None:
    """Why the build cannot load table ``r`` (None when it can)."""
    if not r.inline and not r.paths:
        return f'resource "{r.name}" has neither "path" nor "data"'
    if r.schema is None or not r.fields:
        return f'resource "{r.name}" has no Table Schema fields'
    return None
