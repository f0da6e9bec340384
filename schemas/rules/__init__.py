"""Declared rules: what a package says about its data beyond its Table Schemas.

A package declares rules under ``semicon.rules`` (docs/declarations.md): ranges in order,
parts adding up to their parent, counts matching rows, quotes found in their source
documents, values backed by their quote, SQL conditions, and pandera checks in Python.
:func:`load_declarations` parses them (bad ones become ``declaration-error`` findings),
:func:`run_rules` runs them over the loaded tables. No rule names a dataset's tables.
"""

from __future__ import annotations

import contextlib
import threading

from semicon.schemas.model import Package

from .base import Rule, normalise_ws
from .declared import Declarations, declarations_schema, load_declarations
from .pyrule import Python
from .runner import DEFAULT_TIME_LIMIT, RuleContext, run_rules

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "Declarations",
    "Rule",
    "RuleContext",
    "declarations_schema",
    "fields_read",
    "load_declarations",
    "normalise_ws",
    "preload",
    "run_rules",
    "uses_pandera",
]


def fields_read(package: Package) -> dict[str, set[str]]:
    """Per resource, the fields the declared rules read: their cells are kept for every row;
    everything else is checked row by row and kept only on rows with a finding."""
    return load_declarations(package).reads


def uses_pandera(declarations: Declarations, allow_python: bool = False) -> bool:
    """Whether a rule will build pandera checks: only ``python`` rules do, when allowed
    (every other kind is plain SQL)."""
    return allow_python and any(isinstance(r, Python) for r in declarations.rules)


def preload(declarations: Declarations, allow_python: bool = False) -> None:
    """Import pandera and polars in a thread when a rule will need them (:func:`uses_pandera`).

    The import takes about 0.6 s; started before the files are loaded, most of it runs
    while DuckDB works (with the GIL released) instead of after it.
    """
    if not uses_pandera(declarations, allow_python):
        return

    def load() -> None:
        with contextlib.suppress(Exception):  # the rule's own import reports any failure
            import pandera.polars  # noqa: F401
            import polars  # noqa: F401

    threading.Thread(target=load, daemon=True).start()
