"""SQLite limits of the semicon-nl site (Datasette plugin, loaded with ``--plugins-dir``).

Datasette's time limit (``sql_time_limit_ms``) is checked by SQLite's progress handler between
VM steps, so one function call -- ``randomblob(999999999)``, ``printf('%.*c', N, 'x')``,
``hex(zeroblob(N))`` -- runs to its end, for seconds and gigabytes. ``prepare_connection``
sets, on every connection Datasette opens:

- ``SQLITE_LIMIT_LENGTH`` (:data:`CELL_LIMIT`): SQLite refuses, as it computes it, any string
  or blob (and any row it builds) longer than this: ``string or blob too big``;
- a result budget (:data:`RESULT_LIMIT`): the rows of one statement are counted as SQLite
  hands them over, and the statement stops once their text and blobs pass the budget;
- ``printf()``/``format()`` that answer NULL for a width or precision over the cell limit
  before SQLite's own ``printf`` runs (SQLite 3.40 writes ``printf('%.*c', 999999999, 'x')`` one
  character at a time even past the length limit: 15 s);
- an authorizer that refuses ``fts3_tokenizer()``: it returns and accepts raw memory pointers
  (a known building block of SQLite exploits; Debian's SQLite enables it).

``semicon-site`` plugin configuration: ``max_cell_mb`` and ``max_result_mb`` change the limits.
"""

from __future__ import annotations

import re
import sqlite3
import weakref

from datasette import hookimpl

MB = 1024 * 1024
#: the longest string or blob SQLite may compute or return (a cell, a function's result)
CELL_LIMIT = 2 * MB
#: the most text and blob bytes one statement may return, all rows together
RESULT_LIMIT = 16 * MB
#: SQL functions no visitor may call
DENIED_FUNCTIONS = frozenset({"fts3_tokenizer"})
#: Datasette -> its ``semicon-site`` plugin configuration, read once: the metadata is fixed
#: for the server's life, and each ``plugin_config`` call walks the whole configuration
#: (it holds the drawn charts) to resolve ``$env``/``$file`` secrets
_SITE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class ResultTooLarge(sqlite3.DataError):
    """A statement's rows passed the result budget."""


def authorizer(action: int, arg1, arg2, db_name, trigger) -> int:
    """Refuse calls of :data:`DENIED_FUNCTIONS`; everything else as SQLite would."""
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def budget_row_factory(limit: int, inner=sqlite3.Row):
    """A row factory that counts the text and blob bytes of each statement's rows.

    Rows are built one by one as ``fetchmany`` steps SQLite, so the statement stops at the row
    that passes ``limit``, long before the rest is materialised. A new cursor starts a new
    count (Datasette runs every statement on a cursor of its own).
    """
    state: list = [None, 0]
    sized = (str, bytes)

    def factory(cursor, row):
        if state[0] is not cursor:
            state[0], state[1] = cursor, 0
        size = state[1]
        for value in row:
            if value.__class__ in sized:
                size += len(value)
        state[1] = size
        if size > limit:
            state[0] = None
            raise ResultTooLarge(
                f"the result is larger than {limit // MB} MB: select fewer rows or columns")
        return inner(cursor, row)

    return factory


#: one printf conversion: flags, width, precision, length, type (SQLite's printf syntax)
_CONVERSION = re.compile(r"%([-+ 0#!,]*)(\*|[0-9]*)(?:\.(\*|[0-9]*))?(l{0,2})(.)", re.S)
_LEADING_INT = re.compile(r"\s*([+-]?[0-9]+)")


def _as_int(value) -> int:
    """A printf argument as SQLite reads an integer from it (text: its leading digits)."""
    if isinstance(value, int | float):
        return int(value) if abs(value) < 2**63 else 2**63
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    m = _LEADING_INT.match(value) if isinstance(value, str) else None
    return int(m.group(1)) if m else 0


def printf_sizes(fmt: str, args: tuple) -> list[int]:
    """Every width and precision ``printf(fmt, *args)`` asks for (``*`` read from args)."""
    sizes, i = [], 0
    for m in _CONVERSION.finditer(fmt):
        for spec in (m.group(2), m.group(3)):
            if spec == "*":
                sizes.append(_as_int(args[i]) if i < len(args) else 0)
                i += 1
            elif spec:
                sizes.append(int(spec))
        if m.group(5) != "%":
            i += 1
    return sizes


def bounded_printf(limit: int):
    """SQLite's ``printf`` (run on a private in-memory connection) after checking that no
    width or precision passes ``limit``; NULL when one does, as SQLite's own ``printf``
    answers (after its long loop) when the result passes the length limit."""
    helper = sqlite3.connect(":memory:", check_same_thread=False)
    helper.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, limit)

    def printf(fmt, *args):
        if isinstance(fmt, str) and any(abs(n) > limit for n in printf_sizes(fmt, args)):
            return None  # what SQLite's printf returns for a result over the limit
        marks = ", ".join("?" * (len(args) + 1))
        return helper.execute(f"select printf({marks})", (fmt, *args)).fetchone()[0]

    return printf


def _config(datasette) -> dict:
    """The site's plugin configuration (``semicon-site`` in ``metadata.json``)."""
    if datasette not in _SITE:
        _SITE[datasette] = datasette.plugin_config("semicon-site") or {}
    return _SITE[datasette]


def _limits(datasette) -> tuple[int, int]:
    cfg = _config(datasette)
    cell = int(float(cfg.get("max_cell_mb", CELL_LIMIT / MB)) * MB)
    result = int(float(cfg.get("max_result_mb", RESULT_LIMIT / MB)) * MB)
    return cell, result


@hookimpl
def prepare_connection(conn, database, datasette):
    cell, result = _limits(datasette)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, cell)
    conn.set_authorizer(authorizer)
    printf = bounded_printf(cell)
    for name in ("printf", "format"):
        conn.create_function(name, -1, printf, deterministic=True)
    conn.row_factory = budget_row_factory(result, conn.row_factory or sqlite3.Row)
