"""Storing rows as DuckDB tables: the one-pass typed SELECT, and records re-parsed by Python."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import sqlchecks
from .resource import Resource


def stored_select(r: Resource, source: str, *, extra: str,
                  passthrough: tuple[str, ...] = (), never_null: bool = False) -> str:
    """One pass over ``source``: typed columns, the ``__bad`` flag and the text cells.

    Every row check is evaluated here, while DuckDB parses the file. Only what is read
    later for every row is stored for every row: the cells and typed values of kept
    fields (keys, rule inputs); other text cells are stored only on rows with a finding
    (for the messages), and their typed values are derived by the view
    (:func:`view_columns`).
    """
    typed = "".join(f", {c.typed_definition} AS {c.tcol}" for c in r.columns if c.tcol)
    flags = sqlchecks.row_flags(r.columns)
    bad = sqlchecks.bad_sql(r.columns, flags, extra=extra, never_null=never_null)
    out = list(passthrough)
    for c in r.columns:
        if r.keep is None or (c.tcol is None and c.name in r.keep):
            out.append(c.col)
        else:
            out.append(f"CASE WHEN __bad THEN {c.col} END AS {c.col}")
    out += stored_typed(r)
    out.append("__bad")
    return (f"SELECT {', '.join(out)} FROM (SELECT *, ({bad}) AS __bad FROM "
            f"(SELECT *{typed} FROM {source}))")


def stored_typed(r: Resource) -> list[str]:
    """The typed columns stored for every row: those of kept fields (all without ``keep``)."""
    return [c.tcol for c in r.columns if c.tcol and (r.keep is None or c.name in r.keep)]


def view_columns(r: Resource) -> str:
    """The columns of a resource's view over its stored table: text, typed, ``__bad``.

    Typed values that are not stored are derived from the text cell, which is kept on
    every row with a finding: the only rows where they are read.
    """
    stored = set(stored_typed(r))
    typed = [c.tcol if c.tcol in stored else f"{c.typed_definition} AS {c.tcol}"
             for c in r.columns if c.tcol]
    return ", ".join([*(c.col for c in r.columns), *typed, "__bad"])


def insert_records(con: Any, table: str, r: Resource,
                   records: Iterable[tuple[int, list[str]]], batch: int = 50_000) -> None:
    """Store (line, cells) records (re-parsed by Python) like DuckDB-loaded rows, in batches.

    Each batch goes to DuckDB as one list per column, bound as parameters and unnested:
    far faster than a ``VALUES`` list, which DuckDB must parse as SQL text.
    """
    n = len(r.columns)
    names = ["__k", "__extra", *(f"c{i}" for i in range(n))]
    types = ["BIGINT", "BIGINT", *(["VARCHAR"] * n)]
    source = "(SELECT " + ", ".join(
        f"unnest(${i + 1}::{t}[]) AS {name}"
        for i, (name, t) in enumerate(zip(names, types, strict=True))) + ")"
    select = stored_select(r, source, extra="__extra", passthrough=("__k", "__extra"))
    created = False

    def flush(data: list[list]) -> None:
        nonlocal created
        if created:
            con.execute(f"INSERT INTO {table} {select}", data)
        else:
            con.execute(f"CREATE TABLE {table} AS {select}", data)
            created = True

    def empty() -> list[list]:
        return [[] for _ in names]

    data = empty()
    for line, cells in records:
        data[0].append(-line)
        extra = max(0, len(cells) - n)
        data[1].append(extra)
        if extra:
            r.extras[line] = cells[n:]
        for i in range(n):
            data[2 + i].append(cells[i] if i < len(cells) else None)
        if len(data[0]) >= batch:
            flush(data)
            data = empty()
    if data[0] or not created:
        flush(data)
