"""Fixtures shared by every test folder."""

from __future__ import annotations

import json
import os
import shutil
import signal
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
def _ctrl_c_as_from_a_terminal():
    """Ctrl-C reaches the tests and the processes they start as it does from a terminal.

    A shell starting the suite in the background (``run-tests &``) makes it ignore SIGINT,
    and every process it starts would inherit that: the tests of Ctrl-C would then see no
    interrupt at all. Handled here, SIGINT is back to its default in every child."""
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory):
    """The descriptor checks' findings are kept in a folder of the test run, not the user's
    cache (child processes inherit it)."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    # tests change code and data between validations: reports are kept only where a
    # test asks for it (tests/validate/test_kept_reports.py)
    os.environ["SEMICON_NO_CACHE"] = "1"
    yield
    os.environ.pop("SEMICON_NO_CACHE", None)
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


_SIGINT_AT = """
import importlib, os, signal, sys, threading
from semicon.cli.main import cli
module, _, name = sys.argv[1].partition(":")
owner = importlib.import_module(module)
stage = getattr(owner, name)

def entered(*args, **kwargs):
    setattr(owner, name, stage)
    threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGINT), daemon=True).start()
    return stage(*args, **kwargs)

setattr(owner, name, entered)
sys.argv = ["semicon", *sys.argv[2:]]
cli()
"""


def run_cli_interrupted(stage: str | None, *args: str) -> subprocess.CompletedProcess:
    """Run ``semicon ARGS`` in a child that gets one SIGINT (Ctrl+C) as the function
    ``stage`` (``"module:name"``, looked up on that module) is entered; ``None``: no signal.

    The signal is sent from another thread, so it lands either before the stage's first
    Python step or during its work (a DuckDB query turns it into an interruption): where
    exactly does not matter, the command has to stop cleanly either way, and it cannot
    have finished before the signal comes.
    """
    script = _SIGINT_AT if stage else "import sys; from semicon.cli.main import cli; " \
        "sys.argv = ['semicon', *sys.argv[2:]]; cli()"
    return subprocess.run([sys.executable, "-c", script, stage or "", *args],
                          capture_output=True, text=True, timeout=300)
