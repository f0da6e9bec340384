"""Validation of the data package: ``validate_package(descriptor) -> Report``.

Descriptor and files (frictionless metadata checks, path safety, bytes/hash), every row in
DuckDB SQL generated from the Table Schemas (same findings as ``frictionless validate``),
byte-level checks frictionless misses, and hand-written pandera rules (schemas/rules.py).

The names below load their module on first use, so that a process needing one submodule
(the descriptor check's child process) does not import them all.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .engine import validate_package
    from .findings import CODES, FATAL_CODES, Finding
    from .formats import FORMATS, render
    from .report import Report
    from .sqlchecks import read_csv_sql, typed_select_sql

_MODULES = {
    "CODES": "findings",
    "FATAL_CODES": "findings",
    "FORMATS": "formats",
    "Finding": "findings",
    "Report": "report",
    "read_csv_sql": "sqlchecks",
    "render": "formats",
    "typed_select_sql": "sqlchecks",
    "validate_package": "engine",
}

__all__ = [
    "CODES",
    "FATAL_CODES",
    "FORMATS",
    "Finding",
    "Report",
    "read_csv_sql",
    "render",
    "typed_select_sql",
    "validate_package",
]


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_MODULES[name]}", __name__), name)
