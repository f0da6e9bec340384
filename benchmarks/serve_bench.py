"""Load benchmark of the served site against bare Datasette on the same SQLite file.

For the bundled package and a synthetic package (``benchmarks/synthetic.py``, default
1,000,000 rows), it builds with ``build_package``, starts

- ``site``: ``semicon serve``'s exact Datasette command (metadata, plugins, settings,
  response cache on),
- ``site-nocache``: the same with the plugin's response cache off (``SEMICON_CACHE_MB=0``),
- ``bare``: ``datasette serve -i <db>`` with Datasette's default settings,

and runs ``wrk`` (concurrency 10, bounded duration) on loopback against the home page, a table
page, a faceted table page, a canned query (or, for the synthetic package, an aggregate SQL
query) and the JSON API. Prints a Markdown table of req/s, p50 and p99.

    python benchmarks/serve_bench.py                 # bundled + 1M synthetic, 5 s per URL
    python benchmarks/serve_bench.py --rows 0        # bundled only
    python benchmarks/serve_bench.py --duration 10 --json results.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from semicon.cli.serve import datasette_command, serve_args  # noqa: E402

from tests.serve.conftest import free_port, wait_until_up  # noqa: E402

BUNDLED = ROOT / "datapackage" / "datapackage.json"


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(url: str, duration: int, connections: int, threads: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
         "--timeout", "10s", "--latency", url],
        capture_output=True, text=True, timeout=duration + 60, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*timeout (\d+)", out)
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99,
            "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "timeouts": int(errors.group(1)) if errors else 0}


def start(cmd: list[str], env: dict | None, log: Path, cwd: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [*cmd]
    if "--port" in cmd:
        cmd[cmd.index("--port") + 1] = str(port)
    else:
        cmd += ["--port", str(port)]
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, cwd=cwd,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url + "/", proc, timeout=300)
    return proc, url


def build(descriptor: Path, out: Path) -> None:
    """``build_package``; the tests' stand-in builder only if the pipeline fails."""
    from tests.serve.conftest import build as build_for_tests

    t = time.perf_counter()
    how = build_for_tests(descriptor, out)
    print(f"built {descriptor} ({how}) in {time.perf_counter() - t:.1f} s", file=sys.stderr)


def urls_for(db: str, table: str, facet: str, query_path: str) -> dict[str, str]:
    return {
        "home": "/",
        "table": f"/{db}/{table}",
        "facet": f"/{db}/{table}?_facet={facet}",
        "query": query_path,
        "json": f"/{db}/{table}.json?_shape=array&_size=100",
    }


def bare_query_path(db: str, query_path: str, descriptor: Path) -> str:
    """Bare Datasette has no canned queries: run the canned query's SQL with ``?sql=``."""
    name = query_path.rsplit("/", 1)[-1]
    if "?" in name:
        return query_path
    from semicon.build.canned_queries import QUERIES

    return f"/{db}?sql=" + quote(QUERIES[name]["sql"].strip())


def bench_dataset(label: str, descriptor: Path, work: Path, table: str, facet: str,
                  query_path: str, duration: int, connections: int, threads: int) -> list[dict]:
    out = work / "dist"
    build(descriptor, out)
    name = json.loads(descriptor.read_text())["name"]
    db = out / f"{name}.db"
    site_cmd = datasette_command(*serve_args(descriptor, out, "127.0.0.1", 0))
    servers = {
        "site": (site_cmd, {}),
        "site-nocache": (site_cmd, {"SEMICON_CACHE_MB": "0"}),
        "bare": (datasette_command("-i", str(db), "--host", "127.0.0.1"), {}),
    }
    results = []
    for server, (cmd, env) in servers.items():
        proc, base = start(cmd, env, work / f"{server}.log", out)
        try:
            qpath = bare_query_path(name, query_path, descriptor) if server == "bare" \
                else query_path
            for page, path in urls_for(name, table, facet, qpath).items():
                # one warm-up request: the first hit pays for template compilation
                subprocess.run(["curl", "-s", "-o", "/dev/null", base + path], check=False)
                r = run_wrk(base + path, duration, connections, threads)
                r.update({"dataset": label, "server": server, "page": page, "path": path})
                results.append(r)
                print(f"{label:9} {server:13} {page:6} {r['rps']:9.1f} req/s  "
                      f"p50 {r['p50_ms']:8.1f} ms  p99 {r['p99_ms']:8.1f} ms"
                      f"{'  non-2xx ' + str(r['non_2xx']) if r['non_2xx'] else ''}",
                      file=sys.stderr)
        finally:
            proc.terminate()
            proc.wait(20)
    return results


def markdown(results: list[dict]) -> str:
    lines = ["| data | server | page | req/s | p50 ms | p99 ms | non-2xx |",
             "|---|---|---|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['dataset']} | {r['server']} | {r['page']} | {r['rps']:.1f} | "
                     f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['non_2xx']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000,
                    help="synthetic rows (0: bundled package only)")
    ap.add_argument("--duration", type=int, default=5, help="seconds of wrk per URL")
    ap.add_argument("--connections", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--skip-bundled", action="store_true")
    args = ap.parse_args(argv)
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as tmp:
        tmp_path = Path(tmp)
        if not args.skip_bundled:
            w = tmp_path / "bundled"
            w.mkdir()
            results += bench_dataset(
                "bundled", BUNDLED, w, "funding_allocations", "currency",
                "/semicon-nl/beethoven_by_payer", args.duration, args.connections, args.threads)
        if args.rows:
            from benchmarks.synthetic import write_package

            w = tmp_path / "synthetic"
            t = time.perf_counter()
            descriptor = write_package(w / "package", args.rows)
            print(f"wrote {args.rows} synthetic rows in {time.perf_counter() - t:.1f} s",
                  file=sys.stderr)
            sql = "select status, currency, count(*) as n, sum(amount) as total " \
                  "from allocations group by status, currency"
            results += bench_dataset(
                f"{args.rows:,} rows", descriptor, w, "allocations", "status",
                "/synthetic-allocations?sql=" + quote(sql), args.duration, args.connections,
                args.threads)
    print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
