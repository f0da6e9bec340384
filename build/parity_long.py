"""Parity of a table stored long in SQLite (``sqlite_long``): cell by cell.

A long table cannot be hashed row by row like the others, so both sides are reduced to a
hash of cells: the sum over every cell of ``hash(row, position, value)`` (``hash(row,
position)`` for an empty cell), the value in the form SQLite stores it (BIGINT, DOUBLE or
text, as ``duckdb_db.export_expr`` gives it). The CSV side is hashed from the staged wide
rows, the SQLite side from its cells read back per storage class (each class one Arrow
type). Row count and primary-key hash are compared as for any table.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
from semicon.build.duckdb_db import export_columns, export_expr, stored_types
from semicon.build.package import Resource
from semicon.build.parity import Digest, hex_hash
from semicon.build.sqlite_long import LongTable, cell_groups, cells_sql
from semicon.schemas.sqltypes import quote_ident, sql_string

q = quote_ident
_CELL_HASH = ("sum(CAST(CASE WHEN __v IS NULL THEN hash(__row, __pos) "
              "ELSE hash(__row, __pos, __v) END AS HUGEINT))")
#: SQLite storage classes and a literal of each, put first so the Arrow type is right
_CLASSES = (("integer", "0"), ("real", "0.5"), ("text", "''"), ("null", "NULL"))


def with_cells_hash(con: duckdb.DuckDBPyConnection, resource: Resource, source: str,
                    d: Digest) -> Digest:
    """``d`` (the staged rows' digest) with the hash of their cells."""
    types = stored_types(con, source)
    names = resource.field_names
    exprs = export_columns(resource, types)
    total = 0
    for group in cell_groups(names, types):
        sql = f"SELECT {_CELL_HASH} FROM ({cells_sql(source, names, exprs, group)})"
        total += int(con.execute(sql).fetchall()[0][0] or 0)
    return replace(d, cells_hash=hex_hash(total))


def _sum_hash(con: duckdb.DuckDBPyConnection, reader: object, expr: str) -> int:
    view = "__semicon_sqlite_cells"
    con.register(view, reader)
    try:
        row = con.execute(f"SELECT {expr} FROM {q(view)} WHERE __s = 1").fetchall()[0]
    finally:
        con.unregister(view)
    return int(row[0] or 0)


def sqlite_long_digest(con: duckdb.DuckDBPyConnection, resource: Resource, form: LongTable,
                       sqlite_path: Path) -> Digest:
    """Row count, primary-key hash and cells hash of a long table in the SQLite file."""
    import adbc_driver_sqlite.dbapi as adbc

    t = q(resource.name)
    sq = adbc.connect(str(sqlite_path))
    try:
        cur = sq.cursor()
        try:
            cur.execute(f"SELECT count(DISTINCT {q(form.row)}), count(*) FILTER (WHERE "
                        f"typeof({q(form.value)}) NOT IN ('integer', 'real', 'text', 'null'))"
                        f" FROM {t}")
            rows, odd = cur.fetchall()[0]
            total = int(odd)  # a value of another class (blob) can only break parity
            for cls, literal in _CLASSES:
                cur.execute(f"SELECT 0 AS __s, 0 AS __row, 0 AS __pos, {literal} AS __v "
                            f"UNION ALL SELECT 1, {q(form.row)}, {q(form.position)}, "
                            f"{q(form.value)} FROM {t} WHERE typeof({q(form.value)}) = "
                            f"{sql_string(cls)}")
                total += _sum_hash(con, cur.fetch_record_batch(), _CELL_HASH)
            pk_hash = None
            if form.keys:
                pk_hash = hex_hash(_key_hash(con, cur, resource, form))
        finally:
            cur.close()
    finally:
        sq.close()
    cells = hex_hash(total)
    return Digest(int(rows), pk_hash, cells, cells_hash=cells)


def _key_hash(con: duckdb.DuckDBPyConnection, cur: object, resource: Resource,
              form: LongTable) -> int:
    """Sum of the hashes of every record's key, read from its first cell."""
    cur.execute(f"SELECT name, type FROM pragma_table_info({sql_string(resource.name)})")
    declared = dict(cur.fetchall())
    sentinel = {"INTEGER": "0", "REAL": "0.5"}
    first = ", ".join(f"{sentinel.get(str(declared.get(k, '')).upper(), chr(39) * 2)} AS {q(k)}"
                      for k in form.keys)
    keys = ", ".join(q(k) for k in form.keys)
    cur.execute(f"SELECT 0 AS __s, {first} UNION ALL SELECT 1, {keys} FROM "
                f"{q(resource.name)} WHERE {q(form.position)} = 1")
    reader = cur.fetch_record_batch()
    fields = {f["name"]: f for f in resource.fields}
    view = "__semicon_sqlite_keys"
    con.register(view, reader)
    try:
        types = stored_types(con, q(view))
        exprs = [export_expr(fields[k], q(k), types[k]) for k in form.keys]
        row = con.execute(f"SELECT sum(CAST(hash({', '.join(exprs)}) AS HUGEINT)) FROM "
                          f"{q(view)} WHERE __s = 1").fetchall()[0]
    finally:
        con.unregister(view)
    return int(row[0] or 0)
