"""Benchmark ``semicon validate`` against ``frictionless validate`` and a bare DuckDB scan.

    python benchmarks/validate_bench.py --rows 1000000
    python benchmarks/validate_bench.py --rows 10000000 --skip-frictionless
    python benchmarks/validate_bench.py --rows 1000000 --repeat 3 --pairs 3

Writes a valid and an invalid synthetic package (about 0.1% bad rows of every kind, see
``benchmarks/synthetic.py``) under ``benchmarks/out/`` (reused when already there), runs both
validators as subprocesses (wall time, peak memory of the child), prints the ratio and the
bare DuckDB ``count(*)`` floor, and checks that both report the same (row, field, code) set.
With ``--pairs N`` frictionless runs N times, each run between semicon runs timed in the
same minutes (:func:`compare`): the machine's speed drifts by a quarter within minutes
here, more than the difference being measured.

``semicon validate`` keeps the findings of its descriptor checks per descriptor digest
(docs/validate.md); its runs use a cache folder of their own, so the first of them is the
first run of the descriptor (printed too) and the best of them the everyday case. Every
run passes ``--no-cache``: the files are loaded and checked each time, never answered
from a kept report of an earlier run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.synthetic import write_package  # noqa: E402

FRICTIONLESS_CODES = {
    "type-error", "constraint-error", "unique-error", "primary-key", "foreign-key",
    "missing-cell", "extra-cell", "blank-row", "blank-label", "duplicate-label",
    "incorrect-label", "missing-label", "extra-label", "hash-count", "byte-count",
}
ROW_LEVEL = {"primary-key", "foreign-key", "extra-cell", "blank-row"}

#: runs a command (stdout to the file in argv[1]) and prints the child's wall time, CPU time
#: and peak RSS (KiB) as JSON on stderr
_MEASURE = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
with open(sys.argv[1], "wb") as out:
    p = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL)
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_kib": ru.ru_maxrss,
                  "rc": p.returncode}), file=sys.stderr)
"""


def measure(cmd: list[str], stdout: Path | None = None) -> dict:
    target = str(stdout) if stdout else os.devnull
    proc = subprocess.run([sys.executable, "-c", _MEASURE, target, *cmd], capture_output=True,
                          text=True, check=False)
    return json.loads(proc.stderr.strip().splitlines()[-1])


def ensure_package(folder: Path, rows: int, bad_every: int | None) -> Path:
    marker = folder / ".rows"
    wanted = f"{rows}:{bad_every}"
    descriptor = folder / "datapackage.json"
    if descriptor.exists() and marker.exists() and marker.read_text() == wanted:
        return descriptor
    t = time.perf_counter()
    write_package(folder, rows, bad_every=bad_every)
    marker.write_text(wanted)
    print(f"  generated {folder} in {time.perf_counter() - t:.1f} s")
    return descriptor


#: the bare scan: every cell as text, rows with too many or too few cells kept (the invalid
#: package has some), nothing checked
FLOOR_SQL = ("SELECT count(*) FROM read_csv('{path}', all_varchar = true, header = true, "
             "strict_mode = false, null_padding = true)")

_FLOOR = (
    "import duckdb, sys; "
    f"print(duckdb.sql({FLOOR_SQL!r}.format(path=sys.argv[1])).fetchall()[0][0])"
)


def duckdb_floor(csv_path: Path, repeat: int = 3) -> float:
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        con.execute(FLOOR_SQL.format(path=csv_path)).fetchall()
        best = min(best, time.perf_counter() - t)
    return best


def semicon_findings(descriptor: Path) -> set[tuple]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        subprocess.run([_semicon(), "validate", str(descriptor), "--no-cache", "--format", "json",
                        "--quiet", "--output", str(out)], check=False)
        data = json.loads(out.read_text())
    return {
        (f["line"], "" if f["code"] in ROW_LEVEL else (f["field"] or ""), f["code"])
        for f in data["findings"] if f["code"] in FRICTIONLESS_CODES
    }


def frictionless_findings(report_json: Path) -> set[tuple]:
    data = json.loads(report_json.read_text())
    out = set()
    for task in data.get("tasks", []):
        for err in task.get("errors", []):
            out.add((err.get("rowNumber"), err.get("fieldName") or "", err["type"]))
    return out


def compile_bytecode() -> None:
    """Compile semicon's modules to bytecode, as installing the wheel does: an editable
    install run with ``PYTHONDONTWRITEBYTECODE`` compiles them again at every start
    (about 0.06 s), which frictionless, installed from its wheel, does not pay."""
    import compileall

    for folder in ("cli", "schemas", "build"):
        compileall.compile_dir(HERE.parent / folder, quiet=1)


