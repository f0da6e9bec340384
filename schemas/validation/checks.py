"""The row and key checks of every loaded table, asked first whether they find anything.

Each check is a query of the rows it reports. On a small table a query costs more to plan
than to run, so all the checks of a package are first asked in one statement (a few
dozen at a time) whether they return a row at all; only those that do are run. A valid
package costs one statement instead of several a table. On a large table asking costs
as much as running (a key check groups or joins every row either way), so a check there
is asked only when it has a cheaper question (the row check's: any row flagged at load
time); the others are run straight away, once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from semicon.schemas.duckdb_core import duckdb_engine

from .findings import Finding
from .resource import LoadedResource

#: checks asked in one statement
BATCH = 48
#: rows from which a check without a cheaper probe is run without asking first
DIRECT_ROWS = 100_000


@dataclass
class Check:
    """A query of the rows breaking a rule of ``resource``, and what becomes of them."""

    resource: LoadedResource
    sql: str
    #: rows the query returns at most (its ``LIMIT``): reaching it marks the table capped
    cap: int
    report: Callable[[list[tuple]], None]
    #: a query returning a row exactly when ``sql`` does, cheaper to plan (default ``sql``)
    probe: str | None = None


def any_rows_sql(queries: Sequence[str]) -> str:
    """One row: for each query, whether it returns a row."""
    return "SELECT " + ", ".join(f"EXISTS ({q})" for q in queries)


def run_checks(con: Any, resources: dict[str, LoadedResource], findings: list[Finding],
               cap: int) -> None:
    """Row and key findings of every usable table, in table order."""
    from .keys import key_queries
    from .rowchecks import row_queries

    checks: list[Check] = []
    for r in resources.values():
        if r.usable:
            checks += row_queries(con, r, findings, cap)
            checks += key_queries(r, resources, findings, cap)
    asked = [c for c in checks if not _direct(c)]
    for batch in _batches(asked):
        for check in _finding_checks(con, batch):
            _run(con, check)
    for check in checks:
        if _direct(check):
            _run(con, check)


def _direct(check: Check) -> bool:
    """Whether asking first would cost as much as running (see the module's docstring)."""
    return check.probe is None and check.resource.rows >= DIRECT_ROWS


def _run(con: Any, check: Check) -> None:
    rows = con.execute(check.sql).fetchall()
    check.resource.capped |= len(rows) >= check.cap
    check.report(rows)


def _batches(checks: list[Check]) -> Iterator[list[Check]]:
    for i in range(0, len(checks), BATCH):
        yield checks[i:i + BATCH]


def _finding_checks(con: Any, batch: list[Check]) -> list[Check]:
    """The checks of ``batch`` that return a row; all of them when asking fails (each is
    then run and fails, or not, on its own, as it would without asking)."""
    duckdb = duckdb_engine()

    try:
        found = con.execute(any_rows_sql([c.probe or c.sql for c in batch])).fetchall()[0]
    except duckdb.Error:
        return batch
    return [c for c, any_row in zip(batch, found, strict=True) if any_row]
