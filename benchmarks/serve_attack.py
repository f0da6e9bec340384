"""The site under hostile traffic: each attack, bounded, while a legitimate visitor browses.

Builds the bundled package (``build_package``), starts the real server command ``semicon
serve`` runs (``semicon.build.server`` on a free loopback port) and, for each attack, runs a
bounded number of attacking requests (with a time bound) from threads on 127.0.0.1 while one
legitimate client fetches ordinary pages one after another. For each attack it prints the
legitimate client's p50/p99, the server's peak resident memory (``/proc/<pid>/status``
sampled every 20 ms) and what the attack got:

- ``errors``: bad SQL, unknown databases, bad parameters, missing plugin files, at
  concurrency 8; log bytes per error;
- ``functions``: the single SQL functions that ran past the 1 s time limit
  (``randomblob``, ``hex(zeroblob())``, ``printf('%.*c')``, a 200 MB blob as JSON; six
  ``printf`` at concurrency 3); the slowest one's time;
- ``csv``: 24 CSV exports, six at a time, each 1,000 rows with a 15 KB formula cell (~15 MB, under
  the 16 MB result budget);
- ``csv-big-cells``: the same with 10 cells of 1.5 MB each (cells near the 2 MB limit);
- ``csv-comma-cells``: the same with cells of 1.5 MB of commas (quoted cells, a delimiter
  in every byte);
- ``unique-urls``: 3,000 requests with unique URLs (1,500 HEAD with ~15 KB query strings,
  1,500 GET of the home page with short ones); memory growth and log bytes per request;
- ``slow-headers``: 600 connections trickling header bytes for 8 s; how many the server
  closed;
- ``proxy``: ``X-Forwarded-Proto: https`` then a plain request (is the answer poisoned?);
- ``fts3``: ``select fts3_tokenizer('simple')``.

    python benchmarks/serve_attack.py                       # every attack
    python benchmarks/serve_attack.py --only errors,csv --work /tmp/attack
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from semicon.build.server import server_command  # noqa: E402
from semicon.build.site import serve_args  # noqa: E402

from tests.serve.conftest import BUNDLED, build, free_port, wait_until_up  # noqa: E402

HOST = "127.0.0.1"  # loopback only


class Server:
    """The real server process, its log and its memory."""

    def __init__(self, work: Path) -> None:
        out = work / "dist"
        if not (out / "semicon-nl.db").is_file():
            build(BUNDLED, out)
        self.db = "semicon-nl"
        self.port = free_port()
        self.log = work / "server.log"
        cmd = server_command(*serve_args(BUNDLED, out, HOST, self.port))
        self.proc = subprocess.Popen(cmd, stdout=self.log.open("w"), stderr=subprocess.STDOUT,
                                     cwd=work)
        wait_until_up(f"http://{HOST}:{self.port}/", self.proc, timeout=120)

    def warm(self, pages: list[str]) -> None:
        """One request per page: compiled templates and cached pages, as on a live site."""
        for page in pages:
            fetch(self.port, page)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def log_bytes(self) -> int:
        return self.log.stat().st_size

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(20)


def fetch(port: int, path: str, method: str = "GET", timeout: float = 60,
          **headers: str) -> tuple[int, bytes, float]:
    """One request on its own connection: status, body, seconds (status 0: failed)."""
    start = time.perf_counter()
    try:
        con = http.client.HTTPConnection(HOST, port, timeout=timeout)
        con.request(method, path, headers=headers)
        resp = con.getresponse()
        body = resp.read()
        con.close()
        return resp.status, body, time.perf_counter() - start
    except (OSError, http.client.HTTPException):
        return 0, b"", time.perf_counter() - start


class Watch:
    """While an attack runs: a legitimate visitor's latencies and the server's peak memory."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.stop = threading.Event()
        self.latencies: list[float] = []
        self.failures = 0
        self.peak = server.rss_mb()
        db = server.db
        self.pages = ["/", f"/{db}/funding_allocations", f"/{db}/events.json?_size=20",
                      f"/{db}/beethoven_by_payer", f"/{db}/partnerships?_size=10", "/letter"]

    def _visitor(self) -> None:
        i = 0
        while not self.stop.is_set():
            status, _, seconds = fetch(self.server.port, self.pages[i % len(self.pages)],
                                       timeout=30)
            if status == 200:
                self.latencies.append(seconds)
            else:
                self.failures += 1
            i += 1
            time.sleep(0.02)

    def _memory(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, self.server.rss_mb())
            time.sleep(0.02)

    def __enter__(self) -> Watch:
        self.threads = [threading.Thread(target=f, daemon=True)
                        for f in (self._visitor, self._memory)]
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(60)

    def percentile(self, q: float) -> float:
        data = sorted(self.latencies)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, int(q * len(data)))] * 1000


