"""Remote resource paths: refused by default (naming ``--allow-remote``); with it, fetched
over https only, within a size and a time limit. Served by a local https server whose
self-signed certificate (tests/spec/tls, valid until 2126) the client is told to trust."""

from __future__ import annotations

import http.server
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from semicon.cli.main import cli
from semicon.schemas.validation import sources, validate_package

from tests.validate.conftest import write_package

TLS = Path(__file__).parent / "tls"
FIELDS = [{"name": "id", "type": "string"}, {"name": "n", "type": "integer"}]
BODY = b"id,n\na,1\nb,x\n"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow.csv":  # a trickle: one byte every 50 ms
            self.send_response(200)
            self.end_headers()
            for _ in range(200):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(monkeypatch) -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "localhost.pem", TLS / "localhost.key")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(TLS / "localhost.pem"))
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _package(tmp_path: Path, url: str) -> Path:
    res = {"name": "t", "path": url, "format": "csv", "schema": {"fields": FIELDS}}
    return write_package(tmp_path, [res])


def test_refused_by_default(tmp_path):
    pkg = _package(tmp_path, "https://example.org/data.csv")
    result = CliRunner().invoke(cli, ["validate", str(pkg), "-q"])
    assert result.exit_code == 2
    assert ('unsafe-path: Refused path "https://example.org/data.csv" of resource "t": '
            "remote path; pass --allow-remote to fetch it over https") in result.output


def test_plain_http_refused_even_when_allowed(tmp_path):
    report = validate_package(_package(tmp_path, "http://127.0.0.1:9/t.csv"),
                              allow_remote=True)
    assert [(f.code, f.message) for f in report.findings] == [
        ("unsafe-path", 'Refused path "http://127.0.0.1:9/t.csv" of resource "t": only https '
                        "is fetched (--allow-remote)")]


def test_fetched_over_https_when_allowed(tmp_path, server):
    pkg = _package(tmp_path, f"{server}/t.csv")
    result = CliRunner().invoke(cli, ["validate", str(pkg), "--allow-remote", "--format",
                                      "json"])
    assert result.exit_code == 1, result.output
    assert '"code": "type-error"' in result.output and '"line": 3' in result.output


def test_size_limit(tmp_path, server, monkeypatch):
    monkeypatch.setattr(sources, "REMOTE_MAX_BYTES", 8)
    report = validate_package(_package(tmp_path, f"{server}/t.csv"), allow_remote=True)
    assert [(f.code, f.message) for f in report.findings] == [
        ("resource-error", f'"{server}/t.csv" is larger than 8 bytes: not fetched')]


def test_time_limit(tmp_path, server, monkeypatch):
    monkeypatch.setattr(sources, "REMOTE_TIMEOUT", 0.5)
    started = time.monotonic()
    report = validate_package(_package(tmp_path, f"{server}/slow.csv"), allow_remote=True)
    assert [(f.code, f.message) for f in report.findings] == [
        ("resource-error", f'"{server}/slow.csv" took more than 0.5 s: not fetched')]
    assert time.monotonic() - started < 5  # the trickle would take 10 s
