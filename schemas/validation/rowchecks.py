"""Row findings from SQL: blank rows, cell type/constraint errors, missing and extra cells."""

from __future__ import annotations

from typing import Any

from . import sqlchecks
from .checks import Check
from .findings import Finding
from .longform import long_row_checks
from .resource import LoadedResource
from .sqlchecks import Column


def _cell_message(code: str, line: int, col: Column, value: str | None, note: str) -> str:
    if code == "type-error":
        return (f'Type error in the cell "{value}" in line "{line}" and field "{col.name}" at '
                f'position "{col.position}": {note}')
    if code == "constraint-error":
        return (f'The cell "{value}" in line "{line}" and field "{col.name}" at position '
                f'"{col.position}" does not conform to a constraint: {note}')
    if code == "missing-cell":
        return (f'Row at line "{line}" has a missing cell in field "{col.name}" at position '
                f'"{col.position}"')
    if code == "formula-injection":
        return (f'The cell "{value}" in line "{line}" and field "{col.name}" starts with '
                f'"{_show(value[:1] if value else "")}": a spreadsheet would run it as a '
                "formula")
    return f'{code} in line "{line}" and field "{col.name}"'


def _show(ch: str) -> str:
    return {"\t": "\\t", "\r": "\\r"}.get(ch, ch)


def row_queries(con: Any, r: LoadedResource, findings: list[Finding],
                cap: int) -> list[Check]:
    """The row check of ``r`` (blank rows, cell findings, extra cells) as a query; a table
    stored long is checked here and now (its checks are several statements)."""
    if r.long_groups:
        long_row_checks(con, r, findings, cap, _cell_message)
        return []
    cap += len(r.bounds)
    flags = sqlchecks.row_flags(r.columns)
    sql = sqlchecks.row_check_sql(r.view, r.columns, flags, limit=cap)
    # every row with a finding was flagged at load time: the stored tables say whether
    # there is one, without planning the view's typed expressions
    probe = " UNION ALL ".join(f"SELECT 1 FROM {t} WHERE __bad" for t in r.tables) or None
    return [Check(r, sql, cap, lambda rows: _row_findings(r, flags, rows, findings),
                  probe=probe, cheap_probe=probe is not None)]


def _row_findings(r: LoadedResource, flags: list, rows: list[tuple],
                  findings: list[Finding]) -> None:
    nflags = len(flags)
    for row in rows:
        line, extra, blank = r.line_of(row[0]), row[1], row[2]
        cells = row[3 + nflags:]
        if blank:
            findings.append(r.finding("blank-row",
                                      f'Row at line "{line}" is completely blank',
                                      line=line))
            continue
        for i in range(nflags):
            if row[3 + i]:
                f = flags[i]
                col = f.column
                assert col is not None
                value = cells[col.position - 1]
                findings.append(r.finding(
                    f.code, _cell_message(f.code, line, col, value, f.note),
                    line=line, field=col.name, value=value))
        if extra:
            values = r.extras.get(line, [])
            for j in range(extra):
                pos = len(r.columns) + j + 1
                findings.append(r.finding(
                    "extra-cell",
                    f'Row at line "{line}" has an extra value in field at position "{pos}"',
                    line=line, value=values[j] if j < len(values) else None))
