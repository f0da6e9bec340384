"""The ``sql`` rule kind: a row condition or a query of failing rows, in DuckDB SQL.

``check`` is a boolean expression over one row of ``resource`` (other tables through
subqueries); rows where it is false fail, NULL passes (as in a SQL ``CHECK``). ``query``
is a whole ``SELECT`` whose every result row is a failure; a ``__line`` column gives the
line in ``resource``. Both run over the typed tables, read-only: one ``SELECT`` statement
only, with DuckDB's file access switched off (:mod:`.runner`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from functools import cache
from typing import Any

from semicon.schemas.duckdb_core import duckdb_engine

from .base import Rule, Statement, ident, render


class SqlError(ValueError):
    """The SQL of a rule does not parse or is not one ``SELECT``."""


class Sql(Rule):
    kind = "sql"
    default_code = "sql-check"

    def sql(self) -> str:
        if "query" in self.decl:
            return self.decl["query"]
        return (f"SELECT * FROM {ident(self.resource)} "
                f"WHERE NOT coalesce(({self.decl['check']}), TRUE) ORDER BY __line")

    def reads(self, fields: Mapping[str, set[str]]) -> dict[str, set[str]]:
        if self._reads is None:  # parsing the SQL once is enough
            self._reads = columns_read(self.sql(), fields)
        return self._reads

    _reads: dict[str, set[str]] | None = None

    def statements(self) -> list[Statement]:
        return [Statement(self.resource, self.sql(), self.decl.get("field"),
                          {self.resource: set(), **(self._reads or {})})]

    def message(self, row: Mapping[str, Any]) -> str:
        if self.decl.get("message"):
            return render(self.decl["message"], row)
        if "check" in self.decl:
            return f"fails the check {self.decl['check']}"
        return f"returned by the query of {self.label}"


#: a connection lent by :func:`parsing_with` to parse rules' SQL
_LENT: ContextVar[Any | None] = ContextVar("semicon_sql_parser", default=None)


@contextlib.contextmanager
def parsing_with(con: Any) -> Iterator[None]:
    """Parse rules' SQL with ``con`` (an open DuckDB connection) inside the block, instead
    of opening a connection for it (about 0.05 s)."""
    token = _LENT.set(con)
    try:
        yield
    finally:
        _LENT.reset(token)


def _parser() -> Any:
    """The connection that parses rules' SQL: the one lent, else one of its own."""
    return _LENT.get() or _own_parser()


@cache
def _own_parser() -> Any:
    """An empty in-memory DuckDB connection used only to parse rules' SQL (opened once:
    about 0.05-0.1 s, then about 1 ms a statement)."""
    return duckdb_engine().connect()


def single_select(sql: str) -> None:
    """Raise :class:`SqlError` unless ``sql`` is exactly one ``SELECT`` statement."""
    duckdb = duckdb_engine()
    try:
        statements = _parser().extract_statements(sql)
    except duckdb.Error as exc:
        raise SqlError(str(exc).splitlines()[0]) from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise SqlError("must be exactly one SELECT statement")


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def columns_read(sql: str, fields: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """Per resource, the fields ``sql`` may read (an over-estimate: every column name it
    mentions, on every resource it mentions; all fields where it selects ``*``)."""
    single_select(sql)
    tree = json.loads(_parser().execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    if tree.get("error"):
        raise SqlError(tree.get("error_message", "does not parse"))
    tables: set[str] = set()
    columns: set[str] = set()
    star = False
    for node in _walk(tree):
        if node.get("type") == "BASE_TABLE" and node.get("table_name"):
            tables.add(node["table_name"])
        elif node.get("class") == "COLUMN_REF" and node.get("column_names"):
            columns.add(node["column_names"][-1])
            columns.update(node["column_names"])  # a one-part name may be a table alias
        elif node.get("class") == "STAR":
            star = True
    out: dict[str, set[str]] = {}
    for table in tables & set(fields):
        names = set(fields[table]) if star else columns & set(fields[table])
        if names:
            out[table] = names
    return out
