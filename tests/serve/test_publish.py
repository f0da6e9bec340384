"""`semicon publish`: the deploy folder runs in a fresh virtual environment."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from semicon.build.publish import write_publish
from semicon.build.site import PLUGINS_DIR

from tests.serve.conftest import BUNDLED, free_port, wait_until_up


def home_page_links(html: str) -> set[str]:
    """Every same-site link (href) of a page, without its fragment."""
    links = {unescape(h).split("#")[0] for h in re.findall(r'href="([^"]+)"', html)}
    return {link for link in links if link.startswith("/") and not link.startswith("//")}


@pytest.fixture(scope="module")
def published(site) -> Path:
    return write_publish(site.descriptor, site.out)


def test_publish_folder_is_complete(published, site):
    names = {p.name for p in published.iterdir()}
    assert {f"{site.db_name}.db", "metadata.json", "templates", "plugins", "static", "documents",
            "requirements.txt", "start.sh", "README.md", "downloads", "server.py",
            "Dockerfile"} <= names
    reqs = (published / "requirements.txt").read_text().splitlines()
    assert all("==" in r for r in reqs)
    assert any(r.startswith("datasette==") for r in reqs)
    assert any(r.startswith("datasette-search-all==") for r in reqs)
    plugins = {p.name for p in (published / "plugins").glob("*.py")}
    # the plugins, and the formula-cell definition they load where semicon is not installed
    assert plugins == {p.name for p in PLUGINS_DIR.glob("*.py")} | {"semicon_formulas.py"}
    assert {"semicon_security.py", "semicon_cache.py", "semicon_pages.py",
            "semicon_cells.py"} <= plugins
    assert list((published / "documents").glob("*.txt"))
    readme = (published / "README.md").read_text()
    # the hosting commands run start.sh (the Dockerfile) and trust the platform's proxy
    assert "gcloud run deploy" in readme and "FORWARDED_ALLOW_IPS='*'" in readme
    assert 'CMD ["./start.sh"]' in (published / "Dockerfile").read_text()
    assert os.access(published / "start.sh", os.X_OK)


@pytest.mark.slow
def test_publish_folder_runs_in_fresh_venv(published, site, tmp_path):
    """start.sh with nothing but requirements.txt installed serves every home-page link."""
    site_name = site.db_name
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = venv / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", "-r", str(published / "requirements.txt")],
                   check=True, timeout=600)
    port = free_port()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOST": "127.0.0.1", "PORT": str(port),
           "HOME": str(tmp_path)}
    log = (tmp_path / "log").open("w")
    proc = subprocess.Popen(["sh", str(published / "start.sh")], env=env, stdout=log,
                            stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", proc, timeout=60)
        import urllib.request

        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read().decode()
        assert "Voortgangsbrief" in body
        links = home_page_links(body)
        assert {"/letter", f"/{site_name}/funding_allocations"} <= links
        assert any(link.startswith("/documents/") for link in links)  # the letter's text
        for link in sorted(links):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{link}", timeout=30) as r:
                assert r.status == 200, link
    finally:
        proc.terminate()
        proc.wait(10)
    assert BUNDLED.is_file()
