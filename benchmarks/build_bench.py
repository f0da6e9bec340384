"""Benchmark `semicon build` against the pipeline a user would otherwise run.

    python benchmarks/build_bench.py --rows 1000000            # build + baseline
    python benchmarks/build_bench.py --rows 10000000 --skip-baseline

The synthetic package (benchmarks/synthetic.py: N allocations + 50 sources) is built with
`semicon build --force --json` in a child process; its stage timings come from the JSON
summary and its peak memory from RUSAGE_CHILDREN. The baseline is `frictionless validate`
followed by `sqlite-utils insert --csv` for each table (no FTS, no parity, no Parquet).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import write_package  # noqa: E402

BIN = Path(sys.executable).parent


def run(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return time.perf_counter() - t, proc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--workdir", type=Path, help="keep files here (default: a temp folder)")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="build-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    pkg = work / "pkg"
    t = time.perf_counter()
    descriptor = write_package(pkg, args.rows)
    print(f"synthetic package: {args.rows:,} rows in {time.perf_counter() - t:.1f} s -> {pkg}")

    out = work / "dist"
    load_before = os.getloadavg()
    wall, proc = run([str(BIN / "semicon"), "build", str(descriptor), "--out", str(out),
                      "--force", "--json", "--quiet"])
    if proc.returncode != 0:
        print(proc.stdout, proc.stderr, file=sys.stderr)
        return 1
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    maxrss_mb = usage.ru_maxrss / 1024
    cpu_s = usage.ru_utime + usage.ru_stime
    summary = json.loads(proc.stdout)
    timings = summary["timings"]
    total_rows = sum(summary["rows"].values())
    figures: dict = {
        "rows": args.rows,
        "build_wall_s": round(wall, 2),
        "build_stages_s": timings,
        # the SQLite file and the site's copy with its FTS5 index (`sqlite_fts`) together
        "sqlite_rows_per_s": round(total_rows / (timings["sqlite"]
                                                 + timings.get("sqlite_fts", 0.0)))
        if timings.get("sqlite") else None,
        "sqlite_copy_rows_per_s": round(total_rows / timings["sqlite_rows"])
        if timings.get("sqlite_rows") else None,
        "build_cpu_s": round(cpu_s, 2),
        "build_peak_rss_mb": round(maxrss_mb),
        "load_average_before": [round(x, 2) for x in load_before],
        "outputs_mb": {
            p.name: round(p.stat().st_size / 1e6, 1)
            for p in sorted(out.rglob("*")) if p.is_file() and not p.name.startswith(".")
        },
    }
    print(f"load average before the build: {load_before[0]:.2f} {load_before[1]:.2f}"
          f" {load_before[2]:.2f}")
    print(f"semicon build: {wall:.2f} s wall, {cpu_s:.2f} s CPU, peak RSS {maxrss_mb:.0f} MB")
    for stage, secs in timings.items():
        print(f"  {stage:<28} {secs:8.2f} s")
    print(f"  SQLite stage (rows, indexes; site copy with FTS5): "
          f"{figures['sqlite_rows_per_s']:,} rows/s")
    if figures["sqlite_copy_rows_per_s"]:
        print(f"  SQLite row copy (rows + primary key, before indexes and FTS5): "
              f"{figures['sqlite_copy_rows_per_s']:,} rows/s")

    if not args.skip_baseline:
        base_db = work / "baseline.db"
        base_db.unlink(missing_ok=True)
        v_s, v = run([str(BIN / "frictionless"), "validate", str(descriptor)])
        ins_s = 0.0
        for table, csv in (("sources", "sources.csv"), ("allocations", "allocations.csv")):
            s, p = run([str(BIN / "sqlite-utils"), "insert", str(base_db), table,
                        str(pkg / "data" / csv), "--csv"])
            ins_s += s
            if p.returncode != 0:
                print(p.stderr, file=sys.stderr)
        figures["baseline_s"] = {
            "frictionless_validate": round(v_s, 2),
            "sqlite_utils_insert": round(ins_s, 2),
            "total": round(v_s + ins_s, 2),
            "frictionless_exit": v.returncode,
        }
        figures["speedup"] = round((v_s + ins_s) / wall, 1)
        print(f"baseline: frictionless validate {v_s:.2f} s + sqlite-utils insert {ins_s:.2f} s"
              f" = {v_s + ins_s:.2f} s -> semicon build is {figures['speedup']}x faster")

    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