def _bin(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def _semicon() -> str:
    return _bin("semicon")


def _frictionless() -> str:
    return _bin("frictionless")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--bad-every", type=int, default=1000,
                    help="one bad row in N for the invalid package (default 1000 = 0.1%%)")
    ap.add_argument("--skip-frictionless", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="runs of semicon; best is kept")
    ap.add_argument("--pairs", type=int, default=1,
                    help="frictionless runs, each between semicon runs (see compare())")
    ap.add_argument("--out", type=Path, default=HERE / "out")
    args = ap.parse_args(argv)

    print(f"semicon validate benchmark, {args.rows:,} rows")
    compile_bytecode()
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="semicon-bench-cache-")
    cases = {
        "valid": ensure_package(args.out / f"valid-{args.rows}", args.rows, None),
        "invalid": ensure_package(args.out / f"invalid-{args.rows}", args.rows,
                                  args.bad_every),
    }
    ok = True
    for label, descriptor in cases.items():
        csv_path = descriptor.parent / "data" / "allocations.csv"
        size = csv_path.stat().st_size / 1e6
        floor = duckdb_floor(csv_path)
        floor_runs = [measure([sys.executable, "-c", _FLOOR, str(csv_path)])
                      for _ in range(args.repeat)]
        if any(r["rc"] != 0 for r in floor_runs):
            raise SystemExit(f"the bare DuckDB scan of {csv_path} failed")
        floor_cli = min(floor_runs, key=lambda r: r["wall"])
        semicon = [_semicon(), "validate", str(descriptor), "--quiet", "--no-cache"]
        runs = [measure(semicon) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["wall"])
        peak = max(r["rss_kib"] for r in runs) / 1024
        print(f"\n[{label}] {csv_path.name}: {size:.0f} MB, load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"  bare DuckDB count(*) (in process): {floor:7.2f} s")
        print(f"  bare DuckDB count(*) (python -c):  {floor_cli['wall']:7.2f} s "
              f"(cpu {floor_cli['cpu']:.2f} s)")
        print(f"  semicon validate (CLI, best of {args.repeat}): {best['wall']:7.2f} s "
              f"(cpu {best['cpu']:.2f} s, exit {best['rc']}), peak RSS {peak:.0f} MB, "
              f"{best['wall'] / floor:.1f}x the in-process floor, "
              f"{best['wall'] / floor_cli['wall']:.1f}x the CLI floor")
        print(f"  semicon validate, first run of the descriptor: {runs[0]['wall']:7.2f} s "
              f"(cpu {runs[0]['cpu']:.2f} s)")
        if not args.skip_frictionless:
            ok &= compare(descriptor, semicon, runs, args.pairs, args.repeat)
    return 0 if ok else 1


def compare(descriptor: Path, semicon: list[str], runs: list[dict], pairs: int,
            repeat: int) -> bool:
    """Frictionless beside semicon: each pair is one frictionless run between the best of
    ``repeat`` semicon runs before it and the best of ``repeat`` after it (the first
    pair's runs before are ``runs``), so that both are timed on the machine of the same
    minute; the ratio of each pair, their median, and whether the findings are the same."""
    fr_json = descriptor.parent / "frictionless-report.json"
    ratios = []
    before = runs
    for i in range(pairs):
        fr = measure([_frictionless(), "validate", str(descriptor), "--json",
                      "--limit-errors", "100000000"], stdout=fr_json)
        after = [measure(semicon) for _ in range(repeat)]
        best = min(before + after, key=lambda r: r["wall"])
        ratios.append(fr["wall"] / best["wall"])
        print(f"  pair {i + 1}: frictionless validate (CLI) {fr['wall']:7.2f} s "
              f"(cpu {fr['cpu']:.2f} s, exit {fr['rc']}), peak RSS {fr['rss_kib'] / 1024:.0f} MB; "
              f"semicon best of the {len(before) + len(after)} runs either side "
              f"{best['wall']:.2f} s (cpu {best['cpu']:.2f} s): {ratios[-1]:.1f}x wall, "
              f"{fr['cpu'] / best['cpu']:.1f}x cpu")
        before = after
    print(f"  speed-up: {statistics.median(ratios):.1f}x wall (median of {pairs} pairs; "
          f"{min(ratios):.1f}x-{max(ratios):.1f}x)")
    ours, theirs = semicon_findings(descriptor), frictionless_findings(fr_json)
    same = ours == theirs
    print(f"  same findings as frictionless: {same} ({len(ours)} vs {len(theirs)})")
    if not same:
        print(f"    only semicon: {sorted(ours - theirs)[:10]}")
        print(f"    only frictionless: {sorted(theirs - ours)[:10]}")
    return same


if __name__ == "__main__":
    raise SystemExit(main())
