"""Write the SQLite file for Datasette from DuckDB tables, as Arrow, through ADBC.

Same tables and rows as the DuckDB file, primary and foreign keys declared, indexes on
foreign keys, facet columns and default sort columns, the views, ``_build`` and
``_data_dictionary``: the file released and offered for download. The site serves a copy
with FTS5 on the text columns declared (or inferred) searchable (:func:`write_search_copy`).

Rows go from DuckDB to SQLite as Arrow record batches (``adbc_driver_sqlite``'s bulk ingest:
a prepared ``INSERT`` bound from C, no Python object per value). Tables are created first with
our own DDL (types, keys); indexes are created after the rows (one sort each: measured less
CPU than keeping them up during the append); FTS5 (external content, in the site's copy) is
filled by one ``'rebuild'``.
The file is written in one transaction with a fixed page size and no timestamps, so the same
input and library versions give a byte-identical file.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import adbc_driver_manager
import adbc_driver_sqlite
import adbc_driver_sqlite.dbapi as adbc
import duckdb
import pyarrow as pa
from semicon.build import sqlite_long as long_sql
from semicon.build.duckdb_db import (
    export_columns,
    export_select_sql,
    qualified,
    sqlite_affinity,
    stored_types,
)
from semicon.build.package import Package, Resource
from semicon.build.sqlite_long import long_table
from semicon.schemas.sqltypes import quote_ident, sqlite_type

SQLiteError = adbc_driver_manager.Error  # what the ADBC driver raises

q = quote_ident
PAGE_SIZE = 4096
BATCH_ROWS = 100_000
PRAGMAS = (
    f"PRAGMA page_size = {PAGE_SIZE}",
    "PRAGMA auto_vacuum = NONE",
    "PRAGMA journal_mode = OFF",  # the file is a temp file until renamed
    "PRAGMA synchronous = OFF",  # fsync happens once, before the rename
    "PRAGMA locking_mode = EXCLUSIVE",
    "PRAGMA foreign_keys = OFF",  # declared for Datasette, checked by the validation
)


@functools.cache
def sqlite_version() -> str:
    """Version of the SQLite library that writes the file (the one in the ADBC driver)."""
    con = adbc.connect(":memory:")
    try:
        return str(con.adbc_get_info().get("vendor_version", "unknown"))
    finally:
        con.close()


def driver_version() -> str:
    return getattr(adbc_driver_sqlite, "__version__", "unknown")


def search_columns(package: Package) -> dict[str, list[str]]:
    """Per table, the columns indexed for full-text search: declared in the package
    (``semicon.site.resources.<T>.search``) or its free-text fields (``site_declarations``)."""
    from semicon.build.datasette_metadata import search_columns as declared

    return declared(package)


def facet_columns(resource: Resource) -> list[tuple[str, ...]]:
    """Column groups worth an index: foreign keys and enum-constrained fields."""
    groups: list[tuple[str, ...]] = [fk.fields for fk in resource.foreign_keys]
    groups += [
        (f.name,) for f in resource.fields if f.enum
    ]
    pk = tuple(resource.primary_key)
    seen: set[tuple[str, ...]] = set()
    out = []
    for g in groups:
        if g and g not in seen and g != pk[: len(g)]:
            seen.add(g)
            out.append(g)
    return out


def sort_columns(package: Package) -> dict[str, list[str]]:
    """Default sort columns of the Datasette metadata, per table (empty without the module)."""
    try:
        from semicon.build.datasette_metadata import sort_index_columns
    except ImportError:
        return {}
    try:
        return sort_index_columns(package)
    except Exception:  # metadata problems are reported by the metadata stage
        return {}


def index_columns(resource: Resource, sorts: dict[str, list[str]] | None = None) -> list[
    tuple[str, ...]
]:
    """Facet groups (``facet_columns``) plus the table's default sort columns."""
    groups = facet_columns(resource)
    pk = tuple(resource.primary_key)
    names = set(resource.field_names)
    for col in (sorts or {}).get(resource.name, []):
        g = (col,)
        if col in names and g not in groups and g != pk[:1]:
            groups.append(g)
    return groups


