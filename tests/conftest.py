"""Fixtures shared by every test folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

# imported once here, frictionless lets validate_package check descriptors in this process
# instead of starting a child process for every test
import frictionless  # noqa: F401
import pytest

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "datapackage"
LETTER = BUNDLED / "sources" / "voortgangsbrief-halfgeleiderindustrie-2025.txt"
#: the bundled package's version (release file names carry it)
VERSION = json.loads((BUNDLED / "datapackage.json").read_text(encoding="utf-8"))["version"]


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory):
    """The descriptor checks' findings are kept in a folder of the test run, not the user's
    cache (child processes inherit it)."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture
def bundled_copy(tmp_path: Path) -> Path:
    """A copy of the bundled data package that a test may change; returns its descriptor."""
    target = tmp_path / "datapackage"
    shutil.copytree(BUNDLED, target)
    return target / "datapackage.json"


_SIGINT_AFTER = """
import os, signal, sys, threading
from semicon.cli.main import cli
timer = threading.Timer(float(sys.argv[1]), lambda: os.kill(os.getpid(), signal.SIGINT))
timer.daemon = True
timer.start()
sys.argv = ["semicon", *sys.argv[2:]]
cli()
"""


def run_cli_interrupted(delay: float, *args: str) -> subprocess.CompletedProcess:
    """Run ``semicon ARGS`` in a child that sends itself SIGINT (Ctrl+C) after ``delay`` s.

    The imports are done before the timer starts, so the signal lands in the command.
    """
    return subprocess.run([sys.executable, "-c", _SIGINT_AFTER, str(delay), *args],
                          capture_output=True, text=True, timeout=300)