def attack_requests(port: int, paths: list[str], concurrency: int, deadline_s: float,
                    method: str = "GET") -> list[tuple[int, float]]:
    """``paths`` at ``concurrency``; whatever is not started within ``deadline_s`` is skipped."""
    end = time.monotonic() + deadline_s

    def one(path: str) -> tuple[int, float]:
        if time.monotonic() > end:
            return -1, 0.0
        status, _, seconds = fetch(port, path, method=method)
        return status, seconds

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, paths))


def errors(s: Server) -> dict:
    db = s.db
    bad = ([f"/{db}.json?sql=delete+from+sources"] * 80 + [f"/nosuchdb{i}" for i in range(80)]
           + [f"/{db}/funding_allocations?_sort=nosuchcol"] * 40
           + [f"/{db}/funding_allocations?_sort_desc=x"] * 40
           + [f"/{db}/funding_allocations.json?_timelimit=abc"] * 40
           + ["/-/static-plugins/nosuch/x"] * 40
           + [f"/{db}.json?sql=select+sleep(" + "1" * 2000 + ")"] * 40)
    before = s.log_bytes()
    results = attack_requests(s.port, bad, 8, 60)
    time.sleep(1)  # the log is written by a background thread
    grown = s.log_bytes() - before
    statuses = sorted({st for st, _ in results})
    return {"requests": len(bad), "statuses": statuses,
            "log_bytes_per_error": round(grown / len(bad)),
            "slowest_s": round(max(sec for _, sec in results), 2)}


FUNCTION_QUERIES = [
    "select length(randomblob(999999999))",
    "select hex(zeroblob(499999999))",
    "select printf('%.*c',999999999,'x')",
    "select randomblob(200000000)",
    "select zeroblob(1500000) from funding_allocations",
]


def functions(s: Server) -> dict:
    paths = [f"/{s.db}.json?sql=" + quote(q) for q in FUNCTION_QUERIES]
    one_by_one = attack_requests(s.port, paths, 1, 120)
    printf = [f"/{s.db}.json?sql=" + quote("select printf('%.*c',999999999,'x')")] * 6
    together = attack_requests(s.port, printf, 3, 120)
    slowest = max(sec for _, sec in one_by_one + together)
    return {"requests": len(paths) + len(printf),
            "statuses": [st for st, _ in one_by_one],
            "slowest_s": round(slowest, 2)}


#: CSV exports per attack = six at a time x CSV_ROUNDS: six are over in well under a second,
#: too short for the legitimate client's p99 to be more than its slowest few requests
CSV_ROUNDS = 4


def csv_exports(s: Server, cell: int = 15_000, rows: int = 1000, char: str = "x") -> dict:
    """``6 * CSV_ROUNDS`` CSV exports, six at a time, of ``rows`` formula cells of ``cell``
    bytes each (``char``)."""
    items = ",".join(str(i) for i in range(rows))
    sql = (f"select value, '=' || printf('%.*c', {cell}, '{char}') as cell, -value as n "
           f"from json_each('[{items}]')")
    path = f"/{s.db}.csv?sql=" + quote(sql)
    sizes: list[int] = []

    def one(_: int) -> tuple[int, float]:
        status, body, seconds = fetch(s.port, path, timeout=120)
        sizes.append(len(body))
        return status, seconds

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(one, range(6 * CSV_ROUNDS)))
    return {"requests": len(results), "statuses": sorted({st for st, _ in results}),
            "mb_each": round(max(sizes) / 1e6, 1),
            "slowest_s": round(max(sec for _, sec in results), 2)}