def index_name(resource: Resource, group: tuple[str, ...]) -> str:
    return "idx_" + resource.name + "_" + "_".join(group)


def create_table_sql(resource: Resource, types: dict[str, str] | None = None,
                     long_tables: frozenset[str] = frozenset()) -> str:
    """SQLite ``CREATE TABLE`` from the Table Schema: types, NOT NULL, primary/foreign keys.

    ``types`` are the DuckDB types the rows are stored as (default: the fields'); a foreign
    key to one of ``long_tables`` (held one row per cell, ``sqlite_long``) is left out, as
    no row of those has the referenced key as its primary key."""
    pk = resource.primary_key
    lines = []
    for f in resource.fields:
        stored = (types or {}).get(f.name)
        col = f"{q(f.name)} {sqlite_affinity(stored) if stored else sqlite_type(f)}"
        if f.required or f.name in pk:
            col += " NOT NULL"
        lines.append(col)
    if pk:
        lines.append(f"PRIMARY KEY ({', '.join(q(n) for n in pk)})")
    for fk in resource.foreign_keys:
        if fk.resource in long_tables:
            continue
        lines.append(
            f"FOREIGN KEY ({', '.join(q(n) for n in fk.fields)}) REFERENCES {q(fk.resource)} "
            f"({', '.join(q(n) for n in fk.reference_fields)})"
        )
    return f"CREATE TABLE {q(resource.name)} (\n  " + ",\n  ".join(lines) + "\n)"


MEMORY_SORT_ROWS = 2_000_000  # above this, index and FTS sorts spill to temp files


class Writer:
    """An ADBC SQLite connection in autocommit mode (we issue BEGIN/COMMIT ourselves)."""

    def __init__(self, path: Path, *, memory_sorts: bool = True) -> None:
        self.con = adbc.connect(str(path), autocommit=True)
        self.cur = self.con.cursor()
        for pragma in PRAGMAS:
            self.execute(pragma)
        # sorts in memory are faster, but unbounded: temp files (and a smaller page cache,
        # which also sizes the sorter's memory) for large tables, to stay under 1 GB RSS
        self.execute(f"PRAGMA temp_store = {'MEMORY' if memory_sorts else 'FILE'}")
        self.execute(f"PRAGMA cache_size = {-131072 if memory_sorts else -65536}")  # KiB

    def execute(self, sql: str) -> None:
        self.cur.execute(sql)
        if self.cur.description:  # PRAGMAs answer with a row: drain it
            self.cur.fetchall()

    def ingest(self, table: str, data: Any) -> int:
        return int(self.cur.adbc_ingest(table, data, mode="append") or 0)

    def close(self) -> None:
        try:
            self.cur.close()
        finally:
            self.con.close()


def open_for_writing(path: Path, *, memory_sorts: bool = True) -> Writer:
    return Writer(path, memory_sorts=memory_sorts)


def arrow_reader(ddb: duckdb.DuckDBPyConnection, sql: str, batch_rows: int = BATCH_ROWS):
    """A streaming Arrow reader over a DuckDB query (no full materialisation)."""
    rel = ddb.sql(sql)
    if hasattr(rel, "to_arrow_reader"):
        return rel.to_arrow_reader(batch_rows)
    return rel.fetch_record_batch(batch_rows)  # DuckDB < 1.4


def _counted(reader: pa.RecordBatchReader, on_rows: Callable[[int], None]) -> pa.RecordBatchReader:
    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            on_rows(batch.num_rows)
            yield batch

    return pa.RecordBatchReader.from_batches(reader.schema, batches())


def copy_table(
    ddb: duckdb.DuckDBPyConnection,
    sq: Writer,
    resource: Resource,
    on_rows: Callable[[int], None] | None = None,
    source: str | None = None,
) -> int:
    """Stream one DuckDB table (``source``, default the output file's) into SQLite; rows."""
    source = source or qualified(resource.name)
    reader = arrow_reader(ddb, export_select_sql(resource, source, stored_types(ddb, source)))
    if on_rows:
        reader = _counted(reader, on_rows)
    return sq.ingest(resource.name, reader)


