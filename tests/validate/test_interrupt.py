"""Ctrl+C stops a command: exit code 130, one line, no traceback, nothing changed.

DuckDB 2.0 turns SIGINT during a query into ``RuntimeError("Query interrupted")``; before
this was handled, the fast CSV load took it for a parse failure and went on with the slow
parser, so Ctrl+C made `semicon validate` take eight times longer and report a result.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from semicon.schemas.interrupts import interrupts_held, is_interrupt

from benchmarks.synthetic import write_package
from tests.conftest import run_cli_interrupted


@contextlib.contextmanager
def interrupting(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Interrupt ``con``'s running query (as Ctrl+C does) every 2 ms until the block ends."""
    done = threading.Event()

    def interrupt() -> None:
        while not done.is_set():
            con.interrupt()
            time.sleep(0.002)

    threading.Thread(target=interrupt, daemon=True).start()
    try:
        yield
    finally:
        done.set()


def test_what_counts_as_an_interrupt():
    assert is_interrupt(KeyboardInterrupt())
    assert is_interrupt(RuntimeError("Query interrupted"))
    assert is_interrupt(duckdb.InterruptException("x"))
    assert not is_interrupt(RuntimeError("Conversion failed"))
    assert not is_interrupt(duckdb.ConversionException("Query interrupted?"))


def test_duckdb_reports_an_interrupted_query_as_the_code_expects():
    """Guards the text matched by is_interrupt against a DuckDB upgrade."""
    con = duckdb.connect()
    with interrupting(con), pytest.raises(Exception) as err:
        con.execute("SELECT count(*) FROM range(10000000000) t(x) WHERE x % 7 = 3").fetchall()
    assert is_interrupt(err.value)


def test_the_fast_load_passes_an_interrupt_on(tmp_path: Path):
    from semicon.schemas.validation import loader, rawscan
    from semicon.schemas.validation.engine import _connect
    from semicon.schemas.validation.fastload import load_fast
    from semicon.schemas.validation.resource import LoadedResource as Resource

    descriptor = write_package(tmp_path / "pkg", 200_000, with_hash=False)
    res = json.loads(descriptor.read_text())["resources"][1]
    r = Resource(index=0, name=res["name"], schema=res["schema"], keep=set())
    r.file = descriptor.parent / res["path"]
    header, _ = rawscan.read_header(r.file, rawscan.Dialect.parse(res.get("dialect")))
    r.columns = loader._columns(r.schema, header)
    con = _connect(tmp_path)  # the validation's connection (its macros defined)
    with interrupting(con), pytest.raises(KeyboardInterrupt):
        load_fast(con, r, rawscan.Dialect.parse(res.get("dialect")))


@pytest.mark.slow
@pytest.mark.parametrize("stage", [
    "semicon.schemas.validation.loader:load_fast",     # DuckDB reading a CSV
    "semicon.schemas.validation.run:run_checks",       # the row and key checks
])
def test_ctrl_c_during_validate_exits_130_without_a_traceback(tmp_path: Path, stage: str):
    descriptor = write_package(tmp_path / "pkg", 300_000)
    assert run_cli_interrupted(None, "validate", "-q", str(descriptor)).returncode == 0
    proc = run_cli_interrupted(stage, "validate", "-q", str(descriptor))
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr.strip().endswith("semicon: interrupted; nothing was changed")
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_ctrl_c_while_worker_threads_start_is_raised_once_they_are_known():
    """``ThreadPoolExecutor.submit`` interrupted while its thread starts leaves that thread
    unknown to the pool (its shutdown would not wait for it): the build starts its writer
    threads with Ctrl+C held, and it is raised right after, wherever it was delivered."""
    reached_end_of_block = False
    with pytest.raises(KeyboardInterrupt), interrupts_held():
        t = threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGINT))
        t.start()
        t.join()
        os.kill(os.getpid(), signal.SIGINT)
        reached_end_of_block = True
    assert reached_end_of_block
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
