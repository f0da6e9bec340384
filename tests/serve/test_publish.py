"""`semicon publish`: the deploy folder runs in a fresh virtual environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from semicon.build.publish import write_publish
from semicon.build.site import PLUGINS_DIR

from tests.serve.conftest import BUNDLED, free_port, wait_until_up


@pytest.fixture(scope="module")
def published(site) -> Path:
    return write_publish(site.descriptor, site.out)


def test_publish_folder_is_complete(published, site):
    names = {p.name for p in published.iterdir()}
    assert {f"{site.db_name}.db", "metadata.json", "templates", "plugins", "static", "documents",
            "requirements.txt", "start.sh", "README.md", "downloads"} <= names
    reqs = (published / "requirements.txt").read_text().splitlines()
    assert all("==" in r for r in reqs)
    assert any(r.startswith("datasette==") for r in reqs)
    assert any(r.startswith("datasette-search-all==") for r in reqs)
    plugins = {p.name for p in (published / "plugins").glob("*.py")}
    assert plugins == {p.name for p in PLUGINS_DIR.glob("*.py")}
    assert {"semicon_security.py", "semicon_cache.py", "semicon_pages.py",
            "semicon_cells.py"} <= plugins
    assert list((published / "documents").glob("*.txt"))
    assert "datasette publish cloudrun" in (published / "README.md").read_text()
    assert os.access(published / "start.sh", os.X_OK)


@pytest.mark.slow
def test_publish_folder_runs_in_fresh_venv(published, tmp_path):
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
        letter = urllib.request.urlopen(f"http://127.0.0.1:{port}/letter", timeout=10)
        assert letter.status == 200
    finally:
        proc.terminate()
        proc.wait(10)
    assert BUNDLED.is_file()
