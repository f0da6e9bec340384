"""What one request to each page of the site costs, in process (no socket, no load generator).

Builds the bundled package (``build_package`` skips when ``--work`` already holds an up-to-date
build), opens it exactly as ``semicon serve`` does but as an in-process Datasette
(``tests/serve/conftest.py`` ``in_process``, with the response cache and facet-count memo off),
warms each page once, then requests it ``--repeat`` times one after another and prints, per
page, the median and p95 wall time and the mean CPU time of the process per request.
Datasette's ``plugin_config`` calls are counted too (a page should not read the plugin
configuration per cell).

    python benchmarks/serve_inprocess.py
    python benchmarks/serve_inprocess.py --repeat 50 --work /tmp/inproc --json inproc.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.serve.conftest import BUNDLED, build, declared_queries, in_process  # noqa: E402


def page_paths(descriptor: Path) -> dict[str, str]:
    """The pages of ``serve_bench.py`` for the bundled package, plus its CSV export."""
    name = json.loads(descriptor.read_text())["name"]
    query = next(iter(declared_queries(descriptor)))
    table = "funding_allocations"
    return {
        "home": "/",
        "table": f"/{name}/{table}",
        "facet": f"/{name}/{table}?_facet=currency",
        "query": f"/{name}/{query}",
        "json": f"/{name}/{table}.json?_shape=array&_size=100",
        "csv": f"/{name}/{table}.csv?_size=max",
    }


async def measure(ds, paths: dict[str, str], repeat: int) -> list[dict]:
    calls = {"n": 0}
    plugin_config = ds.plugin_config

    def counted(*args, **kwargs):
        calls["n"] += 1
        return plugin_config(*args, **kwargs)

    ds.plugin_config = counted
    results = []
    for page, path in paths.items():
        response = await ds.client.get(path)  # warm-up: templates compile on first use
        assert response.status_code == 200, (path, response.status_code)
        walls, calls["n"] = [], 0
        cpu = time.process_time()
        for _ in range(repeat):
            t = time.perf_counter()
            await ds.client.get(path)
            walls.append((time.perf_counter() - t) * 1000)
        cpu_ms = (time.process_time() - cpu) * 1000 / repeat
        walls.sort()
        results.append({
            "page": page, "path": path, "median_ms": round(statistics.median(walls), 2),
            "p95_ms": round(walls[int(0.95 * (len(walls) - 1))], 2),
            "cpu_ms": round(cpu_ms, 2), "plugin_config_calls": calls["n"] / repeat,
        })
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="requests per page")
    parser.add_argument("--work", type=Path, help="build folder to keep and reuse")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    os.environ.update({"SEMICON_CACHE_MB": "0", "SEMICON_FACET_MEMO": "0",
                       "SEMICON_GC_TUNING": "0"})
    work = args.work or Path(tempfile.mkdtemp(prefix="semicon-inproc-"))
    out = work / "dist"
    build(BUNDLED, out)
    ds = in_process(BUNDLED, out)
    results = asyncio.run(measure(ds, page_paths(BUNDLED), args.repeat))
    load = round(os.getloadavg()[0], 2)
    print(f"in process, {args.repeat} requests a page, load average {load}")
    print(f"{'page':6} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8} {'plugin_config':>14}")
    for r in results:
        print(f"{r['page']:6} {r['median_ms']:10.2f} {r['p95_ms']:8.2f} {r['cpu_ms']:8.2f} "
              f"{r['plugin_config_calls']:14.1f}")
    if args.json:
        args.json.write_text(json.dumps({"loadavg_1m": load, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