def copy_long_table(
    ddb: duckdb.DuckDBPyConnection,
    sq: Writer,
    resource: Resource,
    form: long_sql.LongTable,
    types: dict[str, str],
    on_rows: Callable[[int], None] | None = None,
    source: str | None = None,
) -> int:
    """Stream a table too wide for SQLite into its long form (``sqlite_long``); rows."""
    source = source or qualified(resource.name)
    names = resource.field_names
    cells = long_sql.copy_long(ddb, sq.ingest, resource.name, form, names,
                               export_columns(resource, types), types, source,
                               lambda sql: arrow_reader(ddb, sql))
    rows = cells // len(names) if names else 0
    if on_rows:
        on_rows(rows)
    return rows


def write_sqlite(
    ddb: duckdb.DuckDBPyConnection,
    path: Path,
    package: Package,
    views: Iterable[tuple[str, str]],
    build_rows: list[dict[str, Any]],
    on_rows: Callable[[int], None] | None = None,
    *,
    sources: dict[str, str] | None = None,
    dictionary: tuple[list[str], dict[str, str], list[dict[str, Any]]] | None = None,
    timings: dict[str, float] | None = None,
) -> dict[str, int]:
    """Write the whole SQLite file at ``path`` (a temp file); returns row counts.

    ``sources`` maps a table to the DuckDB relation to copy (default: the output file's
    table); ``dictionary`` is ``(columns, column_types, rows)`` for ``_data_dictionary``.
    """
    import time

    timings = timings if timings is not None else {}
    sorts = sort_columns(package)
    largest = max(
        (int(r.get("row_count") or 0) for r in build_rows), default=0
    )
    sq = open_for_writing(path, memory_sorts=largest <= MEMORY_SORT_ROWS)
    counts: dict[str, int] = {}
    try:
        sq.execute("BEGIN")
        t = time.perf_counter()
        longs: dict[str, list[str]] = {}  # table -> its index statements
        long_names = frozenset(r.name for r in package.load_order
                               if long_table(r.field_names, r.primary_key) is not None)
        for resource in package.load_order:
            src = (sources or {}).get(resource.name)
            types = stored_types(ddb, src or qualified(resource.name))
            form = long_table(resource.field_names, resource.primary_key)
            if form is None:
                sq.execute(create_table_sql(resource, types, long_names))
                counts[resource.name] = copy_table(ddb, sq, resource, on_rows, src)
                continue
            create, *indexes = long_sql.create_sql(
                resource.name, form, {k: sqlite_affinity(types[k]) for k in form.keys})
            sq.execute(create)
            longs[resource.name] = indexes
            counts[resource.name] = copy_long_table(ddb, sq, resource, form, types, on_rows,
                                                    src)
        timings["sqlite_rows"] = time.perf_counter() - t
        t = time.perf_counter()
        for resource in package.load_order:  # after the rows: one sort beats 1M B-tree inserts
            if resource.name in longs:
                for stmt in longs[resource.name]:
                    sq.execute(stmt)
                continue
            for group in index_columns(resource, sorts):
                sq.execute(
                    f"CREATE INDEX {q(index_name(resource, group))} ON {q(resource.name)} "
                    f"({', '.join(q(n) for n in group)})"
                )
        timings["sqlite_indexes"] = time.perf_counter() - t
        for name, select in views:
            sq.execute(f"CREATE VIEW {q(name)} AS {select}")
        _write_build_table(sq, build_rows)
        if dictionary is not None:
            write_dictionary(sq, *dictionary)
        sq.execute("COMMIT")
    finally:
        sq.close()
    return counts


