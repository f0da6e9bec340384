"""The row and key checks of every loaded table, asked first whether they find anything.

Each check is a query of the rows it reports. On a small table a query costs more to plan
than to run, so all the checks of a package are first asked in one statement (a few
dozen at a time) whether they return a row at all; only those that do are run. A valid
package costs one statement instead of several a table. Each check is asked by its
*probe*: a query returning a row exactly when the check does, without the columns, order
and limit of its report (cheaper to plan); checks asking the same are asked once. The
questions are a ``UNION ALL`` of one branch a probe: as ``EXISTS`` subqueries of one
``SELECT`` they became one join of every probe's tables, which DuckDB's join planner took
longer to order than the probes took to run.

On a large table asking costs as much as running (a key check groups or joins every row
either way), so a check there is asked only when its probe is cheap to run too (the row
check's: any row flagged at load time); the others are run straight away, once, side by
side with the questions, some by a plan of their own (a key's repeats found from the order
the keys are stored in, :mod:`.keyorder`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from semicon.schemas.duckdb_core import duckdb_engine

from .findings import Finding
from .resource import LoadedResource
from .sidebyside import side_by_side

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
    #: ``probe`` is cheaper to run than ``sql`` on a large table too (it reads a flag
    #: stored at load time); a key check's probes group or join every row as ``sql`` does
    cheap_probe: bool = False
    #: what gives ``sql``'s rows on a large table, more cheaply: a plan of a few
    #: statements (:func:`.keyorder.find_repeats`)
    run: Callable[[Any], list[tuple]] | None = None


def any_rows_sql(queries: Sequence[str]) -> str:
    """The positions (from 0) of the queries that return a row, one row each."""
    return " UNION ALL ".join(f"(SELECT {i} FROM ({q}) LIMIT 1)" for i, q in enumerate(queries))


def run_checks(con: Any, resources: dict[str, LoadedResource], findings: list[Finding],
               cap: int, *, workers: int = 1) -> None:
    """Row and key findings of every usable table, in table order; the questions are
    shared out among ``workers`` threads (:mod:`.sidebyside`)."""
    from .keys import key_queries
    from .rowchecks import row_queries

    checks: list[Check] = []
    for r in resources.values():
        if r.usable:
            checks += row_queries(con, r, findings, cap)
            checks += key_queries(r, resources, findings, cap)
    asked = [c for c in checks if not _direct(c)]
    jobs: list[tuple[Callable, Any]] = [(_ask, batch) for batch in _batches(asked, workers)]
    jobs += [(_run, c) for c in checks if _direct(c)]  # large tables' checks, asked nothing
    answers = side_by_side(con, jobs, lambda c, job: job[0](c, job[1]), workers=workers)
    for check, rows in (answer for job in answers for answer in job):
        _report(check, rows)


def _ask(con: Any, batch: list[Check]) -> list[tuple[Check, list[tuple]]]:
    """The rows of each check of ``batch`` that returns any."""
    return [(check, _rows(con, check)) for check in _finding_checks(con, batch)]


def _run(con: Any, check: Check) -> list[tuple[Check, list[tuple]]]:
    """The rows of ``check``, asked nothing first."""
    return [(check, _rows(con, check))]


def _rows(con: Any, check: Check) -> list[tuple]:
    """The rows of ``check``'s query, by its own plan where it has one."""
    return check.run(con) if check.run else con.execute(check.sql).fetchall()


def _direct(check: Check) -> bool:
    """Whether asking first would cost as much as running (see the module's docstring)."""
    return not check.cheap_probe and large(check.resource)


def large(r: LoadedResource) -> bool:
    """Whether ``r`` has so many rows that a key check costs the same asked or run."""
    return r.rows >= DIRECT_ROWS


def _report(check: Check, rows: list[tuple]) -> None:
    check.resource.capped |= len(rows) >= check.cap
    check.report(rows)


def _batches(checks: list[Check], workers: int) -> list[list[Check]]:
    """At most :data:`BATCH` checks a batch, and a batch for every worker: as many as each."""
    if not checks:
        return []
    count = max(-(-len(checks) // BATCH), min(workers, len(checks)))
    size = -(-len(checks) // count)
    return [checks[i:i + size] for i in range(0, len(checks), size)]


def _finding_checks(con: Any, batch: list[Check]) -> list[Check]:
    """The checks of ``batch`` that return a row; all of them when asking fails (each is
    then run and fails, or not, on its own, as it would without asking)."""
    duckdb = duckdb_engine()

    probes = list(dict.fromkeys(c.probe or c.sql for c in batch))  # each asked once
    try:
        found = {probes[i] for (i,) in con.execute(any_rows_sql(probes)).fetchall()}
    except duckdb.Error:
        return batch
    return [c for c in batch if (c.probe or c.sql) in found]
