"""Write one Parquet file per table; same input, same bytes.

Each file carries its own description as Parquet key-value metadata, so a developer who
only has the file still has the table's title, description, licence and Table Schema
(field types, descriptions, constraints, keys): ``pyarrow.parquet.read_schema(f).metadata``
or DuckDB's ``parquet_kv_metadata(f)``.

The rows come from DuckDB as Arrow and are written with pyarrow, because two facts of the
file follow the Table Schema rather than the data, which DuckDB's ``COPY`` cannot express:

- nullability: a field that is ``required`` (or part of the primary key) is a ``REQUIRED``
  Parquet column, every other field is ``OPTIONAL`` (``COPY`` marks a column required
  whenever this build's data happens to have no null in it);
- the dtypes ``pandas.read_parquet(f)`` gives: the file's ``pandas`` metadata (the same
  record pandas writes itself) names ``int64`` for integer columns, the nullable ``Int64``
  (and ``boolean``) where the column holds nulls, and pandas' Arrow-backed
  ``date32[day][pyarrow]`` for dates, instead of the default float64 and ``object``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from semicon.build.column_groups import column_groups, is_wide
from semicon.build.duckdb_db import qualified
from semicon.build.package import Package, Resource
from semicon.schemas.model import Field
from semicon.schemas.sqltypes import field_type, quote_ident, sql_string

COMPRESSION = "zstd"
COMPRESSION_LEVEL = 3  # DuckDB's default; pyarrow's 1 gave files a fifth larger
DICTIONARY_RATIO = 4
ROW_GROUP_SIZE = 122_880
BATCH_ROWS = 65_536

_INTEGER_TYPES = {"integer", "year"}
#: DuckDB types whose Arrow form loses what they hold: Arrow has no time with a zone, so a
#: ``TIME WITH TIME ZONE`` would be written as a zone-less time. A table holding one is
#: written by DuckDB's ``COPY`` (Parquet ``TIME`` adjusted to UTC), with the same metadata.
ARROW_LOSSY = frozenset({"TIME WITH TIME ZONE", "TIMETZ"})


def parquet_metadata(resource: Resource, package: Package | None) -> dict[str, str]:
    """Key-value metadata of a table's Parquet file (deterministic: no dates, sorted JSON)."""
    licences = [lic.get("name") or lic.get("path") for lic in package.licenses] \
        if package is not None else []
    about = (package.name, package.version) if package is not None else ()
    meta = {
        "title": resource.title or resource.name,
        "description": resource.description or "",
        "package": " ".join(str(v) for v in about if v),
        "licence": ", ".join(str(lic) for lic in licences if lic),
        "table_schema": json.dumps(resource.schema.descriptor, ensure_ascii=False, sort_keys=True,
                                   separators=(",", ":")),
    }
    return {k: v for k, v in meta.items() if v}


def required_fields(resource: Resource) -> set[str]:
    """Fields the Table Schema makes non-null: ``required`` ones and the primary key."""
    names = {f.name for f in resource.fields if f.required}
    return names | set(resource.primary_key)


def _arrow_type(field: Field, given: pa.DataType) -> pa.DataType:
    """The Parquet column type: DuckDB's, with narrower integers widened to int64."""
    if field_type(field) in _INTEGER_TYPES and pa.types.is_integer(given):
        return pa.int64()
    return given


def arrow_schema(resource: Resource, given: pa.Schema) -> pa.Schema:
    """The file's schema: DuckDB's column types, the Table Schema's nullability."""
    required = required_fields(resource)
    fields = []
    for field, col in zip(resource.fields, given, strict=True):
        fields.append(pa.field(col.name, _arrow_type(field, col.type),
                               nullable=field.name not in required))
    return pa.schema(fields)


@functools.cache
def pandas_dtype(arrow_type: pa.DataType, has_nulls: bool) -> Any:
    """The pandas dtype a column should read back as."""
    if pa.types.is_integer(arrow_type):
        return "Int64" if has_nulls else "int64"
    if pa.types.is_boolean(arrow_type):
        return "boolean" if has_nulls else "bool"
    if pa.types.is_date(arrow_type):
        return pd.ArrowDtype(arrow_type)
    try:  # what pyarrow itself gives for the type
        return pa.schema([pa.field("x", arrow_type)]).empty_table().to_pandas()["x"].dtype
    except (pa.ArrowException, TypeError, ValueError):
        return "object"


def pandas_metadata(schema: pa.Schema, null_counts: dict[str, int]) -> bytes:
    """The ``pandas`` schema metadata pyarrow writes for a DataFrame of these dtypes.

    Assembled from what pyarrow writes for a one-column frame of each dtype (its column
    entry renamed): the same bytes as for the whole frame, whose construction took 4.7 s
    for 9,074 columns.
    """
    if not len(schema):
        return pa.Schema.from_pandas(pd.DataFrame(), preserve_index=False).metadata[b"pandas"]
    columns = []
    for f in schema:
        one = json.loads(_one_column_metadata(f.type, null_counts.get(f.name, 0) > 0))
        columns.append({**one["columns"][0], "name": f.name, "field_name": f.name})
    return json.dumps({**one, "columns": columns}).encode("utf8")


@functools.cache
def _one_column_metadata(arrow_type: pa.DataType, has_nulls: bool) -> str:
    frame = pd.DataFrame({"x": pd.Series([], dtype=pandas_dtype(arrow_type, has_nulls))})
    return pa.Schema.from_pandas(frame, preserve_index=False).metadata[b"pandas"].decode()


