"""Validation of the data package: ``validate_package(descriptor) -> Report``.

Descriptor and files (frictionless metadata checks, path safety, bytes/hash), every row in
DuckDB SQL generated from the Table Schemas (same findings as ``frictionless validate``),
byte-level checks frictionless misses, and hand-written pandera rules (schemas/rules.py).
"""

from .engine import validate_package
from .findings import CODES, FATAL_CODES, Finding
from .formats import FORMATS, render
from .report import Report
from .sqlchecks import read_csv_sql, typed_select_sql

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
