"""Tables too wide for SQLite, stored in long form: one row per cell.

SQLite refuses a table of more columns than its ``SQLITE_LIMIT_COLUMN`` (2,000 in Python's
``sqlite3`` and in the ADBC driver's SQLite), and Datasette selects ``rowid`` beside a
table's columns, so a table of that many columns or more cannot be served as it is. Such a
table is written to the SQLite file as the long ("tidy", "entity-attribute-value") form
that Datasette browses and facets like any table::

    row | <primary key fields> | position | field | value

``row`` is the record's number in the source (1 for the first data row), the primary-key
fields repeat the record's key on each of its cells, ``position`` is the column's place in
the Table Schema (1 for the first), ``field`` its name and ``value`` the cell, stored with
the storage class of the typed column (INTEGER, REAL or TEXT; NULL for an empty cell): the
column ``value`` is declared without a type, so SQLite keeps each value's class. The primary
key is ``(row, position)``; ``(field, value)`` is indexed for facets and filters, and the
site's copy gets a full-text index of the searched columns' cells (:func:`search_sql`). The
DuckDB file and the Parquet file keep the table wide.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
from semicon.build.column_groups import column_groups
from semicon.schemas.sqltypes import quote_ident, sql_string

q = quote_ident


@functools.cache
def column_limit() -> int:
    """SQLite's limit on the columns of a table or result, as Python's ``sqlite3`` (which
    Datasette reads with) reports it."""
    con = sqlite3.connect(":memory:")
    try:
        return int(con.getlimit(sqlite3.SQLITE_LIMIT_COLUMN))
    finally:
        con.close()


@dataclass(frozen=True)
class LongTable:
    """The column names of a table's long form (renamed away from its key fields)."""

    row: str
    keys: tuple[str, ...]
    position: str
    field: str
    value: str

    @property
    def columns(self) -> list[str]:
        return [self.row, *self.keys, self.position, self.field, self.value]


def _free(name: str, taken: set[str]) -> str:
    while name.lower() in taken:
        name = "_" + name
    return name


def long_table(field_names: Sequence[str], primary_key: Sequence[str]) -> LongTable | None:
    """The long form of a table of these fields, or None when SQLite can hold it wide
    (fewer columns than its limit, one left for Datasette's ``rowid``)."""
    if len(field_names) < column_limit():
        return None
    taken = {k.lower() for k in primary_key}
    row, position, field, value = (_free(n, taken) for n in ("row", "position", "field",
                                                              "value"))
    return LongTable(row, tuple(primary_key), position, field, value)


def column_descriptions(form: LongTable, keys: dict[str, str]) -> dict[str, str]:
    """Datasette's column descriptions of a long table (``keys``: the key fields' own)."""
    return {
        form.row: "Number of the record in the source file (1 for the first data row)",
        **{k: keys.get(k) or f"The record's {k} (its primary key)" for k in form.keys},
        form.position: "Place of the column in the table (1 for the first); "
                       "see _data_dictionary",
        form.field: "Name of the column",
        form.value: "The cell's value (empty when the cell is missing)",
    }


def create_sql(table: str, form: LongTable, key_affinity: dict[str, str]) -> list[str]:
    """``CREATE TABLE`` and ``CREATE INDEX`` statements of the long table."""
    cols = [f"{q(form.row)} INTEGER NOT NULL"]
    cols += [f"{q(k)} {key_affinity.get(k, 'TEXT')} NOT NULL" for k in form.keys]
    cols += [f"{q(form.position)} INTEGER NOT NULL", f"{q(form.field)} TEXT NOT NULL",
             q(form.value), f"PRIMARY KEY ({q(form.row)}, {q(form.position)})"]
    return [
        f"CREATE TABLE {q(table)} (\n  " + ",\n  ".join(cols) + "\n)",
        f"CREATE INDEX {q(f'idx_{table}_{form.field}_{form.value}')} ON {q(table)} "
        f"({q(form.field)}, {q(form.value)})",
    ]


def search_sql(table: str, fts: str, form: LongTable, field_names: Sequence[str],
               searched: Sequence[str]) -> list[str]:
    """FTS5 over the long table's ``field`` and ``value`` holding the cells of the wide
    table's ``searched`` fields (external content: Datasette reads the rows from ``table``).

    A wide table's full-text index covers its search columns; here those are cells, so the
    index gets a row per non-empty cell of a searched field (its column name and value),
    put in by ``rowid`` instead of a ``'rebuild'`` (which would index every cell: numbers,
    dates, keys). A query matches a cell; Datasette lists that cell's row, which names its
    record (``row`` and the key).
    """
    wanted = set(searched)
    positions = ", ".join(str(i + 1) for i, n in enumerate(field_names) if n in wanted)
    if not positions:
        return []
    cols = f"{q(form.field)}, {q(form.value)}"
    return [
        f"CREATE VIRTUAL TABLE {q(fts)} USING FTS5 ({cols}, content={q(table)})",
        f"INSERT INTO {q(fts)} (rowid, {cols}) SELECT rowid, {cols} FROM {q(table)} "
        f"WHERE {q(form.position)} IN ({positions}) AND {q(form.value)} IS NOT NULL "
        "ORDER BY rowid",
    ]


def cell_groups(names: Sequence[str], stored: dict[str, str]) -> list[list[int]]:
    """Field positions (0-based) in groups of one stored type (so one export type), each
    of at most ``GROUP_COLUMNS``: the cells of a group go in one list."""
    by_type: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        by_type.setdefault(stored[n], []).append(i)
    return [g for positions in by_type.values() for g in column_groups(positions)]


def cells_sql(source: str, names: Sequence[str], exprs: Sequence[str], group: list[int],
              form: LongTable | None = None, key_exprs: Sequence[str] = ()) -> str:
    """One row per cell of the fields at ``group`` in ``source`` (a DuckDB relation whose
    ``rowid`` is the record order): row, the keys (``key_exprs``), position, field, value.
    Without ``form`` the columns are named ``__row, __pos, __v``."""
    row, position, field, value = ((form.row, form.position, form.field, form.value) if form
                                   else ("__row", "__pos", "__field", "__v"))
    keys = [f"{e} AS {q(k)}" for e, k in zip(key_exprs, form.keys if form else (),
                                             strict=True)]
    positions = "[" + ", ".join(str(i + 1) for i in group) + "]"
    fields = "[" + ", ".join(sql_string(names[i]) for i in group) + "]"
    values = "[" + ", ".join(exprs[i] for i in group) + "]"
    return (f"SELECT CAST(rowid + 1 AS BIGINT) AS {q(row)}, "
            f"{''.join(k + ', ' for k in keys)}"
            f"unnest(CAST({positions} AS BIGINT[])) AS {q(position)}, "
            f"unnest({fields}) AS {q(field)}, unnest({values}) AS {q(value)} FROM {source}")


def copy_long(ddb: duckdb.DuckDBPyConnection, ingest: Callable[[str, Any], int], table: str,
              form: LongTable, names: Sequence[str], exprs: Sequence[str],
              stored: dict[str, str], source: str, reader: Callable[[str], Any]) -> int:
    """Write every cell of ``source`` into the long table; returns the cells written."""
    by_name = dict(zip(names, exprs, strict=True))
    keys = [by_name[k] for k in form.keys]
    written = 0
    for group in cell_groups(names, stored):
        written += ingest(table, reader(cells_sql(source, names, exprs, group, form, keys)))
    return written