def unique_urls(s: Server, count: int = 3000) -> dict:
    pad = "p" * 15000
    before_mb, before_log = s.rss_mb(), s.log_bytes()
    # half HEAD with ~15 KB query strings, half GET with short ones (the cache keeps those)
    heads = attack_requests(s.port, [f"/?_ref={i}&pad={pad}" for i in range(count // 2)], 8,
                            240, method="HEAD")
    gets = attack_requests(s.port, [f"/?_ref={i}" for i in range(count - count // 2)], 8, 240)
    time.sleep(1)
    done = sum(1 for st, _ in heads + gets if st > 0)
    return {"requests": done, "statuses": sorted({st for st, _ in heads + gets}),
            "growth_mb": round(s.rss_mb() - before_mb, 1),
            "log_bytes_per_request": round((s.log_bytes() - before_log) / max(done, 1))}


def slow_headers(s: Server, count: int = 600, seconds: float = 8) -> dict:
    socks = []
    for _ in range(count):
        try:
            sock = socket.create_connection((HOST, s.port), timeout=5)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            sock.setblocking(False)
            socks.append(sock)
        except OSError:
            break
    end = time.monotonic() + seconds
    closed: set[int] = set()
    while time.monotonic() < end and len(closed) < len(socks):
        for i, sock in enumerate(socks):
            if i in closed:
                continue
            try:
                sock.sendall(b"X-a: b\r\n")
                if sock.recv(1024) == b"":
                    closed.add(i)
            except BlockingIOError:
                pass
            except OSError:
                closed.add(i)
        time.sleep(0.5)
    for sock in socks:
        sock.close()
    return {"requests": len(socks), "closed_by_server": len(closed)}


def proxy(s: Server) -> dict:
    path = f"/{s.db}/funding_allocations.json?_size=2&_attack=proxy"
    fetch(s.port, path, **{"X-Forwarded-Proto": "https"})
    _, body, _ = fetch(s.port, path)
    next_url = json.loads(body).get("next_url") or ""
    return {"requests": 2, "poisoned": next_url.startswith("https://")}


def fts3(s: Server) -> dict:
    status, body, _ = fetch(s.port, f"/{s.db}.json?sql=" + quote("select fts3_tokenizer('simple')"))
    return {"requests": 1, "statuses": [status],
            "refused": b"not authorized" in body}


ATTACKS: dict[str, Callable[[Server], dict]] = {
    "errors": errors, "functions": functions, "csv": csv_exports,
    "csv-big-cells": lambda s: csv_exports(s, cell=1_500_000, rows=10),
    "csv-comma-cells": lambda s: csv_exports(s, cell=1_500_000, rows=10, char=","),
    "unique-urls": unique_urls, "slow-headers": slow_headers, "proxy": proxy, "fts3": fts3,
}


def run(work: Path, only: list[str]) -> list[dict]:
    results = []
    for name in only:
        server = Server(work)  # a fresh process each: its peak memory is this attack's
        try:
            server.warm(Watch(server).pages)
            with Watch(server) as watch:
                base = server.rss_mb()
                outcome = ATTACKS[name](server)
        finally:
            server.stop()
        row = {"attack": name, **outcome,
               "legit_requests": len(watch.latencies), "legit_failures": watch.failures,
               "legit_p50_ms": round(watch.percentile(0.5), 1),
               "legit_p99_ms": round(watch.percentile(0.99), 1),
               "rss_before_mb": round(base), "peak_mb": round(watch.peak),
               "loadavg_1m": round(os.getloadavg()[0], 2)}
        results.append(row)
        print(json.dumps(row), file=sys.stderr)
    return results


def markdown(results: list[dict]) -> str:
    lines = ["| attack | requests | legit p50 / p99 ms (failed) | server peak MB | outcome |",
             "|---|---:|---:|---:|---|"]
    skip = {"attack", "requests", "legit_requests", "legit_failures", "legit_p50_ms",
            "legit_p99_ms", "rss_before_mb", "peak_mb", "loadavg_1m"}
    for r in results:
        outcome = ", ".join(f"{k} {v}" for k, v in r.items() if k not in skip)
        lines.append(f"| {r['attack']} | {r['requests']:,} | {r['legit_p50_ms']} / "
                     f"{r['legit_p99_ms']} ({r['legit_failures']}) | {r['peak_mb']} | "
                     f"{outcome} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default=",".join(ATTACKS),
                    help=f"comma-separated subset of {','.join(ATTACKS)}")
    ap.add_argument("--work", type=Path, help="keep the build here and reuse it")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    only = [a for a in args.only.split(",") if a]
    with tempfile.TemporaryDirectory(prefix="serve-attack-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        results = run(work, only)
    print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
