"""Check that the CSVs, the DuckDB file, the Parquet files and the SQLite file hold the same rows.

Each side is reduced, in DuckDB, to a digest per table: the row count, an order-independent
hash of the primary keys and one of whole rows. Rows are hashed in the form SQLite stores them
(text, BIGINT, DOUBLE), so every engine's copy is comparable value for value. The hash is
DuckDB's ``hash()`` summed over rows (mod 2**128): stable for one DuckDB version, which the
build records beside it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
from semicon.build.duckdb_db import (
    export_columns,
    qualified,
    stage_table,
    stored_types,
)
from semicon.build.errors import ParityError
from semicon.build.package import Resource
from semicon.schemas.sqltypes import quote_ident, sql_string


@dataclass(frozen=True)
class Digest:
    rows: int
    primary_key_hash: str | None
    content_hash: str
    #: a table stored long in SQLite (``parity_long``): the hash of its cells
    cells_hash: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def hex_hash(value: object) -> str:
    """A summed hash as 32 hex digits (mod 2**128)."""
    return f"{int(value or 0) % (1 << 128):032x}"


def digest(con: duckdb.DuckDBPyConnection, resource: Resource, source: str) -> Digest:
    """Row count, primary-key hash and content hash of ``source`` (a table or subquery)."""
    exprs = export_columns(resource, stored_types(con, source))
    by_name = dict(zip(resource.field_names, exprs, strict=True))
    pk = [by_name[n] for n in resource.primary_key]
    pk_sql = f"sum(CAST(hash({', '.join(pk)}) AS HUGEINT))" if pk else "NULL"
    sql = (
        f"SELECT count(*), {pk_sql}, sum(CAST(hash({', '.join(exprs)}) AS HUGEINT)) "
        f"FROM {source}"
    )
    rows, pk_hash, content = con.execute(sql).fetchall()[0]
    return Digest(int(rows), hex_hash(pk_hash) if pk else None, hex_hash(content))


def csv_digest(con: duckdb.DuckDBPyConnection, resource: Resource) -> Digest:
    """The digest of a resource's CSV, read and typed as the build stages it (with the
    hash of its cells when SQLite holds the table in long form)."""
    from semicon.build.parity_long import with_cells_hash
    from semicon.build.sqlite_long import long_table

    stage = stage_table(con, resource)
    try:
        d = digest(con, resource, stage)
        if long_table(resource.field_names, resource.primary_key) is not None:
            d = with_cells_hash(con, resource, stage, d)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {stage}")
    return d


def duckdb_digest(con: duckdb.DuckDBPyConnection, resource: Resource) -> Digest:
    return digest(con, resource, qualified(resource.name))


def parquet_digest(con: duckdb.DuckDBPyConnection, resource: Resource, path: Path) -> Digest:
    return digest(con, resource, f"read_parquet({sql_string(path.as_posix())})")


def _sentinel(affinity: str) -> str:
    """A SQLite literal of the storage class the column holds (see ``sqlite_digest``)."""
    return {"INTEGER": "0", "REAL": "0.5"}.get(affinity, "''")


def sqlite_digest(
    con: duckdb.DuckDBPyConnection, resource: Resource, sqlite_path: Path
) -> Digest:
    """Digest of a table of the SQLite file, read as Arrow through ADBC, hashed in DuckDB.

    The ADBC SQLite reader infers each column's Arrow type from its first batch, so a column
    that starts with NULLs would be typed wrongly: a typed first row (``__sentinel = 0``) is
    put in front with ``UNION ALL`` and filtered out in DuckDB. No Python per row.
    """
    import adbc_driver_sqlite.dbapi as adbc
    from semicon.build.parity_long import sqlite_long_digest
    from semicon.build.sqlite_long import long_table

    form = long_table(resource.field_names, resource.primary_key)
    if form is not None:
        return sqlite_long_digest(con, resource, form, sqlite_path)
    names = ", ".join(quote_ident(n) for n in resource.field_names)
    sq = adbc.connect(str(sqlite_path))
    try:
        cur = sq.cursor()
        cur.execute(f"SELECT name, type FROM pragma_table_info({sql_string(resource.name)})")
        declared = dict(cur.fetchall())
        cur.close()
    except BaseException:
        sq.close()
        raise
    first = ", ".join(
        f"{_sentinel(str(declared.get(f['name'], 'TEXT')).upper())} "
        f"AS {quote_ident(f['name'])}" for f in resource.fields
    )
    sql = (
        f"SELECT 0 AS __sentinel, {first} "
        f"UNION ALL SELECT 1, {names} FROM {quote_ident(resource.name)}"
    )
    try:
        cur = sq.cursor()
        try:
            cur.execute(sql)
            reader = cur.fetch_record_batch()
            view = f"_sqlite_{resource.name}"
            con.register(view, reader)
            try:
                return digest(con, resource, f"(SELECT * FROM {quote_ident(view)} "
                                             "WHERE __sentinel = 1)")
            finally:
                con.unregister(view)
        finally:
            cur.close()
    finally:
        sq.close()


def compare(expected: dict[str, Digest], others: dict[str, dict[str, Digest]]) -> None:
    """Raise ParityError naming every table and output whose digest differs from the CSVs'."""
    problems = differences(expected, others)
    if problems:
        raise ParityError("parity check failed:\n  " + "\n  ".join(problems))


def differences(expected: dict[str, Digest], others: dict[str, dict[str, Digest]]) -> list[str]:
    """One line per table and output whose digest differs from the CSVs' (``output: ...``)."""
    problems = []
    for output, digests in others.items():
        for table, want in expected.items():
            got = digests.get(table)
            if got is None:
                problems.append(f"{output}: table {table} is missing")
                continue
            if got.rows != want.rows:
                problems.append(f"{output}: {table} has {got.rows} rows, CSV has {want.rows}")
            elif got.primary_key_hash != want.primary_key_hash:
                problems.append(f"{output}: {table} primary keys differ from the CSV")
            elif (got.cells_hash or got.content_hash) != (
                    want.cells_hash if got.cells_hash else want.content_hash):
                problems.append(f"{output}: {table} content differs from the CSV")
    return problems

