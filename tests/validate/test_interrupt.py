"""Ctrl+C stops a command: exit code 130, one line, no traceback, nothing changed.

DuckDB 2.0 turns SIGINT during a query into ``RuntimeError("Query interrupted")``; before
this was handled, the fast CSV load took it for a parse failure and went on with the slow
parser, so Ctrl+C made `semicon validate` take eight times longer and report a result.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from semicon.schemas.interrupts import is_interrupt

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
    from semicon.schemas.validation.fastload import load_fast
    from semicon.schemas.validation.resource import LoadedResource as Resource

    descriptor = write_package(tmp_path / "pkg", 200_000, with_hash=False)
    res = json.loads(descriptor.read_text())["resources"][1]
    r = Resource(index=0, name=res["name"], schema=res["schema"], keep=set())
    r.file = descriptor.parent / res["path"]
    header, _ = rawscan.read_header(r.file, rawscan.Dialect.parse(res.get("dialect")))
    r.columns = loader._columns(res["schema"], header)
    con = duckdb.connect()
    with interrupting(con), pytest.raises(KeyboardInterrupt):
        load_fast(con, r, rawscan.Dialect.parse(res.get("dialect")))


@pytest.mark.slow
def test_ctrl_c_during_validate_exits_130_without_a_traceback(tmp_path: Path):
    descriptor = write_package(tmp_path / "pkg", 300_000)
    # the first run checks the descriptor and keeps its findings; the runs below do not
    assert run_cli_interrupted(600, "validate", "-q", str(descriptor)).returncode == 0
    started = time.perf_counter()
    assert run_cli_interrupted(600, "validate", "-q", str(descriptor)).returncode == 0
    whole = time.perf_counter() - started  # the timer never fired: a whole run
    for delay in (0.25 * whole, 0.45 * whole):  # well inside: load varies between runs
        proc = run_cli_interrupted(delay, "validate", "-q", str(descriptor))
        assert proc.returncode == 130, proc.stderr
        assert proc.stderr.strip().endswith("semicon: interrupted; nothing was changed")
        assert "Traceback" not in proc.stderr
        assert proc.stdout == ""
