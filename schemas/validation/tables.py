"""Storing rows as DuckDB tables: the one-pass typed SELECT, and records re-parsed by Python."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from semicon.schemas.sqltypes import sql_string

from . import sqlchecks
from .resource import Resource

#: at most this many re-parsed records are stored through a VALUES list (no pyarrow import)
SMALL_RECORDS = 2000


def stored_select(r: Resource, source: str, *, extra: str,
                  passthrough: tuple[str, ...] = ()) -> str:
    """One pass over ``source``: typed columns, the ``__bad`` flag and the text cells.

    Every row check is evaluated here, while DuckDB parses the file; text cells of fields
    nobody reads later are stored only on rows with a finding (for the messages).
    """
    typed = "".join(f", {c.typed_definition} AS {c.tcol}" for c in r.columns if c.tcol)
    flags = sqlchecks.row_flags(r.columns)
    bad = sqlchecks.bad_sql(r.columns, flags, extra=extra)
    out = list(passthrough)
    for c in r.columns:
        if r.keep is None or (c.tcol is None and c.name in r.keep):
            out.append(c.col)
        else:
            out.append(f"CASE WHEN __bad THEN {c.col} END AS {c.col}")
    out += [c.tcol for c in r.columns if c.tcol]
    out.append("__bad")
    return (f"SELECT {', '.join(out)} FROM (SELECT *, ({bad}) AS __bad FROM "
            f"(SELECT *{typed} FROM {source}))")


def insert_records(con: Any, table: str, r: Resource,
                   records: Iterable[tuple[int, list[str]]], batch: int = 50_000) -> None:
    """Store (line, cells) records (re-parsed by Python) like DuckDB-loaded rows, in batches."""
    n = len(r.columns)
    if isinstance(records, list) and len(records) <= SMALL_RECORDS:
        _insert_few(con, table, r, records)
        return
    import pyarrow as pa

    schema = pa.schema([("__k", pa.int64()), ("__extra", pa.int64())]
                       + [(f"c{i}", pa.string()) for i in range(n)])
    select = stored_select(r, f"{table}_arrow", extra="__extra", passthrough=("__k", "__extra"))
    created = False

    def flush(data: dict[str, list]) -> None:
        nonlocal created
        con.register(f"{table}_arrow", pa.table(data, schema=schema))
        if created:
            con.execute(f"INSERT INTO {table} {select}")
        else:
            con.execute(f"CREATE TABLE {table} AS {select}")
            created = True
        con.unregister(f"{table}_arrow")

    def empty() -> dict[str, list]:
        return {name: [] for name in schema.names}

    data = empty()
    for line, cells in records:
        data["__k"].append(-line)
        extra = max(0, len(cells) - n)
        data["__extra"].append(extra)
        if extra:
            r.extras[line] = cells[n:]
        for i in range(n):
            data[f"c{i}"].append(cells[i] if i < len(cells) else None)
        if len(data["__k"]) >= batch:
            flush(data)
            data = empty()
    if data["__k"] or not created:
        flush(data)


def _insert_few(con: Any, table: str, r: Resource,
                records: list[tuple[int, list[str]]]) -> None:
    """:func:`insert_records` for a few records, through a VALUES list (no pyarrow)."""
    n = len(r.columns)
    names = ", ".join(["__k", "__extra", *[f"c{i}" for i in range(n)]])
    rows = []
    for line, cells in records:
        extra = max(0, len(cells) - n)
        if extra:
            r.extras[line] = cells[n:]
        values = [f"CAST({-int(line)} AS BIGINT)", f"CAST({extra} AS BIGINT)"]
        values += [f"CAST({sql_string(cells[i])} AS VARCHAR)" if i < len(cells)
                   else "CAST(NULL AS VARCHAR)" for i in range(n)]
        rows.append(f"({', '.join(values)})")
    if not rows:
        rows.append("(" + ", ".join(["CAST(NULL AS BIGINT)"] * 2
                                    + ["CAST(NULL AS VARCHAR)"] * n) + ")")
        source = f"(SELECT * FROM (VALUES {rows[0]}) v({names}) WHERE FALSE)"
    else:
        source = f"(SELECT * FROM (VALUES {', '.join(rows)}) v({names}))"
    select = stored_select(r, source, extra="__extra", passthrough=("__k", "__extra"))
    con.execute(f"CREATE TABLE {table} AS {select}")
