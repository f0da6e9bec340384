"""Ctrl+C while DuckDB works.

DuckDB 2.0's Python client catches SIGINT during a query and raises
``RuntimeError("Query interrupted")`` (or ``duckdb.InterruptException``): an ordinary
exception that a broad handler would take for a failure (a fallback parser, a finding, an
"internal error"). Such handlers call :func:`reraise_interrupt` first, so Ctrl+C stops the
command as a ``KeyboardInterrupt``.
"""

from __future__ import annotations


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
