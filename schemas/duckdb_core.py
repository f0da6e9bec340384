"""DuckDB's compiled engine, imported without the Python API built around it.

``import duckdb`` takes about 0.1 s: beside the compiled engine (``_duckdb``, about
0.02 s) it builds its relational and expression API in Python and reads its own version
from the package metadata (``importlib.metadata``). Validation needs only what the
``duckdb`` package re-exports from the engine unchanged (``connect``, the exception
classes, ``StatementType``), so it imports the engine alone; where the engine module is
not found under that name, the ``duckdb`` package is used.
"""

from __future__ import annotations

from types import ModuleType


def duckdb_engine() -> ModuleType:
    """The module holding DuckDB's ``connect``, ``Error`` and ``StatementType``."""
    try:
        import _duckdb
    except ImportError:  # a build without the separate engine module
        import duckdb as _duckdb
    return _duckdb


def with_relational_api() -> None:
    """Give every connection DuckDB's Python API (``con.sql(...)``, relations, Arrow),
    those made by :func:`duckdb_engine` included: importing the ``duckdb`` package adds
    it to the engine's connection class. Only the paths that build Arrow tables need it."""
    import duckdb  # noqa: F401
