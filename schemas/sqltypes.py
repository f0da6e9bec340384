"""Map Table Schema field types to DuckDB and SQLite column types."""

from __future__ import annotations

from typing import Any

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


def field_type(field: dict[str, Any]) -> str:
    """The Table Schema type of a field (``string`` when none is declared)."""
    return field.get("type", "string")


def duckdb_type(field: dict[str, Any]) -> str:
    """The DuckDB type a Table Schema field's cells are typed as (``list``: a list of its
    ``itemType``)."""
    ftype = field_type(field)
    if ftype == "list":
        item = field.get("itemType", "string")
        return f"{DUCKDB_TYPES.get(item, 'VARCHAR')}[]"
    return DUCKDB_TYPES[ftype]


def sqlite_type(field: dict[str, Any]) -> str:
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
