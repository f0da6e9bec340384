"""Write one Parquet file per table with DuckDB ``COPY``; same input, same bytes.

Each file carries its own description as Parquet key-value metadata, so a developer who
only has the file still has the table's title, description, licence and Table Schema
(field types, descriptions, constraints, keys): ``pyarrow.parquet.read_schema(f).metadata``
or DuckDB's ``parquet_kv_metadata(f)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
from semicon.build.duckdb_db import qualified
from semicon.build.package import Resource
from semicon.schemas.sqltypes import sql_string

COMPRESSION = "zstd"
ROW_GROUP_SIZE = 122_880


def parquet_metadata(resource: Resource, package: dict[str, Any]) -> dict[str, str]:
    """Key-value metadata of a table's Parquet file (deterministic: no dates, sorted JSON)."""
    licences = [lic.get("name") or lic.get("path") for lic in package.get("licenses") or []]
    meta = {
        "title": resource.title or resource.name,
        "description": resource.description or "",
        "package": " ".join(str(v) for v in (package.get("name"), package.get("version")) if v),
        "licence": ", ".join(str(lic) for lic in licences if lic),
        "table_schema": json.dumps(resource.schema.descriptor, ensure_ascii=False, sort_keys=True,
                                   separators=(",", ":")),
    }
    return {k: v for k, v in meta.items() if v}


def write_parquet(con: duckdb.DuckDBPyConnection, resource: Resource, path: Path,
                  package: dict[str, Any] | None = None) -> None:
    """Copy the DuckDB table of ``resource`` (in insertion order) to ``path``."""
    meta = parquet_metadata(resource, package or {})
    kv = ", ".join(f"{sql_string(k)}: {sql_string(v)}" for k, v in meta.items())
    con.execute(
        f"COPY (SELECT * FROM {qualified(resource.name)}) TO {sql_string(path.as_posix())} "
        f"(FORMAT parquet, COMPRESSION {COMPRESSION}, ROW_GROUP_SIZE {ROW_GROUP_SIZE}, "
        f"KV_METADATA {{{kv}}})"
    )
