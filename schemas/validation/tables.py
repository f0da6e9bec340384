"""Storing rows as DuckDB tables: the one-pass typed SELECT, and records re-parsed by Python."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from . import sqlchecks
from .resource import LoadedResource


def stored_select(r: LoadedResource, source: str, *, extra: str,
                  passthrough: tuple[str, ...] = (), never_null: bool = False) -> str:
    """One pass over ``source``: typed columns, the ``__bad`` flag and the text cells.

    Every row check is evaluated here, while DuckDB parses the file. Only what is read
    later for every row is stored for every row: the cells and typed values of kept
    fields (keys, rule inputs). The other text cells are stored only on rows with a
    finding (for the messages), packed in one list column ``__cells``; their typed values
    are derived by the view (:func:`view_select`).
    """
    typed = "".join(f", {c.typed_definition} AS {c.tcol}" for c in r.columns if c.tcol)
    flags = sqlchecks.row_flags(r.columns)
    terms = sqlchecks.bad_terms(r.columns, flags, extra=extra, never_null=never_null,
                                primary_key=r.key_columns(r.schema.primary_key))
    packed = packed_cells(r)
    packed_cols = {c.col for c in packed}
    out = list(passthrough)
    out += [c.col for c in r.columns if c.col not in packed_cols]
    if packed:
        out.append(f"CASE WHEN __bad THEN [{', '.join(c.col for c in packed)}] END AS __cells")
    out += stored_typed(r)
    out.append("__bad")
    inner = f"(SELECT *{typed} FROM {source})"
    groups = [terms[i:i + BAD_GROUP] for i in range(0, len(terms), BAD_GROUP)]
    if len(groups) > 1:
        # DuckDB's expression rewriter takes time quadratic in the size of one expression:
        # a wide table's flag is the OR of one column per group of terms
        parts = ", ".join(f"{any_true(g)} AS __b{i}" for i, g in enumerate(groups))
        inner = f"(SELECT *, {parts} FROM {inner})"
        bad = " OR ".join(f"__b{i}" for i in range(len(groups)))
    else:
        bad = any_true(terms)
    return f"SELECT {', '.join(out)} FROM (SELECT *, {bad} AS __bad FROM {inner})"


def any_true(terms: list[str]) -> str:
    """SQL: whether any of ``terms`` is true (never NULL).

    As a CASE condition DuckDB evaluates the terms the way a WHERE clause does: an AND
    asks its second operand only of the rows its first let through, and comparisons
    select rows instead of writing booleans. As a plain value every operand of every AND
    and OR is computed on every row (6 % more instructions for the whole load of the
    synthetic 1M-row package, benchmarks/synthetic.py).
    """
    if not terms:
        return "FALSE"
    return f"(CASE WHEN {' OR '.join(terms)} THEN TRUE ELSE FALSE END)"


#: terms of the row flag per column of a wide table (see :func:`stored_select`)
BAD_GROUP = 64


def packed_cells(r: LoadedResource) -> list[sqlchecks.Column]:
    """Columns whose text is kept only on rows with a finding (in ``__cells``)."""
    if r.keep is None:
        return []
    return [c for c in r.columns if c.tcol is not None or c.name not in r.keep]


def stored_typed(r: LoadedResource) -> list[str]:
    """The typed columns stored for every row: those of kept fields (all without ``keep``)."""
    return [c.tcol for c in r.columns if c.tcol and (r.keep is None or c.name in r.keep)]


def stored_columns(r: LoadedResource) -> list[str]:
    """Every column of a stored table but the passthrough ones, in order."""
    packed = {c.col for c in packed_cells(r)}
    return ([c.col for c in r.columns if c.col not in packed] + (["__cells"] if packed else [])
            + stored_typed(r) + ["__bad"])


def view_select(r: LoadedResource, table: str,
                keys: str = "CAST(rowid AS BIGINT) AS __k, 0 AS __extra", *,
                derived: bool = True) -> str:
    """A resource's rows from its stored table: ``__k``, ``__extra``, text, typed, ``__bad``.

    Packed cells are unpacked; typed values that are not stored are derived from the text
    cell, which is kept on every row with a finding: the only rows where they are read.
    Without ``derived``, only the stored typed values (those of kept fields): a view
    DuckDB binds in a third of the time (:attr:`LoadedResource.kept_view`).
    """
    packed = packed_cells(r)
    slot = {c.col: i + 1 for i, c in enumerate(packed)}
    cells = [f"__cells[{slot[c.col]}] AS {c.col}" if c.col in slot else c.col
             for c in r.columns]
    stored = stored_typed(r)
    inner = f"SELECT {', '.join([keys, *cells, *stored, '__bad'])} FROM {table}"
    typed = [c.tcol if c.tcol in stored else f"{c.typed_definition} AS {c.tcol}"
             for c in r.columns if c.tcol and (derived or c.tcol in stored)]
    cols = ", ".join(["__k", "__extra", *(c.col for c in r.columns), *typed, "__bad"])
    return f"SELECT {cols} FROM ({inner})"


def unnested(typed: Sequence[tuple[str, str]], texts: Sequence[str] = (), *,
             first: int = 1) -> str:
    """``SELECT`` of lists bound as parameters (``$first`` on), one row an element: the
    columns ``typed`` (name, DuckDB type), then ``texts`` (VARCHAR). DuckDB takes lists
    far faster than a ``VALUES`` list, which it must parse as SQL text."""
    cols = [*typed, *((name, "VARCHAR") for name in texts)]
    return "SELECT " + ", ".join(f"unnest(${first + i}::{t}[]) AS {name}"
                                 for i, (name, t) in enumerate(cols))


def insert_records(con: Any, table: str, r: LoadedResource,
                   records: Iterable[tuple[int, list[str]]], batch: int = 50_000) -> None:
    """Store (line, cells) records (re-parsed by Python) like DuckDB-loaded rows, in batches.

    Each batch goes to DuckDB as one list per column, bound as parameters and unnested:
    far faster than a ``VALUES`` list, which DuckDB must parse as SQL text.
    """
    n = len(r.columns)
    names = ["__k", "__extra", *(f"c{i}" for i in range(n))]
    source = f"({unnested([('__k', 'BIGINT'), ('__extra', 'BIGINT')], names[2:])})"
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
