"""Map Table Schema field types to DuckDB and SQLite column types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import Field, as_field

#: the type a field's cells are typed as (validation, and the build before it narrows
#: them to what the data holds: see ``build/duckdb_db.py`` storage_types)
DUCKDB_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "integer": "HUGEINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMPTZ",
    "year": "INTEGER",
    "any": "VARCHAR",
}

SQLITE_TYPES: dict[str, str] = {
    "string": "TEXT",
    "integer": "INTEGER",
    "number": "REAL",
    "boolean": "INTEGER",
    "date": "TEXT",
    "datetime": "TEXT",
    "year": "INTEGER",
    "any": "TEXT",
}


def field_type(field: Field | Mapping[str, Any]) -> str:
    """The Table Schema type of a field (``string`` when none is declared)."""
    return as_field(field).type


def duckdb_type(field: Field | Mapping[str, Any]) -> str:
    """The DuckDB type a Table Schema field's cells are typed as (``list``: a list of its
    ``itemType``)."""
    fld = as_field(field)
    if fld.type == "list":
        return f"{DUCKDB_TYPES.get(fld.item_type, 'VARCHAR')}[]"
    return DUCKDB_TYPES[fld.type]


def sqlite_type(field: Field | Mapping[str, Any]) -> str:
    """The SQLite column type for a Table Schema field."""
    return SQLITE_TYPES[field_type(field)]


def quote_ident(name: str) -> str:
    """Quote an SQL identifier for DuckDB or SQLite."""
    return '"' + name.replace('"', '""') + '"'


# Table Schema types without a native counterpart in both engines are stored as text
# (ISO strings or JSON), so the DuckDB file stays readable by DuckDB 1.1 without extensions.
DUCKDB_TYPES.update(
    {
        "time": "TIMETZ",
        "yearmonth": "VARCHAR",
        "list": "VARCHAR[]",
        "duration": "VARCHAR",
        "object": "VARCHAR",
        "array": "VARCHAR",
        "geopoint": "VARCHAR",
        "geojson": "VARCHAR",
    }
)
SQLITE_TYPES.update(
    {
        "time": "TEXT",
        "yearmonth": "TEXT",
        "list": "TEXT",
        "duration": "TEXT",
        "object": "TEXT",
        "array": "TEXT",
        "geopoint": "TEXT",
        "geojson": "TEXT",
    }
)


def sql_string(value: Any) -> str:
    """An SQL string literal (single quotes doubled) for DuckDB or SQLite."""
    return "'" + str(value).replace("'", "''") + "'"
