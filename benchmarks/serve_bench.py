"""Load benchmark of the served site against bare Datasette on the same SQLite file.

For the bundled package and a synthetic package (``benchmarks/synthetic.py``, default
1,000,000 rows), it builds with ``build_package`` and measures, with ``wrk`` (concurrency 10,
bounded duration, loopback), the home page, a table page, a faceted table page, a query and the
JSON API on four servers/modes:

- ``bare``: ``datasette serve -i <db>`` with Datasette's default settings (same URL repeated);
- ``site-nocache``: ``semicon serve``'s exact Datasette command with the plugin's response
  cache and facet-count memo off (``SEMICON_CACHE_MB=0 SEMICON_FACET_MEMO=0``): **the primary
  figures** (every request does all its work);
- ``site-memo``: response cache off, facet-count memo on (same URL repeated): what the memo
  alone does (it only affects pages with facets or filtered counts);
- ``site-distinct``: the same command with both on (a fresh process), each request a
  URL drawn at random from ~1,000 distinct URLs of the same kind (``?_next=`` pages,
  ``_size`` variants, ``_ref=`` tracking-style arguments; see ``distinct_paths``), so most
  requests miss the cache;
- ``site-repeated``: cache on, the same URL again and again (every request after the first
  is a cache hit: an upper bound, not a visitor's experience).

    python benchmarks/serve_bench.py                 # bundled + 1M synthetic, 5 s per URL
    python benchmarks/serve_bench.py --rows 0        # bundled only
    python benchmarks/serve_bench.py --duration 10 --json results.json --work /tmp/bench
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from semicon.build.server import server_command  # noqa: E402
from semicon.build.site import datasette_command, serve_args  # noqa: E402

from tests.serve.conftest import free_port, wait_until_up  # noqa: E402

BUNDLED = ROOT / "datapackage" / "datapackage.json"
# The slow 1M aggregate query last: its queued SQL must not spill into the next page's run.
PAGES = ("home", "table", "facet", "json", "query")
MODES = ("bare", "site-nocache", "site-memo", "site-distinct", "site-repeated")
N_DISTINCT = 1000

# wrk script: every request is a path drawn at random (fixed seed per thread) from the file
# named by WRK_PATHS, one path per line.
LUA = """
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local counter = 1
function setup(thread)
  thread:set("seed", counter)
  counter = counter + 1
