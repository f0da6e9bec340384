"""The ``_data_dictionary`` table: one row per column of every table, from the Table Schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from semicon.build.datasette_metadata import foreign_keys, primary_key, table_resources

TABLE_NAME = "_data_dictionary"
COLUMNS = ["table", "column", "type", "required", "constraints", "unit", "description"]
# Column types for SQLite/DuckDB: everything is text except ``required``.
COLUMN_TYPES = {c: ("INTEGER" if c == "required" else "TEXT") for c in COLUMNS}


def _constraints(field: dict[str, Any], pk: list[str], fks: dict[str, str]) -> str:
    parts = []
    if field["name"] in pk:
        parts.append("primary key")
    if field["name"] in fks:
        parts.append(f"references {fks[field['name']]}")
    for key, value in (field.get("constraints") or {}).items():
        if key == "required":
            continue
        if key == "enum":
            parts.append("one of: " + ", ".join(str(v) for v in value))
        else:
            parts.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    if field.get("format") and field["format"] != "default":
        parts.append(f"format: {field['format']}")
    return "; ".join(parts)


def data_dictionary_rows(
    descriptor: dict[str, Any], package_dir: Path | None = None
) -> list[dict[str, Any]]:
    """Rows of ``_data_dictionary`` (keys = ``COLUMNS``), in descriptor and field order."""
    rows = []
    for table, _, schema in table_resources(descriptor, package_dir):
        pk = primary_key(schema)
        fks = {c: f"{o}.{oc}" for c, o, oc in foreign_keys(schema, table)}
        for field in schema["fields"]:
            c = field.get("constraints") or {}
            rows.append(
                {
                    "table": table,
                    "column": field["name"],
                    "type": field.get("type", "string"),
                    "required": int(bool(c.get("required")) or field["name"] in pk),
                    "constraints": _constraints(field, pk, fks),
                    "unit": field.get("unit") or field.get("x-unit") or "",
                    "description": field.get("description") or field.get("title") or "",
                }
            )
    return rows
