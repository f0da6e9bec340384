"""Run declared rules over the loaded resources.

Before the first rule, each usable resource becomes a view in schema ``semicon_tables``
named like the resource: ``__line`` (the CSV line) and the typed fields the rules read.
Document texts go into ``semicon_internal.documents``. Then DuckDB's file access is
switched off for the rest of the connection and the search path set to the typed views,
so a rule's SQL sees only the package's tables. Each query has a time limit.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semicon.schemas.duckdb_core import with_relational_api
from semicon.schemas.interrupts import reraise_interrupt
from semicon.schemas.provenance import document_text
from semicon.schemas.validation.findings import Finding, make
from semicon.schemas.validation.resource import Context
from semicon.schemas.validation.sidebyside import side_by_side

from .base import Rule, ident, normalise_ws
from .declared import Declarations
from .kinds import Quote
from .watchdog import Watchdog

TABLES = "semicon_tables"
INTERNAL = "semicon_internal"
#: seconds one rule's query may take before it is stopped (a ``rule-error``)
DEFAULT_TIME_LIMIT = 300.0
#: rows up to which a resource's typed rows are stored for the rules, not a view
STORE_ROWS = 10_000


@dataclass
class RuleContext:
    """What a rule sees: the typed views, the resources and the document texts."""

    ctx: Context
    declarations: Declarations
    allow_python: bool = False
    time_limit: float = DEFAULT_TIME_LIMIT
    _watchdog: Watchdog | None = field(default=None, init=False, repr=False)

    @property
    def con(self) -> Any:
        return self.ctx.con

    @property
    def base(self) -> Path:
        return self.ctx.base

    @property
    def resources(self) -> dict[str, Any]:
        return self.ctx.resources

    def has(self, resource: str, *names: str) -> bool:
        return self.ctx.has_fields(resource, *names)

    def _timed(self, call: Any) -> Any:
        """``call()``, interrupted after :attr:`time_limit` seconds (``TimeoutError``)."""
        if self._watchdog is None:
            self._watchdog = Watchdog(self.con.interrupt)
        try:
            with self._watchdog.limit(self.time_limit):
                return call()
        except Exception as exc:
            if self._watchdog.fired:
                raise TimeoutError(
                    f"stopped after {self.time_limit:g} s (time limit)") from None
            raise exc

    def close(self) -> None:
        """Stop watching the time limit (the watching thread holds the connection)."""
        if self._watchdog is not None:
            self._watchdog.close()

    def select(self, sql: str) -> list[dict[str, Any]]:
        """The rows of ``sql`` (at most the finding cap) as dicts by column name."""
        cur = self._timed(lambda: self.con.execute(
            f"SELECT * FROM ({sql}) LIMIT {int(self.ctx.cap)}"))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def frame(self, resource: str, names: Iterable[str]) -> Any:
        """A polars DataFrame of ``__line`` and the typed ``names``, in file order."""
        import polars as pl

        with_relational_api()
        cols = ", ".join(ident(n) for n in ["__line", *names])
        sql = f"SELECT {cols} FROM {ident(resource)} ORDER BY __line"
        return pl.from_arrow(self._timed(lambda: self.con.sql(sql).to_arrow_table()))


def _typed_view(con: Any, res: Any, names: list[str]) -> None:
    """The view of ``res`` in :data:`TABLES`: ``__line`` and the typed ``names``.

    A row's line is its key ``__k`` plus 2 plus the number of rejected lines before it
    (``LoadedResource.line_of``): an ASOF join on the sorted ``bounds``, evaluated only for the
    rows a query keeps (filters on the fields are pushed below it). A table of at most
    :data:`STORE_ROWS` rows is stored instead: each rule's query then binds a plain table,
    not the view's expressions again (on a few hundred rows planning costs more than
    running).
    """
    cols = "".join(f", {res.by_name[n].typed} AS {ident(n)}" for n in names)
    view = f"{TABLES}.{ident(res.name)}"
    kind = "TABLE" if res.rows <= STORE_ROWS else "VIEW"
    if not res.bounds:
        con.execute(f"CREATE {kind} {view} AS SELECT CASE WHEN __k < 0 THEN -__k "
                    f"ELSE __k + 2 END AS __line{cols} FROM main.{res.kept_source()}")
        return
    table = f"{INTERNAL}.bounds_{res.index}"
    # rejected lines in a row share a bound: the ASOF join must find the last of them
    # (n = the number of bounds up to b, as bisect_right counts them). One statement with
    # the bounds as a list: executemany ran one INSERT a row (0.04 s of CPU for the 132
    # rejected lines of the 1M-row benchmark).
    con.execute(f"CREATE TABLE {table} AS SELECT b, max(n) AS n FROM (SELECT "
                "unnest($1::BIGINT[]) AS b, unnest(range(1, len($1::BIGINT[]) + 1)) AS n) "
                "GROUP BY b", [list(res.bounds)])
    con.execute(f"CREATE {kind} {view} AS SELECT CASE WHEN __k < 0 THEN -__k "
                f"ELSE __k + 2 + coalesce(n, 0) END AS __line{cols} FROM ("
                f"SELECT * FROM main.{res.kept_source()}) v ASOF LEFT JOIN {table} x "
                "ON v.__k >= x.b")


def prepare(rctx: RuleContext, findings: list[Finding]) -> None:
    """Typed views, document texts, then file access off and the search path set."""
    con = rctx.con
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {TABLES}")
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {INTERNAL}")
    reads = rctx.declarations.reads

    def typed_view(c: Any, res: Any) -> None:
        names = [col.name for col in res.columns if col.name in reads.get(res.name, ())
                 and (res.keep is None or col.name in res.keep) and col.name != "__line"]
        _typed_view(c, res, names)

    side_by_side(con, [r for r in rctx.resources.values() if r.usable], typed_view,
                 workers=rctx.ctx.workers)
    con.execute(f"CREATE TABLE {INTERNAL}.documents (id VARCHAR, text VARCHAR)")
    if any(isinstance(r, Quote) for r in rctx.declarations.rules):
        texts = document_texts(rctx, findings)
        if texts:
            con.executemany(f"INSERT INTO {INTERNAL}.documents VALUES (?, ?)",
                            [[k, v] for k, v in texts.items()])
    con.execute("SET enable_external_access = false")
    con.execute(f"SET search_path = '{TABLES}'")


def document_texts(rctx: RuleContext, findings: list[Finding]) -> dict[str, str | None]:
    """Each document's whitespace-normalised text by id (``None``: no text)."""
    prov = rctx.declarations.provenance
    if prov is None:
        return {}
    rows: list[dict[str, Any]] = []
    table = prov.table
    if table is not None and rctx.has(table.resource, table.id, table.path):
        cols = ", ".join(ident(n) for n in (table.id, table.path))
        rows = rctx.select(f"SELECT __line, {cols} FROM {TABLES}.{ident(table.resource)} "
                           f"WHERE {ident(table.id)} IS NOT NULL ORDER BY __line")
    texts: dict[str, str | None] = {}
    for doc in prov.documents_from_rows(rows):
        res = rctx.resources.get(table.resource) if doc.line and table else None
        texts[doc.id] = _read_text(rctx, doc, res, findings)
    return texts


