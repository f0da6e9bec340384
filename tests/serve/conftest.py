"""A built package served by a real ``datasette`` process, shared by the serve tests."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from semicon.build.pipeline import build_package
from semicon.build.release import make_release
from semicon.build.server import server_command
from semicon.build.site import serve_args

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "datapackage" / "datapackage.json"


def declared_queries(descriptor: Path = BUNDLED) -> dict[str, dict]:
    """The canned queries a package declares (``semicon.site.queries``)."""
    return json.loads(descriptor.read_text())["semicon"]["site"]["queries"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"datasette exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def build(descriptor: Path, out: Path) -> None:
    """Build with the real pipeline and write the release zip the home page links."""
    build_package(descriptor, out)
    make_release(descriptor, out, build_dir=out)


@dataclass
class Site:
    url: str
    out: Path
    descriptor: Path
    db_name: str
    proc: subprocess.Popen

    def get(self, path: str, **headers: str):
        req = urllib.request.Request(self.url + path, headers=headers)
        return urllib.request.urlopen(req, timeout=30)


def start_site(descriptor: Path, out: Path, log: Path) -> Site:
    port = free_port()
    cmd = server_command(*serve_args(descriptor, out, "127.0.0.1", port))
    fh = log.open("w")
    proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=out)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/", proc)
    except Exception:
        proc.kill()
        raise RuntimeError(log.read_text()[-3000:]) from None
    name = json.loads(descriptor.read_text())["name"]
    return Site(url, out, descriptor, name, proc)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Iterator[Site]:
    out = tmp_path_factory.mktemp("serve") / "dist"
    build(BUNDLED, out)
    s = start_site(BUNDLED, out, out.parent / "datasette.log")
    try:
        yield s
    finally:
        s.proc.terminate()
        try:
            s.proc.wait(10)
        except subprocess.TimeoutExpired:
            s.proc.kill()


REAL_PACKAGES = ROOT / "tests" / "real_packages"
REAL = sorted(p.name for p in REAL_PACKAGES.iterdir() if (p / "datapackage.json").is_file())


def in_process(descriptor: Path, out: Path):
    """The built package at ``out`` as ``semicon serve`` runs it, as an in-process Datasette
    (same metadata, templates, plugins and static mounts; no socket)."""
    from datasette.app import Datasette
    from semicon.build.site import (
        DOCUMENTS_DIR_NAME,
        DOWNLOADS_DIR_NAME,
        PLUGINS_DIR,
        SITE_DIR_NAME,
        STATIC_DIR,
        TEMPLATES_DIR,
        site_files,
        write_downloads,
    )

    db, metadata, inspect = site_files(descriptor, out)
    mounts = [("site-static", str(STATIC_DIR)),
              ("downloads", str(write_downloads(out, out / DOWNLOADS_DIR_NAME)))]
    documents = out / SITE_DIR_NAME / DOCUMENTS_DIR_NAME
    if documents.is_dir():
        mounts.append((DOCUMENTS_DIR_NAME, str(documents)))
    return Datasette(
        immutables=[str(db)], metadata=json.loads(metadata.read_text()),
        template_dir=str(TEMPLATES_DIR), plugins_dir=str(PLUGINS_DIR), static_mounts=mounts,
        inspect_data=json.loads(inspect.read_text()), settings={"suggest_facets": False},
    )


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, shared by a module's browser tests."""
    from playwright import sync_api

    from tests.serve.test_browser import ARGS, CHROMIUM

    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()