@dataclass(frozen=True)
class ColumnStats:
    """Rows of a table, and per column its nulls and (approximate) distinct values."""

    rows: int
    nulls: dict[str, int]
    distinct: dict[str, int]

    def dictionary_columns(self) -> list[str]:
        """Columns worth dictionary encoding: at most one distinct value in four rows (as
        DuckDB's writer decides per column; pyarrow's default encodes every column, which
        made a key or amount column two to three times larger)."""
        return [n for n, d in self.distinct.items() if d * DICTIONARY_RATIO <= self.rows]


def column_stats(con: duckdb.DuckDBPyConnection, table_ref: str,
                 names: list[str]) -> ColumnStats:
    """Row count, nulls and distinct values per column, in one scan."""
    rows = 0
    nulls: dict[str, int] = {}
    distinct: dict[str, int] = {}
    for group in column_groups(names):  # a wide table: one scan per group of columns
        exprs = ["count(*)"]
        for n in group:
            exprs += [f"count({quote_ident(n)})", f"approx_count_distinct({quote_ident(n)})"]
        row = con.execute(f"SELECT {', '.join(exprs)} FROM {table_ref}").fetchall()[0]
        rows = int(row[0])
        nulls |= {n: rows - int(row[1 + 2 * i]) for i, n in enumerate(group)}
        distinct |= {n: int(row[2 + 2 * i] or 0) for i, n in enumerate(group)}
    return ColumnStats(rows, nulls, distinct)


def arrow_stats(table: pa.Table) -> ColumnStats:
    """:func:`column_stats` of an Arrow table (distinct values counted exactly)."""
    import pyarrow.compute as pc

    return ColumnStats(table.num_rows,
                       {n: table.column(n).null_count for n in table.column_names},
                       {n: pc.count_distinct(table.column(n)).as_py()
                        for n in table.column_names})


def _batches(con: duckdb.DuckDBPyConnection, sql: str) -> pa.RecordBatchReader:
    rel = con.sql(sql)
    if hasattr(rel, "to_arrow_reader"):
        return rel.to_arrow_reader(BATCH_ROWS)
    return rel.fetch_record_batch(BATCH_ROWS)  # DuckDB < 1.4


def write_parquet(con: duckdb.DuckDBPyConnection, resource: Resource, path: Path,
                  package: Package | None = None) -> None:
    """Write the DuckDB table of ``resource`` (in insertion order) to ``path``.

    Row groups hold exactly ``ROW_GROUP_SIZE`` rows (the last one the rest) whatever
    batches DuckDB hands over, so the bytes depend on the rows only.
    """
    ref = qualified(resource.name)
    cols = ", ".join(quote_ident(n) for n in resource.field_names)
    meta = parquet_metadata(resource, package)
    stored = [row[1] for row in con.execute(f"DESCRIBE SELECT {cols} FROM {ref}").fetchall()]
    lossy = any(t in ARROW_LOSSY for t in stored)
    if is_wide(resource.fields) and not lossy:
        # a wide table (few rows: its cells were typed in memory) is read whole and
        # measured in Arrow; a statistics scan binds every column of the table per group
        data = _batches(con, f"SELECT {cols} FROM {ref}").read_all()
        stats = arrow_stats(data)
        reader = data.to_reader()
    else:
        stats = column_stats(con, ref, resource.field_names)  # before the reader holds
        if lossy:  # the cursor
            given = _batches(con, f"SELECT {cols} FROM {ref} LIMIT 0").schema
            meta["pandas"] = pandas_metadata(arrow_schema(resource, given),
                                             stats.nulls).decode()
            _copy(con, ref, cols, path, meta)
            return
        reader = _batches(con, f"SELECT {cols} FROM {ref}")
    schema = arrow_schema(resource, reader.schema)
    schema = schema.with_metadata({k.encode(): v.encode() for k, v in meta.items()}
                                  | {b"pandas": pandas_metadata(schema, stats.nulls)})
    with pq.ParquetWriter(path, schema, compression=COMPRESSION,
                          compression_level=COMPRESSION_LEVEL,
                          use_dictionary=stats.dictionary_columns()) as writer:
        pending: list[pa.RecordBatch] = []
        rows = 0
        for batch in reader:
            pending.append(batch)
            rows += batch.num_rows
            while rows >= ROW_GROUP_SIZE:
                table = pa.Table.from_batches(pending)
                _write_group(writer, table.slice(0, ROW_GROUP_SIZE), schema)
                rest = table.slice(ROW_GROUP_SIZE)
                pending, rows = rest.to_batches(), rest.num_rows
        if rows:
            _write_group(writer, pa.Table.from_batches(pending, reader.schema), schema)


def _copy(con: duckdb.DuckDBPyConnection, ref: str, cols: str, path: Path,
          meta: dict[str, str]) -> None:
    """DuckDB's own writer, for a table holding a type Arrow cannot carry (see
    :data:`ARROW_LOSSY`): its nullability then follows the data, not the Table Schema."""
    kv = ", ".join(f"{sql_string(k)}: {sql_string(v)}" for k, v in meta.items())
    con.execute(
        f"COPY (SELECT {cols} FROM {ref}) TO {sql_string(path.as_posix())} "
        f"(FORMAT parquet, COMPRESSION {COMPRESSION}, ROW_GROUP_SIZE {ROW_GROUP_SIZE}, "
        f"KV_METADATA {{{kv}}})"
    )


def _write_group(writer: pq.ParquetWriter, table: pa.Table, schema: pa.Schema) -> None:
    """One row group, from contiguous arrays (page boundaries independent of batching)."""
    writer.write_table(table.cast(schema).combine_chunks(), row_group_size=ROW_GROUP_SIZE)
