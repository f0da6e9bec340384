"""`semicon serve` stopped by a signal sent to its process alone (a supervisor, ``kill``).

A terminal's Ctrl+C reaches every process of the foreground group; ``kill -TERM <pid>`` or a
service manager reaches one. The command runs in a session of its own here, so only the
process started as ``semicon serve`` gets the signal: the server has to stop with it, leave
no process behind and free the port.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from semicon.build.server import PortInUse, bind

from tests.serve.conftest import BUNDLED, build, free_port, wait_until_up

SEMICON = [sys.executable, "-c", "from semicon.cli.main import cli; cli()"]

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def session_members(sid: int) -> list[str]:
    """The command lines of the live processes in session ``sid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:  # exited meanwhile
            continue
        state, _ppid, _pgrp, session = stat.rsplit(")", 1)[1].split()[:4]
        if int(session) == sid and state != "Z":
            members.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return members


def port_is_free(port: int) -> bool:
    try:
        bind("127.0.0.1", port).close()
    except PortInUse:
        return False
    return True


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("signals") / "dist"
    build(BUNDLED, out)
    return out


@pytest.mark.parametrize(("sig", "codes", "says"), [
    (signal.SIGINT, {130}, "semicon serve: interrupted"),
    # dies of SIGTERM once the server has shut down: a shell reports 128 + 15
    (signal.SIGTERM, {-signal.SIGTERM, 128 + signal.SIGTERM}, None),
], ids=["SIGINT", "SIGTERM"])
def test_a_signal_to_semicon_serve_alone_stops_the_server_and_frees_the_port(
        built: Path, tmp_path: Path, sig: signal.Signals, codes: set[int], says: str | None):
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [*SEMICON, "serve", str(BUNDLED), "--out", str(built), "--port", str(port)],
            stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", proc, timeout=180)
        assert not port_is_free(port)
        os.kill(proc.pid, sig)  # this process only: not its group, not its session
        returncode = proc.wait(60)
        assert returncode in codes, log.read_text()[-2000:]
        assert wait_for(lambda: not session_members(proc.pid), 30), session_members(proc.pid)
        assert wait_for(lambda: port_is_free(port), 30)
        text = log.read_text()
        assert "Traceback" not in text
        assert "Application shutdown complete." in text  # uvicorn shut down, not killed
        if says:
            assert text.rstrip().endswith(says)
    finally:  # whatever failed, leave no server behind (the group outlives its leader)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
