"""Paired runs of whole processes on a small package: ``semicon validate`` against
``frictionless validate``, with and without a kept report.

    python benchmarks/startup_bench.py                       # the bundled package, 10 pairs
    python benchmarks/startup_bench.py path/to/datapackage.json --pairs 20

Each round runs the three commands back to back, in rotating order, so that all see the
same machine state; the medians, the ratios of medians, the medians of the per-round ratios
and the peak RSS (largest of any process of the run, children included) are printed, with
the load average before and after.

The three commands: ``semicon validate`` of a package validated before (its report kept,
docs/validate.md "Kept reports"), ``semicon validate --no-cache`` (every file loaded and
checked again; only the descriptor checks' findings kept by digest) and ``frictionless
validate``. The first run, with an empty cache folder, is printed too. semicon's modules
are compiled to bytecode first, as installing its wheel does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.validate_bench import _bin, compile_bytecode, measure  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("package", nargs="?", default=str(HERE.parent / "datapackage" /
                                                      "datapackage.json"))
    ap.add_argument("--pairs", type=int, default=10, help="rounds of the three commands")
    args = ap.parse_args(argv)
    semicon = [_bin("semicon"), "validate", args.package, "--quiet"]
    commands = {
        "semicon": semicon,
        "semicon --no-cache": [*semicon, "--no-cache"],
        "frictionless": [_bin("frictionless"), "validate", args.package],
    }
    compile_bytecode()
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="semicon-bench-cache-")
    first = measure(commands["semicon"])
    load_before = os.getloadavg()
    runs: dict[str, list[dict]] = {name: [] for name in commands}
    names = list(commands)
    for i in range(args.pairs):
        order = names[i % len(names):] + names[:i % len(names)]
        for name in order:
            runs[name].append(measure(commands[name]))
    load_after = os.getloadavg()
    print(f"{args.package}: {args.pairs} pairs, load average "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after")
    for name, items in runs.items():
        walls = [r["wall"] for r in items]
        print(f"  {name:18s} median {statistics.median(walls):.3f} s (min {min(walls):.3f}, "
              f"max {max(walls):.3f}), cpu {statistics.median(r['cpu'] for r in items):.3f} s,"
              f" peak RSS {max(r['rss_kib'] for r in items) / 1024:.0f} MB, exit "
              f"{sorted({r['rc'] for r in items})}")
    print(f"  semicon, first run (empty cache): {first['wall']:.3f} s, "
          f"cpu {first['cpu']:.3f} s, peak RSS {first['rss_kib'] / 1024:.0f} MB, "
          f"exit {first['rc']}")
    theirs = statistics.median(r["wall"] for r in runs["frictionless"])
    for name in ("semicon", "semicon --no-cache"):
        ours = statistics.median(r["wall"] for r in runs[name])
        paired = statistics.median(f["wall"] / s["wall"] for s, f in
                                   zip(runs[name], runs["frictionless"], strict=True))
        print(f"  frictionless / {name}: {theirs / ours:.2f}x (medians), "
              f"{paired:.2f}x (median of rounds)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
