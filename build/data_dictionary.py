"""The ``_data_dictionary`` table: one row per column of every table, from the Table Schemas."""

from __future__ import annotations

import json
from typing import Any

from semicon.build.datasette_metadata import foreign_keys, table_resources
from semicon.schemas.model import Field, Package

TABLE_NAME = "_data_dictionary"
COLUMNS = ["table", "column", "type", "required", "constraints", "unit", "description"]
# Column types for SQLite/DuckDB: everything is text except ``required``.
COLUMN_TYPES = {c: ("INTEGER" if c == "required" else "TEXT") for c in COLUMNS}


def _constraints(field: Field, pk: list[str], fks: dict[str, str]) -> str:
    parts = []
    if field.name in pk:
        parts.append("primary key")
    if field.name in fks:
        parts.append(f"references {fks[field.name]}")
    for key, value in field.constraints.items():
        if key == "required":
            continue
        if key == "enum":
            parts.append("one of: " + ", ".join(str(v) for v in value))
        else:
            parts.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    if field.format and field.format != "default":
        parts.append(f"format: {field.format}")
    return "; ".join(parts)


def data_dictionary_rows(package: Package) -> list[dict[str, Any]]:
    """Rows of ``_data_dictionary`` (keys = ``COLUMNS``), in descriptor and field order."""
    rows = []
    for resource in table_resources(package):
        pk = resource.primary_key
        fks = {c: f"{o}.{oc}" for c, o, oc in foreign_keys(resource)}
        for field in resource.fields:
            rows.append(
                {
                    "table": resource.name,
                    "column": field.name,
                    "type": field.type,
                    "required": int(field.required or field.name in pk),
                    "constraints": _constraints(field, pk, fks),
                    "unit": field.unit or "",
                    "description": field.description or field.title or "",
                }
            )
    return rows
