"""Write one Parquet file per table with DuckDB ``COPY``; same input, same bytes."""

from __future__ import annotations

from pathlib import Path

import duckdb
from semicon.build.duckdb_db import qualified
from semicon.build.package import Resource
from semicon.schemas.sqltypes import sql_string

COMPRESSION = "zstd"
ROW_GROUP_SIZE = 122_880


def write_parquet(con: duckdb.DuckDBPyConnection, resource: Resource, path: Path) -> None:
    """Copy the DuckDB table of ``resource`` (in insertion order) to ``path``."""
    con.execute(
        f"COPY (SELECT * FROM {qualified(resource.name)}) TO {sql_string(path.as_posix())} "
        f"(FORMAT parquet, COMPRESSION {COMPRESSION}, ROW_GROUP_SIZE {ROW_GROUP_SIZE})"
    )