end
function init(args)
  math.randomseed(seed * 7919)
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(base: str, paths: list[str], duration: int, connections: int, threads: int,
            work: Path) -> dict:
    """``wrk`` on one path, or on a random mix of ``paths`` (Lua script) when there are many."""
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
           "--timeout", "10s", "--latency"]
    env = dict(os.environ)
    if len(paths) > 1:
        script, listing = work / "distinct.lua", work / "paths.txt"
        script.write_text(LUA, "utf-8")
        listing.write_text("\n".join(paths) + "\n", "utf-8")
        cmd += ["-s", str(script)]
        env["WRK_PATHS"] = str(listing)
    out = subprocess.run([*cmd, base + paths[0]], capture_output=True, text=True, env=env,
                         timeout=duration + 60, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*timeout (\d+)", out)
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "urls": len(paths),
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
    """Build with the real pipeline (and the release zip the home page links)."""
    from tests.serve.conftest import build as build_site

    t = time.perf_counter()
    build_site(descriptor, out)
    print(f"built {descriptor} in {time.perf_counter() - t:.1f} s", file=sys.stderr)


def urls_for(db: str, table: str, facet: str, query_path: str) -> dict[str, str]:
    return {
        "home": "/",
        "table": f"/{db}/{table}",
        "facet": f"/{db}/{table}?_facet={facet}",
        "query": query_path,
        "json": f"/{db}/{table}.json?_shape=array&_size=100",
    }


def _tilde(value: str) -> str:
    from datasette.utils import tilde_encode

    return tilde_encode(value)


def next_tokens(db_path: Path, table: str, n: int, sort: str = "amount",
                desc: bool = True, page_size: int = 50) -> list[str]:
    """``?_next=`` tokens of the first ``n`` pages in the table's default sort.

    A token is ``<sort value>,<primary key>`` of a page's last row: what a visitor gets by
    clicking "Next" from page 1 onwards. A table with fewer than ``n`` pages yields one
    token per row (any row is a valid page start).
    """
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        info = list(con.execute(f"pragma table_info([{table}])"))
        pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
        cols = {r[1] for r in info}
        key = pk[0] if len(pk) == 1 else "rowid"
        sort = sort if sort in cols else key
        order = f"[{sort}] {'desc' if desc else 'asc'}" + (f", [{key}]" if sort != key else "")
        rows = con.execute(f"select [{sort}], [{key}] from [{table}] order by {order} "
                           f"limit ?", ((n + 1) * page_size,)).fetchall()
        picked = rows[page_size - 1::page_size][:n]
        if len(picked) < n // 10:
            picked = rows
        if sort == key:
            return [_tilde(str(k)) for _, k in picked]
        return [_tilde(str(v)) + "," + _tilde(str(k)) for v, k in picked]
    finally:
        con.close()


def distinct_paths(paths: dict[str, str], db_path: Path, table: str,
                   n: int = N_DISTINCT) -> dict[str, list[str]]:
    """About ``n`` distinct URLs per page, each as cheap to compute as the page itself.

    Table, facet and JSON pages: the first ``n`` ``?_next=`` pages, combined with ``_size``
    variants when the table has fewer rows than ``n`` pages. (Datasette computes a page's
    facets over the rows after its ``_next`` cursor, so every faceted page is a new
    ``GROUP BY``.) Home page and query: a
    ``_ref=<i>`` argument (what tracking links such as ``?ref=newsletter`` do to a cache).
    """
    tokens = next_tokens(db_path, table, n)
    needed = -(-n // (len(tokens) + 1))
    sizes = [*range(50, 0, -1), *range(51, 101)][:max(1, needed)]
    combos = [(t, s) for s in sizes for t in [None, *tokens]][:n]

    def page(base: str, default_size: int | None) -> list[str]:
        out = []
        for token, size in combos:
            sep = "&" if "?" in base else "?"
            extra = []
            if token:
                extra.append("_next=" + quote(token, safe=""))
            if size != 50 or default_size is None:
                extra.append(f"_size={size * 2 if default_size is None else size}")
            out.append(base + (sep + "&".join(extra) if extra else ""))
        return out

    def ref(base: str) -> list[str]:
        sep = "&" if "?" in base else "?"
        return [f"{base}{sep}_ref={i}" for i in range(n)]

    json_base = paths["json"].replace("&_size=100", "")
    return {
        "home": ref(paths["home"]),
        "table": page(paths["table"], 50),
        "facet": page(paths["facet"], 50),
        "query": ref(paths["query"]),
        "json": page(json_base, None),
    }


def bare_query_path(db: str, query_path: str) -> str:
    """Bare Datasette has no canned queries: run the canned query's SQL with ``?sql=``."""
    name = query_path.rsplit("/", 1)[-1]
    if "?" in name:
        return query_path
    queries = json.loads(BUNDLED.read_text())["semicon"]["site"]["queries"]
    sql = queries[name]["sql"]
    return f"/{db}?sql=" + quote("\n".join(sql) if isinstance(sql, list) else sql)


def drain(base: str, probe: str, timeout: float = 60) -> None:
    """Wait until the server is idle: requests a run left queued (slow SQL keeps running
    after wrk stops) would otherwise land in the next run's latencies."""
    deadline = time.monotonic() + timeout
    fast = i = 0
    while fast < 3 and time.monotonic() < deadline:
        t = time.perf_counter()
        i += 1
        try:  # a new URL each time: a cached answer would say nothing
            with urllib.request.urlopen(f"{base}{probe}&_ref=drain{i}", timeout=30) as r:
                r.read()
        except (urllib.error.URLError, OSError):
            pass
        fast = fast + 1 if time.perf_counter() - t < 0.1 else 0
        time.sleep(0.5)


def _check(base: str, paths: list[str]) -> None:
    """A few of the distinct URLs should answer 200, or the run would measure error pages."""
    for p in paths[:: max(1, len(paths) // 5)]:
        try:
            with urllib.request.urlopen(base + p, timeout=60):
                pass
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise RuntimeError(f"{p}: HTTP 404") from exc
            print(f"warning: {p}: HTTP {exc.code}", file=sys.stderr)


def bench_dataset(label: str, descriptor: Path, work: Path, table: str, facet: str,
                  query_path: str, duration: int, connections: int, threads: int,
                  modes: tuple[str, ...] = MODES) -> list[dict]:
    out = work / "dist"
    build(descriptor, out)  # build_package skips when the outputs are up to date
    name = json.loads(descriptor.read_text())["name"]
    db = out / f"{name}.db"
    site_cmd = server_command(*serve_args(descriptor, out, "127.0.0.1", 0))
    servers = {
        "bare": (datasette_command("-i", str(db), "--host", "127.0.0.1"), {}),
        "site-nocache": (site_cmd, {"SEMICON_CACHE_MB": "0", "SEMICON_FACET_MEMO": "0"}),
        "site-memo": (site_cmd, {"SEMICON_CACHE_MB": "0"}),
        "site-cache": (site_cmd, {}),
    }
    wanted = {"bare": ["bare"], "site-nocache": ["site-nocache"], "site-memo": ["site-memo"],
              "site-cache": [m for m in ("site-distinct", "site-repeated") if m in modes]}
    results = []
    for server, (cmd, env) in servers.items():
        run_modes = [m for m in wanted[server] if m in modes]
        if not run_modes:
            continue
        proc, base = start(cmd, env, work / f"{server}.log", out)
        try:
            qpath = bare_query_path(name, query_path) if server == "bare" else query_path
            paths = urls_for(name, table, facet, qpath)
            spread = distinct_paths(paths, db, table) if "site-distinct" in run_modes else {}
            for page in PAGES:
                for mode in run_modes:
                    targets = spread[page] if mode == "site-distinct" else [paths[page]]
                    if mode == "site-distinct":
                        _check(base, targets)
                    else:  # one warm-up request: the first hit compiles templates
                        subprocess.run(["curl", "-s", "-o", "/dev/null", base + targets[0]],
                                       check=False)
                    r = run_wrk(base, targets, duration, connections, threads, work)
                    drain(base, f"/{name}/{table}.json?_size=1&_nocount=1")
                    r.update({"dataset": label, "server": mode, "page": page,
                              "path": paths[page],
                              # other work on the machine skews everything: keep a record
                              "loadavg_1m": round(os.getloadavg()[0], 2)})
                    results.append(r)
                    print(f"{label:14} {mode:13} {page:6} {r['rps']:9.1f} req/s  "
                          f"p50 {r['p50_ms']:8.1f} ms  p99 {r['p99_ms']:8.1f} ms"
                          f"{'  non-2xx ' + str(r['non_2xx']) if r['non_2xx'] else ''}",
                          file=sys.stderr)
        finally:
            proc.terminate()
            proc.wait(20)
    return results


def markdown(results: list[dict]) -> str:
    """One row per (data, page); req/s, p50 and p99 for each mode side by side."""
    modes = [m for m in MODES if any(r["server"] == m for r in results)]
    head = "| data | page | " + " | ".join(f"{m} req/s, p50, p99 ms" for m in modes) + " |"
    lines = [head, "|---|---|" + "---:|" * len(modes)]
    keys = []
    for r in results:
        if (r["dataset"], r["page"]) not in keys:
            keys.append((r["dataset"], r["page"]))
    for dataset, page in keys:
        cells = []
        for m in modes:
            r = next((x for x in results if (x["dataset"], x["page"], x["server"])
                      == (dataset, page, m)), None)
            if r is None:
                cells.append("")
                continue
            err = f" ({r['non_2xx']} errors)" if r["non_2xx"] else ""
            cells.append(f"{r['rps']:,.1f}, {r['p50_ms']:.1f}, {r['p99_ms']:.1f}{err}")
        lines.append(f"| {dataset} | {page} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000,
                    help="synthetic rows (0: bundled package only)")
    ap.add_argument("--duration", type=int, default=5, help="seconds of wrk per URL")
    ap.add_argument("--connections", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--modes", default=",".join(MODES),
                    help=f"comma-separated subset of {','.join(MODES)}")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--work", type=Path,
                    help="keep builds here and reuse them (default: a temporary folder)")
    ap.add_argument("--skip-bundled", action="store_true")
    args = ap.parse_args(argv)
    modes = tuple(m for m in args.modes.split(",") if m)
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as tmp:
        root = args.work or Path(tmp)
        opts = dict(duration=args.duration, connections=args.connections,
                    threads=args.threads, modes=modes)
        if not args.skip_bundled:
            w = root / "bundled"
            w.mkdir(parents=True, exist_ok=True)
            results += bench_dataset(
                "bundled", BUNDLED, w, "funding_allocations", "currency",
                "/semicon-nl/beethoven_by_payer", **opts)
        if args.rows:
            from benchmarks.synthetic import write_package

            w = root / "synthetic"
            descriptor = w / "package" / "datapackage.json"
            if not descriptor.is_file():
                t = time.perf_counter()
                descriptor = write_package(w / "package", args.rows)
                print(f"wrote {args.rows} synthetic rows in {time.perf_counter() - t:.1f} s",
                      file=sys.stderr)
            sql = "select status, currency, count(*) as n, sum(amount) as total " \
                  "from allocations group by status, currency"
            results += bench_dataset(
                f"{args.rows:,} rows", descriptor, w, "allocations", "status",
                "/synthetic-allocations?sql=" + quote(sql), **opts)
    print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
