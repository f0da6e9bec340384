"""``semicon validate --engine spark`` beside the DuckDB engine, as whole processes.

    python benchmarks/spark_bench.py --rows 10000000 --master 'local[2]'

Uses the synthetic packages of ``validate_bench.py`` (valid, and with 0.1% bad rows) under
``benchmarks/out/``; runs each engine as a subprocess, sampling the resident memory of the
whole process tree (the JVM included) every 0.2 s, and prints wall time, CPU time (the
last sample of each process: a lower bound), the Spark session's start-up, rows per second
and peak memory; checks that both engines give the
same (resource, field, code, count) findings.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.validate_bench import _bin, ensure_package  # noqa: E402


def _tree(pid: int, cpu: dict[int, float]) -> int:
    """Resident bytes of ``pid`` and all its descendants (from /proc); records each one's
    CPU seconds (user + system) in ``cpu``."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    rss: dict[int, int] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            children[int(fields[1])].append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            times[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError, ValueError):
            continue
    total, pending = 0, [pid]
    while pending:
        p = pending.pop()
        total += rss.get(p, 0)
        if p in times:
            cpu[p] = max(cpu.get(p, 0.0), times[p])
        pending += children.get(p, [])
    return total


def run(cmd: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        started = time.perf_counter()
        proc = subprocess.Popen([*cmd, "--format", "json", "--output", str(out)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak = 0
        cpu: dict[int, float] = {}
        while proc.poll() is None:
            peak = max(peak, _tree(proc.pid, cpu))
            time.sleep(0.2)
        wall = time.perf_counter() - started
        report = json.loads(out.read_text()) if out.exists() else {}
    counts: collections.Counter = collections.Counter()
    for f in report.get("findings", []):
        counts[(f["resource"], f["field"], f["code"])] += f.get("count", 1)
    return {"wall": wall, "peak_mb": peak / 2**20, "rc": proc.returncode,
            "cpu": sum(cpu.values()),
            "stats": report.get("stats", {}), "counts": dict(counts)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--bad-every", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--only", choices=["valid", "invalid"])
    args = ap.parse_args(argv)
    semicon = _bin("semicon")
    ok = True
    for label, bad in (("valid", None), ("invalid", args.bad_every)):
        if args.only and label != args.only:
            continue
        descriptor = ensure_package(args.out / f"{label}-{args.rows}", args.rows, bad)
        load = os.getloadavg()[0]
        duck = run([semicon, "validate", str(descriptor), "--quiet", "--no-cache"])
        spark = run([semicon, "validate", str(descriptor), "--quiet", "--engine", "spark",
                     "--master", args.master])
        load_after = os.getloadavg()[0]
        session = spark["stats"].get("spark_session_seconds", 0.0)
        print(f"\n[{label}] {args.rows:,} rows, load average {load:.2f} -> {load_after:.2f}")
        for name, r in (("duckdb", duck), (f"spark {args.master}", spark)):
            print(f"  {name:16s} {r['wall']:8.1f} s wall, {r['cpu']:8.1f} s CPU (sampled), "
                  f"peak {r['peak_mb']:6.0f} MB "
                  f"(process tree), exit {r['rc']}, "
                  f"{args.rows / r['wall']:,.0f} rows/s")
        print(f"  spark session start {session:.1f} s; checks {spark['wall'] - session:.1f} s"
              f" ({args.rows / max(spark['wall'] - session, 1e-9):,.0f} rows/s)")
        same = duck["counts"] == spark["counts"]
        ok &= same
        print(f"  same (resource, field, code, count): {same} "
              f"({sum(duck['counts'].values())} vs {sum(spark['counts'].values())})")
        if not same:
            diff = set(duck["counts"].items()) ^ set(spark["counts"].items())
            print(f"    differences: {sorted(diff, key=str)[:10]}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
