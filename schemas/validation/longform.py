"""Wide tables: every cell stored as one row ``(line, pos, v)``, checked per kind of field.

DuckDB binds and rewrites a statement in time that grows faster than the number of its
columns: a ``SELECT`` of 8,000 casts takes 26 s here where 1,000 take 0.4 s. A table wider
than :data:`WIDE_COLUMNS` is therefore stored long: one row per cell. Fields that are
checked alike (same type, format, constraints and missing values) form a group, and each
group is checked by one statement over its cells, whatever the number of its columns: the
SQL grows with the number of kinds of field, the work with the number of cells.

The fields read later for every row (keys, rule inputs) are also stored the usual way, one
column each, so key checks and rules see a resource like any other.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from . import sqlchecks
from .findings import Finding
from .resource import LoadedResource
from .sqlchecks import Column
from .tables import insert_records, view_select

#: tables with more columns than this are stored long
WIDE_COLUMNS = 200

#: keys of a field descriptor that do not change how its cells are checked
_DESCRIPTIVE = ("name", "title", "description", "example", "rdfType")


def is_wide(r: LoadedResource) -> bool:
    return len(r.columns) > WIDE_COLUMNS


def store_long(con: Any, r: LoadedResource, records: Iterable[tuple[int, list[str]]]) -> None:
    """Store every cell of ``records`` in ``r{i}_long`` and the kept fields in the view."""
    n = len(r.columns)
    kept = [c for c in r.columns if r.keep is None or c.name in r.keep]
    lines: list[int] = []
    extras: list[int] = []
    cells: list[str | None] = []
    narrow: list[tuple[int, list[str | None]]] = []
    pad: list[None] = [None] * n
    for line, row in records:
        lines.append(line)
        extra = max(0, len(row) - n)
        extras.append(extra)
        if extra:
            r.extras[line] = row[n:]
        full = row[:n] if len(row) >= n else row + pad[: n - len(row)]
        cells.extend(full)
        narrow.append((line, [full[c.position - 1] for c in kept]))
    # bound as lists and unnested: no Arrow (whose import alone takes a second)
    con.execute(f"CREATE TABLE r{r.index}_long AS SELECT unnest($1::BIGINT[]) AS line, "
                f"unnest($2::INTEGER[]) AS pos, unnest($3::VARCHAR[]) AS v",
                [[line for line in lines for _ in range(n)],
                 list(range(1, n + 1)) * len(lines), cells])
    con.execute(f"CREATE TABLE r{r.index}_lx AS SELECT unnest($1::BIGINT[]) AS line, "
                f"unnest($2::BIGINT[]) AS extra", [lines, extras])
    groups = _groups(r.columns)
    con.execute(f"CREATE TABLE r{r.index}_cols AS SELECT unnest($1::INTEGER[]) AS pos, "
                f"unnest($2::INTEGER[]) AS g",
                [[c.position for cols in groups for c in cols],
                 [g for g, cols in enumerate(groups) for _ in cols]])
    r.long_groups = groups
    # the kept fields, one column each, for keys and rules
    shadow = replace(r, columns=kept, by_name={c.name: c for c in kept}, extras={})
    insert_records(con, f"r{r.index}_st", shadow, narrow)
    r.view = f"r{r.index}_v"
    con.execute(f"CREATE VIEW {r.view} AS "
                f"{view_select(shadow, f'r{r.index}_st', keys='__k, __extra')}")


def _signature(col: Column) -> str:
    fld = {k: v for k, v in col.fld.items() if k not in _DESCRIPTIVE}
    return json.dumps([fld, col.mv], sort_keys=True, default=str)


def _groups(columns: list[Column]) -> list[list[Column]]:
    """Columns checked alike, in order of their first column."""
    out: dict[str, list[Column]] = {}
    for c in columns:
        out.setdefault(_signature(c), []).append(c)
    return list(out.values())


def _proto(col: Column) -> Column:
    """The group's checks, written over the long table's text cell ``v``."""
    return Column(position=0, col="v", fld=col.fld, mv=col.mv, tcol=None)


def long_row_checks(con: Any, r: LoadedResource, findings: list[Finding], cap: int,
                    message: Any) -> None:
    """Blank rows, cell findings and extra cells of a table stored long."""
    t, cols = f"r{r.index}_long", f"r{r.index}_cols"
    groups: list[list[Column]] = r.long_groups
    blank_parts = " UNION ALL ".join(
        f"SELECT line, bool_and({sqlchecks.null_expr('v', g[0].mv)}) AS b FROM {t} "
        f"WHERE pos IN (SELECT pos FROM {cols} WHERE g = {i}) GROUP BY line"
        for i, g in enumerate(groups))
    blank = {line for (line,) in con.execute(
        f"SELECT line FROM ({blank_parts}) JOIN r{r.index}_lx USING (line) "
        f"WHERE extra = 0 GROUP BY line HAVING bool_and(b) ORDER BY line").fetchall()}
    for line in sorted(blank):
        findings.append(r.finding("blank-row", f'Row at line "{line}" is completely blank',
                                  line=line))
    out: list[tuple[int, int, int, str | None, int]] = []
    group_flags = [sqlchecks.row_flags([_proto(g[0])]) for g in groups]
    for i, flags in enumerate(group_flags):
        if not flags:
            continue
        cases = ", ".join(f"coalesce({f.sql}, FALSE) AS f{j}" for j, f in enumerate(flags))
        rows = con.execute(
            f"SELECT line, pos, v, {cases} FROM {t} "
            f"WHERE pos IN (SELECT pos FROM {cols} WHERE g = {i}) "
            f"AND ({' OR '.join(f.sql for f in flags)}) ORDER BY line, pos LIMIT {int(cap)}"
        ).fetchall()
        r.capped |= len(rows) >= cap
        for line, pos, value, *hits in rows:
            if line in blank:
                continue
            for j, hit in enumerate(hits):
                if hit:
                    out.append((line, pos, j, value, i))
    for line, pos, j, value, i in sorted(out):
        col = r.columns[pos - 1]
        flag = group_flags[i][j]
        findings.append(r.finding(flag.code, message(flag.code, line, col, value, flag.note),
                                  line=line, field=col.name, value=value))
    for line, values in sorted(r.extras.items()):
        for k, value in enumerate(values):
            pos = len(r.columns) + k + 1
            findings.append(r.finding(
                "extra-cell",
                f'Row at line "{line}" has an extra value in field at position "{pos}"',
                line=line, value=value))