def _read_text(rctx: RuleContext, doc: Any, res: Any, findings: list[Finding]
               ) -> str | None:
    if doc.path is None:
        return None
    injected = rctx.ctx.source_texts
    if injected is not None and doc.path in injected:
        return normalise_ws(injected[doc.path])
    where: dict[str, Any] = {"resource": res.name if res else doc.resource,
                             "path": res.path if res else doc.path, "line": doc.line,
                             "field": rctx.declarations.provenance.table.path if res else None,
                             "value": doc.path}
    try:
        text = document_text(rctx.base, doc)
    except ValueError as exc:
        findings.append(make("unsafe-path", f"R{str(exc)[1:]}", **where))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        findings.append(make("missing-file",
                             f'Source text "{doc.path}" cannot be read: {exc}', **where))
        return None
    return None if text is None else normalise_ws(text)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else repr(exc)


def run_rules(ctx: Context, declarations: Declarations, *, allow_python: bool = False,
              time_limit: float = DEFAULT_TIME_LIMIT,
              rules: Iterable[Rule] | None = None) -> list[Finding]:
    """Run every declared rule; a rule that fails becomes a ``rule-error`` finding."""
    rctx = RuleContext(ctx=ctx, declarations=declarations, allow_python=allow_python,
                       time_limit=time_limit)
    out: list[Finding] = []
    rules = list(declarations.rules if rules is None else rules)
    if not rules:
        return out
    try:
        try:
            prepare(rctx, out)
        except Exception as exc:
            reraise_interrupt(exc)
            return [*out, make("rule-error", f"No rule could run: {_first_line(exc)}")]
        # SQL rules side by side (sidebyside.py); the package's own Python in this thread
        shared = [rule for rule in rules if rule.kind != "python"]
        done = dict(zip(map(id, shared), side_by_side(
            ctx.con, shared, _run_rule, workers=ctx.workers,
            session=lambda con: _session(rctx, con)), strict=True))
        for rule in rules:
            out += done[id(rule)] if id(rule) in done else _run_rule(rctx, rule)
    finally:
        rctx.close()
        ctx.con.execute("RESET search_path")
    return out


def _run_rule(rctx: RuleContext, rule: Rule) -> list[Finding]:
    """The rule's findings, or a ``rule-error`` (a bad rule must not hide the others)."""
    try:
        return rule.run(rctx)
    except Exception as exc:
        reraise_interrupt(exc)
        return [make("rule-error", f"{rule.label} could not run: {_first_line(exc)}",
                     resource=rule.resource)]


@contextlib.contextmanager
def _session(rctx: RuleContext, con: Any) -> Iterator[RuleContext]:
    """What a worker runs rules with: ``rctx`` itself on its connection, else the same on
    ``con`` (a cursor of it), with the search path set and its own time limit."""
    if con is rctx.con:
        yield rctx
        return
    con.execute(f"SET search_path = '{TABLES}'")
    worker = RuleContext(ctx=dataclasses.replace(rctx.ctx, con=con),
                         declarations=rctx.declarations, allow_python=rctx.allow_python,
                         time_limit=rctx.time_limit)
    try:
        yield worker
    finally:
        worker.close()
