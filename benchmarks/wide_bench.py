"""Benchmark ``semicon validate`` (and ``semicon build``) on wide tables: 4 rows, N columns.

    python benchmarks/wide_bench.py                       # 250 ... 8,000 and 9,074 columns
    python benchmarks/wide_bench.py --columns 9074 --build --repeat 3
    python benchmarks/wide_bench.py --columns 250 1000 4000 9074 --build --repeat 1

Writes one package per width under ``benchmarks/out/wide-<N>/`` (a CSV of 4 rows whose
columns cycle through string, integer, number, date and boolean fields, one cell a type
error so the findings are checked too), runs the CLI as a subprocess (best of ``--repeat``
wall times) and prints the time per column and the time each column added since the
previous width costs, which stays flat when the time is linear in the number of columns.
With ``--build`` it also times ``semicon build`` of the same table (the type error
corrected): best wall time, CPU time (user + system) and milliseconds per column, which
stay flat when the build is linear in columns.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WIDTHS = (250, 500, 1000, 2000, 4000, 8000, 9074)
KINDS = (("string", "abc"), ("integer", "42"), ("number", "3.5"), ("date", "2020-01-02"),
         ("boolean", "true"))


def write_wide(folder: Path, columns: int, rows: int = 4) -> Path:
    """A package with one CSV of ``rows`` rows and ``columns`` typed columns."""
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    fields = [{"name": f"col_{i}", "type": KINDS[i % len(KINDS)][0]} for i in range(columns)]
    lines = [",".join(f["name"] for f in fields)]
    for r in range(rows):
        cells = [KINDS[i % len(KINDS)][1] for i in range(columns)]
        if r == rows - 1:
            cells[1] = "not a number"  # one type error, checked below
        lines.append(",".join(cells))
    (data / "wide.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    descriptor = {"name": f"wide-{columns}", "resources": [{
        "name": "wide", "path": "data/wide.csv", "format": "csv",
        "schema": {"fields": fields}}]}
    path = folder / "datapackage.json"
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    return path


def run(cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall and CPU seconds (user + system of the child) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, nargs="*", default=list(WIDTHS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--build", action="store_true", help="also time semicon build")
    args = parser.parse_args()
    semicon = str(Path(sys.executable).with_name("semicon"))
    print(f"{'columns':>8} {'validate s':>11} {'cpu s':>7} {'ms/column':>10} "
          f"{'ms/added column':>16}"
          + (f" {'build s':>9} {'cpu s':>7} {'ms/column':>10}" if args.build else ""))
    previous: tuple[int, float] | None = None
    for columns in args.columns:
        folder = HERE / "out" / f"wide-{columns}"
        pkg = write_wide(folder, columns)
        best = cpu_best = float("inf")
        for _ in range(args.repeat):
            wall, cpu, proc = run([semicon, "validate", str(pkg), "--no-cache", "--format", "json"])
            report = json.loads(proc.stdout)
            found = [(f["code"], f["line"], f["field"]) for f in report["findings"]]
            if found != [("type-error", 5, "col_1")]:
                raise SystemExit(f"{columns} columns: unexpected findings {found[:5]}")
            best, cpu_best = min(best, wall), min(cpu_best, cpu)
        # the time each column added since the previous width costs: flat when linear
        added = (f"{1000 * (best - previous[1]) / (columns - previous[0]):>16.3f}"
                 if previous else f"{'':>16}")
        previous = (columns, best)
        line = (f"{columns:>8} {best:>11.2f} {cpu_best:>7.2f} {1000 * best / columns:>10.3f} "
                f"{added}")
        if args.build:
            (folder / "data" / "wide.csv").write_text(
                (folder / "data" / "wide.csv").read_text().replace("not a number", "7"))
            build_best = build_cpu = float("inf")
            for _ in range(args.repeat):
                with tempfile.TemporaryDirectory() as out:
                    wall, cpu, proc = run([semicon, "build", str(pkg), "--out", out, "-q"])
                if proc.returncode != 0:
                    line += (f" build failed after {wall:.1f} s: "
                             f"{(proc.stderr or proc.stdout).strip()[:120]}")
                    break
                build_best, build_cpu = min(build_best, wall), min(build_cpu, cpu)
            else:
                line += (f" {build_best:>9.2f} {build_cpu:>7.2f} "
                         f"{1000 * build_best / columns:>10.3f}")
        print(line, flush=True)


if __name__ == "__main__":
    main()
