"""A large table's repeated keys found from the order its rows are stored in.

Large tables are mostly stored in key order (a numbered identifier), with a few rows out
of place: a mistyped key, a repeat, rejected lines re-read into a table of their own.
Grouping every key to find the repeats costs a million hash-table entries; this finds
them from one streaming pass and a query of a few rows:

1. :func:`steps_sql` lists every *step down* of the stored rows with a key (a missing
   key repeats nothing): a key that is not above the one before it. Each step makes two
   *suspects*: its row and the row before it. Without steps, no key repeats.
2. Every other row's key is above the one before it, so those rows increase strictly
   (and none repeats) once the rows either side of each run of suspects are in order too.
3. :func:`repeats_sql` checks those pairs and groups only the rows whose key a suspect
   (or a re-read row) has: every repeat involves one.

Where the keys are not in order (more than :data:`MAX_STEPS` steps, or a pair out of
order), the check groups every row (:func:`.sqlchecks.duplicate_sql`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .cellchecks import STRING_TYPES
from .resource import LoadedResource
from .sqlchecks import Column, line_order, raw_cell
from .tables import unnested, view_select

#: steps down from which the keys are taken as unordered and every row is grouped
MAX_STEPS = 10_000

#: field types whose typed values (text, numbers, dates, booleans) DuckDB's ``>`` orders
#: strictly: two values GROUP BY tells apart are in order one way or the other
ORDERED_KEY_TYPES = STRING_TYPES | {"integer", "number", "date", "year", "boolean"}


@dataclass
class Suspects:
    """The rows a step down makes suspect, and the pairs of rows that must increase."""

    #: ``__k`` of every suspect row and of the rows either side of each run of them
    rows: list[int]
    #: (``__k`` before a run of suspects, ``__k`` after it)
    pairs: list[tuple[int, int]]


def applies(keys: Sequence[Column]) -> bool:
    """Whether the key is one column of a type ``>`` orders as GROUP BY tells apart."""
    return len(keys) == 1 and keys[0].fld.type in ORDERED_KEY_TYPES


def stored_rows(r: LoadedResource) -> str:
    """The kept fields of the rows of ``r``'s first table, in the order stored: the kept
    view itself when it reads that table only (as for a table stored long, or by the
    careful parser), else that table's part of it (a union would be gathered whole before
    the window streams)."""
    if len(r.tables) <= 1:
        return r.kept_source()
    return f"({view_select(r, r.tables[0], derived=False)})"


def _keyed(source: str, key: Column) -> str:
    """The rows of ``source`` with a key, in stored order: ``__k`` and the key ``k``."""
    return f"(SELECT __k, {key.key} AS k FROM {source}) WHERE k IS NOT NULL"


def increasing_sql(source: str, key: Column) -> str:
    """A row unless the keys of ``source`` increase strictly in stored order: one
    streaming pass, stopping at the first step down, the whole answer for a valid table
    (:func:`steps_sql` is dearer: it carries the rows' places along)."""
    return (f"SELECT 1 FROM (SELECT k, lag(k) OVER () AS p FROM {_keyed(source, key)}) "
            "WHERE NOT (k > p) LIMIT 1")


def steps_sql(source: str, key: Column, limit: int) -> str:
    """Each step down of the rows of ``source`` with a key, in stored order: its place
    ``q`` among them (from 1), its row's ``__k`` and those of the row before it, the one
    before that, and the one after; at most ``limit`` steps (one streaming pass,
    stopping there)."""
    return (
        "SELECT q, __k, p1, p2, n1 FROM (SELECT __k, k, row_number() OVER () AS q, "
        "lag(k) OVER () AS pk, lag(__k) OVER () AS p1, lag(__k, 2) OVER () AS p2, "
        f"lead(__k) OVER () AS n1 FROM {_keyed(source, key)}) "
        f"WHERE q > 1 AND NOT (k > pk) LIMIT {int(limit)}"
    )


def suspects(steps: Sequence[tuple]) -> Suspects:
    """The suspect rows and pairs of :func:`steps_sql`'s rows ``(q, __k, p1, p2, n1)``.

    A step at ``q`` makes ``q - 1`` and ``q`` suspect; steps at most two apart join one
    run of suspects. The row before a run is the one before its first step's row's
    predecessor (``p2``); the row after it, the one after its last step's row (``n1``).
    """
    rows: list[int] = []
    pairs: list[tuple[int, int]] = []
    first: tuple | None = None
    last: tuple | None = None
    for step in sorted(steps):
        if last is not None and step[0] > last[0] + 2:
            _close(first, last, rows, pairs)
            first = None
        if first is None:
            first = step
        rows += [step[1], step[2]]
        last = step
    if last is not None:
        _close(first, last, rows, pairs)
    return Suspects(rows, pairs)


def _close(first: tuple, last: tuple, rows: list[int], pairs: list[tuple[int, int]]
           ) -> None:
    """Add the rows either side of a run of suspects (from step ``first`` to ``last``)."""
    before, after = first[3], last[4]
    rows += [x for x in (before, after) if x is not None]
    if before is not None and after is not None:
        pairs.append((before, after))


def repeats_sql(view: str, key: Column, others: Sequence[str], *,
                limit: int | None = None) -> str:
    """:func:`.sqlchecks.duplicate_sql`'s rows, grouping only the rows whose key one of
    the rows ``$1`` (``__k``) or of the tables ``others`` has; first, a row of NULLs for
    each pair (``$2``, ``$3``: ``__k``) whose keys do not increase, which voids the rest.

    ``view`` is read twice rather than kept between the two reads (a CTE read twice is
    stored whole: ten million keys)."""
    # one IN of a union: an OR of INs is a join of its own for each, over every row
    among = " UNION ALL ".join(["SELECT unnest($1::BIGINT[])",
                                *(f"SELECT __k FROM {t}" for t in others)])
    sql = (
        f"WITH m AS (SELECT __k, {key.key} AS k0 FROM {view} WHERE __k IN ({among})), "
        f"g AS ({unnested([('a', 'BIGINT'), ('b', 'BIGINT')], first=2)}), "
        "c AS (SELECT s.__k, s.k0, s.r0, count(*) OVER w AS n, min(s.k0) OVER w AS g0 "
        f"FROM (SELECT __k, {key.key} AS k0, {raw_cell(key)} AS r0 FROM {view}) s "
        "SEMI JOIN (SELECT DISTINCT k0 FROM m WHERE k0 IS NOT NULL) o "
        "ON s.k0 = o.k0 WINDOW w AS (PARTITION BY s.k0)) "
        "(SELECT NULL, NULL, NULL FROM g JOIN m ma ON ma.__k = g.a JOIN m mb "
        "ON mb.__k = g.b WHERE NOT coalesce(mb.k0 > ma.k0, FALSE) LIMIT 1) UNION ALL "
        # the group's key, the same for every row of it (-0.0 and 0.0 are one key)
        f"(SELECT __k, CAST(g0 AS VARCHAR), r0 FROM c WHERE n > 1 ORDER BY {line_order()}"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql + ")"


def find_repeats(con: Any, r: LoadedResource, key: Column, grouping: str,
                 cap: int) -> list[tuple]:
    """The rows of ``grouping`` (:func:`.sqlchecks.duplicate_sql` over ``key``), found
    from the stored order where it allows (see the module's docstring).

    A statement of its own, not a question asked with others (:mod:`.checks`): the
    suspects' query then follows on the same worker while the others run beside it."""
    source, others = stored_rows(r), r.tables[1:]
    if not others and not con.execute(increasing_sql(source, key)).fetchall():
        return []
    steps = con.execute(steps_sql(source, key, MAX_STEPS + 1)).fetchall()
    if len(steps) > MAX_STEPS:
        return con.execute(grouping).fetchall()
    if not steps and not others:
        return []
    found = suspects(steps)
    before = [a for a, _ in found.pairs]
    after = [b for _, b in found.pairs]
    rows = con.execute(repeats_sql(r.kept_source(), key, others, limit=cap),
                       [found.rows, before, after]).fetchall()
    if any(row[0] is None for row in rows):  # a pair out of order: the proof fails
        return con.execute(grouping).fetchall()
    return rows
