"""Type a wide table (``column_groups.is_wide``): one expression per kind of field.

The cells come as an Arrow table of text columns. Fields checked alike (same type,
format, missing values, stored type) form a kind; each kind, in groups of at most
``GROUP_COLUMNS`` columns, is typed by one statement that puts the group's cells of a
row in a list and types them with one lambda (``list_transform``): DuckDB plans the
typing expression once per group instead of once per column. The typed lists come back as
Arrow, where the columns are taken out of them. Storage types are measured the same way (the
cells unnested, aggregated per position). The typed groups, fetched as Arrow, are put
side by side in schema order and stored with one ``CREATE TABLE ... AS SELECT *``.

Arrow carries every stored type but ``TIME WITH TIME ZONE``: such columns travel as text
and are cast back in the last statement.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from semicon.build.column_groups import column_groups
from semicon.build.duckdb_db import storage_aggregates, storage_type
from semicon.build.package import Resource
from semicon.build.parquet_files import ARROW_LOSSY
from semicon.schemas.model import Field
from semicon.schemas.sqltypes import quote_ident
from semicon.schemas.validation.sqlchecks import typed_column_expr

q = quote_ident
TEXT_VIEW = "__semicon_wide_text"
TYPED_VIEW = "__semicon_wide_typed"
_DESCRIPTIVE = ("name", "title", "description", "example", "rdfType", "x-unit", "unit")


def kind(f: dict[str, Any], mv: list[str]) -> str:
    """What decides how a field's cells are typed: its descriptor but the descriptive keys,
    and its missing values."""
    fld = {k: v for k, v in f.items() if k not in _DESCRIPTIVE}
    return json.dumps([fld, mv], sort_keys=True, default=str)


def signatures(resource: Resource) -> dict[str, str]:
    """Field name -> its :func:`kind`."""
    return {f.name: kind(f, f.missing_values) for f in resource.fields}


def kinds(resource: Resource, signed: dict[str, str],
          types: dict[str, str] | None = None) -> list[list[dict[str, Any]]]:
    """The fields in groups of one kind (``signed``: :func:`signatures`) and one stored
    type (when ``types`` are given), each of at most ``GROUP_COLUMNS`` fields."""
    by_kind: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for f in resource.fields:
        key = (signed[f.name], (types or {}).get(f.name))
        by_kind.setdefault(key, []).append(f)
    return [group for fields in by_kind.values() for group in column_groups(fields)]


@contextmanager
def _group_view(con: duckdb.DuckDBPyConnection, text: pa.Table,
                fields: list[Field]) -> Iterator[str]:
    """The group's text columns as a view: a statement over the whole Arrow table binds
    every one of its columns (0.18 s a statement at 9,074 columns, 0.03 s over 1,000)."""
    con.register(TEXT_VIEW, text.select([f.name for f in fields]))
    try:
        yield q(TEXT_VIEW)
    finally:
        con.unregister(TEXT_VIEW)


def _cells(fields: list[Field]) -> str:
    return "[" + ", ".join(q(f.name) for f in fields) + "]"


def wide_storage_types(con: duckdb.DuckDBPyConnection, resource: Resource, text: pa.Table,
                       signed: dict[str, str]) -> dict[str, str]:
    """``duckdb_db.storage_types`` of a wide table: one aggregate statement per group of
    one kind, over its cells unnested, grouped by position."""
    types: dict[str, str] = {}
    for fields in kinds(resource, signed):
        first = fields[0]
        aggregates = storage_aggregates(first, "__v", first.missing_values)
        if not aggregates:
            types |= {f.name: storage_type(f, []) for f in fields}
            continue
        with _group_view(con, text, fields) as source:
            rows = con.execute(
                f"SELECT __i, {', '.join(aggregates)} FROM (SELECT unnest(range({len(fields)})) "
                f"AS __i, unnest({_cells(fields)}) AS __v FROM {source}) GROUP BY __i"
            ).fetchall()
        found = {row[0]: list(row[1:]) for row in rows}
        for i, f in enumerate(fields):  # no rows: the aggregates of nothing
            values = found.get(i) or [None] * (len(aggregates) - 1) + [False]
            types[f.name] = storage_type(f, values)
    return types


def _typed_group(con: duckdb.DuckDBPyConnection, resource: Resource,
                 fields: list[dict[str, Any]], cast: str, text: pa.Table
                 ) -> list[pa.Array]:
    """The group's cells typed as ``cast``, one Arrow array a field (a type Arrow cannot
    carry as text).

    DuckDB returns each row's typed cells as one list; the columns are taken out of the
    lists in Arrow (every list holds the group's cells in order): in SQL, one ``__t[i]``
    per column took 0.18 ms of planning each.
    """
    first = fields[0]
    expr = typed_column_expr(first, "__v", first.missing_values, cast)
    if cast in ARROW_LOSSY:
        expr = f"CAST({expr} AS VARCHAR)"
    with _group_view(con, text, fields) as source, warnings.catch_warnings():
        # the "extra copy" of a DB-API result: half the time of con.sql(...), which binds
        # twice
        warnings.simplefilter("ignore", UserWarning)
        sql = f"SELECT list_transform({_cells(fields)}, lambda __v: {expr}) AS __t FROM {source}"
        lists = con.execute(sql).to_arrow_table().column(0).combine_chunks()
    starts = np.asarray(lists.offsets)[:-1]
    return [lists.values.take(pa.array(starts + i)) for i in range(len(fields))]


def _type_name(con: duckdb.DuckDBPyConnection, sql_type: str) -> str:
    """DuckDB's own name of a type (``TIMETZ`` is ``TIME WITH TIME ZONE``)."""
    return str(con.execute(f"SELECT typeof(CAST(NULL AS {sql_type}))").fetchall()[0][0])


def stage_wide(con: duckdb.DuckDBPyConnection, resource: Resource, text: pa.Table,
               ref: str) -> None:
    """Table ``ref``: the text cells ``text`` typed as the validation types them."""
    columns: dict[str, pa.Array] = {}
    signed = signatures(resource)
    types = wide_storage_types(con, resource, text, signed)
    for fields in kinds(resource, signed, types):
        arrays = _typed_group(con, resource, fields, types[fields[0]["name"]], text)
        columns |= {f.name: a for f, a in zip(fields, arrays, strict=True)}
    names = resource.field_names
    con.register(TYPED_VIEW, pa.table([columns[n] for n in names], names=names))
    try:
        given = {row[0]: row[1] for row in con.execute(
            f"DESCRIBE SELECT * FROM {q(TYPED_VIEW)}").fetchall()}
        wanted = {t: _type_name(con, t) for t in set(types.values())}
        select = ", ".join(  # Arrow's types back to the stored ones where they differ
            q(n) if given[n] == wanted[types[n]] else f"CAST({q(n)} AS {types[n]}) AS {q(n)}"
            for n in names)
        con.execute(f"CREATE OR REPLACE TABLE {ref} AS SELECT {select} FROM {q(TYPED_VIEW)}")
    finally:
        con.unregister(TYPED_VIEW)
