"""The real server under hostile requests: what only a running uvicorn process can show."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from semicon.build.server import HEADER_TIMEOUT, server_command
from semicon.build.site import serve_args
from semicon.cli.main import cli

from tests.serve.conftest import BUNDLED, free_port, start_site, wait_until_up


def request(url: str, path: str, method: str = "GET", **headers: str):
    """One request on a fresh connection: status, every header (repeats kept), body."""
    u = urlsplit(url)
    con = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    con.request(method, path, headers=headers)
    resp = con.getresponse()
    body = resp.read()
    con.close()
    return resp.status, resp.headers, body


def html_links(body: bytes) -> set[str]:
    found = {unescape(h).split("#")[0] for h in re.findall(r'href="([^"]+)"', body.decode())}
    return {h for h in found if h.startswith("/") and not h.startswith("//")}


def test_every_html_page_has_one_csp_and_one_referrer_policy(site):
    _, _, home = request(site.url, "/")
    pages = {"/", "/letter", "/nosuchpage", f"/{site.db_name}/funding_allocations?_sort=nosuch"}
    pages |= {p for p in html_links(home) if not p.startswith(("/downloads/", "/-/static"))}
    checked = 0
    for path in sorted(pages):
        _, headers, _ = request(site.url, path)
        if not headers.get("content-type", "").startswith("text/html"):
            continue
        checked += 1
        assert len(headers.get_all("content-security-policy") or []) == 1, path
        assert headers.get_all("referrer-policy") == ["no-referrer"], path
    assert checked >= 10


def test_forwarded_proto_cannot_poison_the_cache(site):
    path = f"/{site.db_name}/funding_allocations.json?_size=2&_poison=1"
    _, headers, body = request(site.url, path, **{"X-Forwarded-Proto": "https",
                                                  "X-Forwarded-For": "6.6.6.6"})
    # not trusted: the server never heard it was https
    assert b'"next_url": "http://127.0.0.1' in body
    assert "<https://" not in (headers.get("link") or "")
    _, headers, body = request(site.url, path)
    assert b'"next_url": "http://127.0.0.1' in body
    assert "<http://127.0.0.1" in headers.get("link")


def test_proxy_headers_are_trusted_when_the_operator_says_so(tmp_path, site):
    env = {**os.environ, "FORWARDED_ALLOW_IPS": "127.0.0.1"}
    port = free_port()
    cmd = server_command(*serve_args(site.descriptor, site.out, "127.0.0.1", port))
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/", proc)
        path = f"/{site.db_name}/funding_allocations.json?_size=2"
        _, _, body = request(url, path, **{"X-Forwarded-Proto": "https"})
        assert b'"next_url": "https://' in body
        # the cache keeps the https answer apart: a plain request still gets http
        _, _, body = request(url, path)
        assert b'"next_url": "http://' in body
    finally:
        proc.terminate()
        proc.wait(10)


def test_slow_header_connections_are_closed(site):
    """A client trickling header bytes is disconnected after the header deadline."""
    u = urlsplit(site.url)
    sock = socket.create_connection((u.hostname, u.port), timeout=HEADER_TIMEOUT + 10)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    start = time.monotonic()
    closed = False
    try:
        while time.monotonic() - start < HEADER_TIMEOUT + 10:
            sock.sendall(b"X-a: b\r\n")
            sock.settimeout(1)
            try:
                if sock.recv(1024) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    finally:
        sock.close()
    assert closed
    assert time.monotonic() - start < HEADER_TIMEOUT + 5


def test_an_error_costs_one_short_log_line(tmp_path, site):
    log = tmp_path / "server.log"
    s = start_site(site.descriptor, site.out, log)
    try:
        before = log.stat().st_size
        bad = [f"/{s.db_name}.json?sql=delete+from+sources",
               f"/{s.db_name}/funding_allocations?_sort=" + "x" * 8000,
               f"/{s.db_name}?sql=select+" + "+".join(["nosuchcolumn"] * 900),
               "/nosuchdatabase", "/-/static-plugins/nosuch/x", "/x?" + "y" * 60000]
        for path in bad:
            status, _, _ = request(s.url, path)
            assert 400 <= status < 500, path
        request(s.url, "/")  # the log is written off the request path: wait for a new line
        deadline = time.monotonic() + 10
        while '"GET / HTTP/1.1" 200' not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        s.proc.terminate()
        s.proc.wait(10)
    text = log.read_text()[before:]
    assert "Traceback" not in text and "locals" not in text
    assert (log.stat().st_size - before) / len(bad) < 4096
    assert max(len(line) for line in text.splitlines()) < 1200


def test_port_in_use_is_one_line_before_anything_is_built(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = tmp_path / "out"
        result = CliRunner().invoke(cli, ["serve", str(BUNDLED), "--out", str(out),
                                          "--port", str(port)])
    assert result.exit_code == 2
    assert result.output == (f"Error: port {port} on 127.0.0.1 is not available (Address "
                             "already in use): choose another with --port\n")
    assert not out.exists()


def test_server_port_in_use_is_one_line_exit_2(tmp_path, site):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cmd = server_command(*serve_args(site.descriptor, site.out, "127.0.0.1", port))
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"semicon serve: port {port} on 127.0.0.1 is not available (Address already in use): "
        "choose another with --port"]


def _loaded(pid: int, library: str) -> bool:
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def test_early_ctrl_c_is_one_line_exit_130(tmp_path, site):
    """Ctrl+C while the server process is still loading Datasette: one line, exit 130."""
    cmd = server_command(*serve_args(site.descriptor, site.out, "127.0.0.1", free_port()))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path)
    deadline = time.monotonic() + 60
    while not _loaded(proc.pid, "_sqlite3") and time.monotonic() < deadline:
        assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.splitlines() == ["semicon serve: interrupted"], err[-2000:]


def test_serve_help_documents_the_exit_codes():
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert "Exit codes: 1 invalid package, 2 unusable input (the port is taken" in \
        " ".join(result.output.split())
    assert "130 stopped with Ctrl+C" in " ".join(result.output.split())
    assert "--forwarded-allow-ips" in result.output


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_ctrl_c_while_serving_stops_with_130(tmp_path, site):
    port = free_port()
    cmd = server_command(*serve_args(site.descriptor, site.out, "127.0.0.1", port))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path)
    wait_until_up(f"http://127.0.0.1:{port}/", proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert err.splitlines()[-1] == "semicon serve: interrupted"


def test_the_listening_socket_gets_connections_without_nagles_delay():
    """asyncio sets TCP_NODELAY on a connection only when the listening socket says TCP: with
    Nagle on, a small response's body waited for the client's delayed ACK (~40 ms a request
    on a kept-alive connection)."""
    import asyncio
    import socket

    from semicon.build.server import bind

    async def accepted_nodelay() -> int:
        sock = bind("127.0.0.1", 0)
        seen: asyncio.Future = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport) -> None:
                s = transport.get_extra_info("socket")
                seen.set_result(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        try:
            return await asyncio.wait_for(seen, 10)
        finally:
            writer.close()
            server.close()

    assert asyncio.run(accepted_nodelay()) != 0
