"""Ctrl+C while DuckDB works.

DuckDB 2.0's Python client catches SIGINT during a query and raises
``RuntimeError("Query interrupted")`` (or ``duckdb.InterruptException``): an ordinary
exception that a broad handler would take for a failure (a fallback parser, a finding, an
"internal error"). Such handlers call :func:`reraise_interrupt` first, so Ctrl+C stops the
command as a ``KeyboardInterrupt``.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


def is_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` is Ctrl+C: a ``KeyboardInterrupt`` or DuckDB's interrupted query."""
    if isinstance(exc, KeyboardInterrupt):
        return True
    if type(exc).__name__ == "InterruptException":
        return True
    return isinstance(exc, RuntimeError) and str(exc).strip() == "Query interrupted"


def reraise_interrupt(exc: BaseException) -> None:
    """Raise ``KeyboardInterrupt`` when ``exc`` is an interrupt; otherwise do nothing."""
    if isinstance(exc, KeyboardInterrupt):
        raise exc
    if is_interrupt(exc):
        raise KeyboardInterrupt from exc


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Ctrl+C that comes inside the block is raised when the block ends (main thread only).

    For starting worker threads: ``ThreadPoolExecutor.submit`` interrupted while its new
    thread starts leaves that thread running but unknown to the pool, so the pool's
    shutdown does not wait for it and it writes on after the caller cleaned up. Python runs
    signal handlers in the main thread whichever thread the signal reached, so holding it
    there is enough.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            if callable(previous):
                previous(signal.SIGINT, None)
            elif previous != signal.SIG_IGN:
                raise KeyboardInterrupt
