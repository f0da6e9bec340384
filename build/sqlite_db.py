"""Write the SQLite file for Datasette from the DuckDB tables, streamed in batches.

Same tables and rows as the DuckDB file, primary and foreign keys declared, indexes on
foreign keys and facet columns, FTS5 on the text columns journalists search. The file is
written in one transaction with a fixed page size and no timestamps, so the same input gives
a byte-identical file.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import duckdb
from semicon.build.duckdb_db import export_select_sql, qualified
from semicon.build.package import Package, Resource
from semicon.schemas.sqltypes import field_type, quote_ident, sqlite_type

q = quote_ident
PAGE_SIZE = 4096
BATCH_ROWS = 100_000
FTS_WORDS = (
    "name",
    "title",
    "purpose",
    "description",
    "focus",
    "partner",
    "funder",
    "recipient",
    "source_quote",
)
_FTS_RE = re.compile("|".join(FTS_WORDS))


def fts_columns(resource: Resource) -> list[str]:
    """Free-text string fields: no enum or pattern, named like name/title/purpose/... ."""
    out = []
    for f in resource.fields:
        c = f.get("constraints") or {}
        if field_type(f) != "string" or c.get("enum") or c.get("pattern"):
            continue
        if f["name"] in resource.primary_key:
            continue
        if _FTS_RE.search(f["name"]):
            out.append(f["name"])
    return out


def facet_columns(resource: Resource) -> list[tuple[str, ...]]:
    """Column groups worth an index: foreign keys and enum-constrained fields."""
    groups: list[tuple[str, ...]] = [fk.fields for fk in resource.foreign_keys]
    groups += [
        (f["name"],) for f in resource.fields if (f.get("constraints") or {}).get("enum")
    ]
    pk = tuple(resource.primary_key)
    seen: set[tuple[str, ...]] = set()
    out = []
    for g in groups:
        if g and g not in seen and g != pk[: len(g)]:
            seen.add(g)
            out.append(g)
    return out


def create_table_sql(resource: Resource) -> str:
    """SQLite ``CREATE TABLE`` from the Table Schema: types, NOT NULL, primary/foreign keys."""
    pk = resource.primary_key
    lines = []
    for f in resource.fields:
        c = f.get("constraints") or {}
        col = f"{q(f['name'])} {sqlite_type(f)}"
        if c.get("required") or f["name"] in pk:
            col += " NOT NULL"
        lines.append(col)
    if pk:
        lines.append(f"PRIMARY KEY ({', '.join(q(n) for n in pk)})")
    for fk in resource.foreign_keys:
        lines.append(
            f"FOREIGN KEY ({', '.join(q(n) for n in fk.fields)}) REFERENCES {q(fk.resource)} "
            f"({', '.join(q(n) for n in fk.reference_fields)})"
        )
    return f"CREATE TABLE {q(resource.name)} (\n  " + ",\n  ".join(lines) + "\n)"


def open_for_writing(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    con.execute("PRAGMA auto_vacuum = NONE")
    con.execute("PRAGMA journal_mode = OFF")  # the file is a temp file until renamed
    con.execute("PRAGMA synchronous = OFF")  # fsync happens once, before the rename
    con.execute("PRAGMA locking_mode = EXCLUSIVE")
    con.execute("PRAGMA cache_size = -65536")  # 64 MB
    return con


def copy_table(
    ddb: duckdb.DuckDBPyConnection,
    sq: sqlite3.Connection,
    resource: Resource,
    on_rows: Callable[[int], None] | None = None,
) -> int:
    """Stream one DuckDB table into SQLite in batches; returns the number of rows."""
    insert = (
        f"INSERT INTO {q(resource.name)} VALUES ({', '.join('?' * len(resource.fields))})"
    )
    cur = ddb.execute(export_select_sql(resource, qualified(resource.name)))
    total = 0
    while True:
        batch = cur.fetchmany(BATCH_ROWS)
        if not batch:
            break
        sq.executemany(insert, batch)
        total += len(batch)
        if on_rows:
            on_rows(len(batch))
    return total


def write_sqlite(
    ddb: duckdb.DuckDBPyConnection,
    path: Path,
    package: Package,
    views: Iterable[tuple[str, str]],
    build_rows: list[dict[str, Any]],
    on_rows: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Write the whole SQLite file at ``path`` (a temp file); returns row counts."""
    sq = open_for_writing(path)
    counts: dict[str, int] = {}
    try:
        sq.execute("BEGIN")
        for resource in package.resources:
            sq.execute(create_table_sql(resource))
            counts[resource.name] = copy_table(ddb, sq, resource, on_rows)
        for resource in package.resources:
            for group in facet_columns(resource):
                index = "idx_" + resource.name + "_" + "_".join(group)
                sq.execute(
                    f"CREATE INDEX {q(index)} ON {q(resource.name)} "
                    f"({', '.join(q(n) for n in group)})"
                )
            cols = fts_columns(resource)
            if cols:
                fts = f"{resource.name}_fts"
                sq.execute(
                    f"CREATE VIRTUAL TABLE {q(fts)} USING FTS5 "
                    f"({', '.join(q(c) for c in cols)}, content={q(resource.name)})"
                )
                sq.execute(f"INSERT INTO {q(fts)} ({q(fts)}) VALUES ('rebuild')")
        for name, select in views:
            sq.execute(f"CREATE VIEW {q(name)} AS {select}")
        _write_build_table(sq, build_rows)
        sq.execute("COMMIT")
    finally:
        sq.close()
    return counts


def _write_build_table(sq: sqlite3.Connection, rows: list[dict[str, Any]]) -> None:
    """``_build`` without the build time, so the file stays byte-identical across builds."""
    sq.execute(
        "CREATE TABLE _build (table_name TEXT PRIMARY KEY, row_count INTEGER, "
        "primary_key_hash TEXT, content_hash TEXT, package_name TEXT, "
        "package_version TEXT, tool_versions TEXT)"
    )
    sq.executemany(
        "INSERT INTO _build VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                r["table_name"],
                r["row_count"],
                r["primary_key_hash"],
                r["content_hash"],
                r["package_name"],
                r["package_version"],
                json.dumps(r["tool_versions"], sort_keys=True),
            )
            for r in rows
        ],
    )
