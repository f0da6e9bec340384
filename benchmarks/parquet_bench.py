"""Benchmark the Parquet writer against DuckDB's ``COPY ... (FORMAT parquet)``.

    python benchmarks/parquet_bench.py --rows 1000000 --repeat 3

Both write the same DuckDB table of the synthetic package (benchmarks/synthetic.py) with
zstd and 122,880-row groups, alternately, ``--repeat`` times; the figures are wall time
(best and median) and file size. ``COPY`` is what the build used before the writer took
the Table Schema's nullability and pandas dtypes into the file.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import write_package  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from semicon.build import duckdb_db
    from semicon.build.package import load_package
    from semicon.build.parquet_files import (
        COMPRESSION,
        ROW_GROUP_SIZE,
        parquet_metadata,
        write_parquet,
    )
    from semicon.schemas.sqltypes import sql_string

    with tempfile.TemporaryDirectory(prefix="parquet-bench-") as tmp_name:
        tmp = Path(tmp_name)
        package = load_package(write_package(tmp / "pkg", args.rows))
        con = duckdb_db.connect(tmp)
        duckdb_db.attach(con, tmp / "out.duckdb")
        for r in package.resources:  # in load order: referenced tables first
            duckdb_db.load_table(con, r, duckdb_db.stage_table(con, r, tmp / "stage.duckdb"))
        table = max(package.resources, key=lambda r: r.paths[0].stat().st_size)

        def copy(path: Path) -> None:
            meta = parquet_metadata(table, package)
            kv = ", ".join(f"{sql_string(k)}: {sql_string(v)}" for k, v in meta.items())
            con.execute(
                f"COPY (SELECT * FROM {duckdb_db.qualified(table.name)}) TO "
                f"{sql_string(path.as_posix())} (FORMAT parquet, COMPRESSION {COMPRESSION}, "
                f"ROW_GROUP_SIZE {ROW_GROUP_SIZE}, KV_METADATA {{{kv}}})")

        def writer(path: Path) -> None:
            write_parquet(con, table, path, package)

        results: dict[str, list[float]] = {"DuckDB COPY": [], "semicon writer": []}
        sizes: dict[str, int] = {}
        for i in range(args.repeat):
            for name, fn in (("DuckDB COPY", copy), ("semicon writer", writer)):
                path = tmp / f"{name.split()[0]}-{i}.parquet"
                started = time.perf_counter()
                fn(path)
                results[name].append(time.perf_counter() - started)
                sizes[name] = path.stat().st_size
        print(f"{args.rows:,} rows of `{table.name}`, best / median of {args.repeat}:")
        for name, times in results.items():
            print(f"  {name:<15} {min(times):6.2f} s / {statistics.median(times):6.2f} s  "
                  f"{sizes[name]:>12,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