def write_search_copy(clean: Path, target: Path, package: Package, *,
                      memory_sorts: bool = True,
                      timings: dict[str, float] | None = None) -> list[str]:
    """The site's database at ``target``: the finished ``clean`` file copied byte for byte,
    plus an FTS5 index (external content, filled by one ``'rebuild'``) on each table's
    search columns (a long table's: the cells of those columns, ``sqlite_long.search_sql``).
    Returns the index tables made (the file ``clean`` stays as it is).

    The released and downloadable file holds the package's tables only; the index's
    virtual and shadow tables (five per indexed table) live in this copy, which only the
    site serves. Same input, same bytes: the copy is exact and the index deterministic.
    """
    import shutil
    import time

    from semicon.build.datasette_metadata import FTS_SUFFIX

    t = time.perf_counter()
    shutil.copyfile(clean, target)
    search = search_columns(package)
    made: list[str] = []
    sq = open_for_writing(target, memory_sorts=memory_sorts)
    try:
        sq.execute("BEGIN")
        for resource in package.load_order:
            stmts = search_sql(resource, resource.name + FTS_SUFFIX,
                               search.get(resource.name) or [])
            for stmt in stmts:
                sq.execute(stmt)
            made += [resource.name + FTS_SUFFIX] if stmts else []
        sq.execute("COMMIT")
    finally:
        sq.close()
    if timings is not None:
        timings["sqlite_fts"] = time.perf_counter() - t
    return made


def search_sql(resource: Resource, fts: str, cols: list[str]) -> list[str]:
    """The statements making ``fts``, the full-text index of ``resource``'s columns
    ``cols`` (none without columns); a long table's indexes those columns' cells."""
    form = long_table(resource.field_names, resource.primary_key)
    if form is not None:
        return long_sql.search_sql(resource.name, fts, form, resource.field_names, cols)
    if not cols:
        return []
    return [f"CREATE VIRTUAL TABLE {q(fts)} USING FTS5 "
            f"({', '.join(q(c) for c in cols)}, content={q(resource.name)})",
            f"INSERT INTO {q(fts)} ({q(fts)}) VALUES ('rebuild')"]


def _write_build_table(sq: Writer, rows: list[dict[str, Any]]) -> None:
    """``_build`` without the build time, so the file stays byte-identical across builds."""
    sq.execute(
        "CREATE TABLE _build (table_name TEXT PRIMARY KEY, row_count INTEGER, "
        "primary_key_hash TEXT, content_hash TEXT, package_name TEXT, "
        "package_version TEXT, tool_versions TEXT)"
    )
    table = pa.table(
        {
            "table_name": pa.array([r["table_name"] for r in rows], pa.string()),
            "row_count": pa.array([r["row_count"] for r in rows], pa.int64()),
            "primary_key_hash": pa.array([r["primary_key_hash"] for r in rows], pa.string()),
            "content_hash": pa.array([r["content_hash"] for r in rows], pa.string()),
            "package_name": pa.array([r["package_name"] for r in rows], pa.string()),
            "package_version": pa.array([r["package_version"] for r in rows], pa.string()),
            "tool_versions": pa.array(
                [json.dumps(r["tool_versions"], sort_keys=True) for r in rows], pa.string()
            ),
        }
    )
    if table.num_rows:
        sq.ingest("_build", table)


def dictionary_arrow(
    columns: list[str], types: dict[str, str], rows: list[dict[str, Any]]
) -> pa.Table:
    return pa.table(
        {
            c: pa.array(
                [r.get(c) for r in rows],
                pa.int64() if types.get(c, "TEXT").upper() == "INTEGER" else pa.string(),
            )
            for c in columns
        }
    )


def write_dictionary(
    sq: Writer, columns: list[str], types: dict[str, str], rows: list[dict[str, Any]]
) -> None:
    """``_data_dictionary``: one row per column of every table (derived from the schemas)."""
    from semicon.build.data_dictionary import TABLE_NAME

    body = ", ".join(f"{q(c)} {types.get(c, 'TEXT')}" for c in columns)
    sq.execute(f"CREATE TABLE {q(TABLE_NAME)} ({body})")
    if rows:
        sq.ingest(TABLE_NAME, dictionary_arrow(columns, types, rows))
