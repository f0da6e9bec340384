"""Key findings from SQL: unique fields, the primary key and foreign keys."""

from __future__ import annotations

from typing import Any

from . import sqlchecks
from .descriptor import as_list
from .findings import Finding
from .resource import LoadedResource
from .sqlchecks import Column


def _key_columns(r: LoadedResource, names: list[str]) -> list[Column] | None:
    cols = [r.by_name.get(n) for n in names]
    if any(c is None for c in cols):
        return None
    return cols  # type: ignore[return-value]


def _previous_lines(rows: list[tuple]) -> dict[int, int]:
    """For rows (line, *key) of duplicate keys: line -> line of the previous occurrence."""
    last: dict[tuple, int] = {}
    out: dict[int, int] = {}
    for row in sorted(rows, key=lambda x: x[0]):
        key = tuple(row[1:])
        if key in last:
            out[row[0]] = last[key]
        last[key] = row[0]
    return out


def key_checks(con: Any, r: LoadedResource, resources: dict[str, LoadedResource],
               findings: list[Finding], cap: int) -> None:
    cap += len(r.bounds)
    schema = r.schema
    # unique fields
    for col in r.columns:
        cons = col.fld.get("constraints") or {}
        if not cons.get("unique"):
            continue
        dups = con.execute(sqlchecks.duplicate_sql(r.view, [col], skip_all_null=True,
                                                   limit=cap)).fetchall()
        r.capped |= len(dups) >= cap
        dups = [(r.line_of(key), k, v) for key, k, v in dups]
        prev = _previous_lines([(line, k) for line, k, _v in dups])
        raw = {line: v for line, _k, v in dups}
        for line, before in prev.items():
            findings.append(r.finding(
                "unique-error",
                f'Row at line "{line}" has unique constraint violation in field "{col.name}" '
                f'at position "{col.position}": the same as in the row at line {before}',
                line=line, field=col.name, value=raw[line]))
    # primary key
    pk = as_list(schema.get("primaryKey"))
    pk_cols = _key_columns(r, pk) if pk else None
    if pk_cols:
        dups = con.execute(sqlchecks.duplicate_sql(r.view, pk_cols, skip_all_null=True,
                                                   limit=cap)).fetchall()
        r.capped |= len(dups) >= cap
        n = len(pk_cols)
        dups = [(r.line_of(row[0]), *row[1:]) for row in dups]
        prev = _previous_lines([row[: 1 + n] for row in dups])
        raw = {row[0]: row[1 + n:] for row in dups}
        for line, before in prev.items():
            findings.append(r.finding(
                "primary-key",
                f'Row at line "{line}" violates the primary key: the same as in the row at '
                f"line {before}", line=line, field=", ".join(pk),
                value=", ".join("" if v is None else str(v) for v in raw[line])))
        for (key,) in con.execute(sqlchecks.all_null_key_sql(r.view, pk_cols,
                                                             limit=cap)).fetchall():
            line = r.line_of(key)
            findings.append(r.finding(
                "primary-key",
                f'Row at line "{line}" violates the primary key: cells composing the primary '
                'keys are all "None"', line=line, field=", ".join(pk)))
    # foreign keys
    for fk in schema.get("foreignKeys", []) or []:
        src = as_list(fk["fields"])
        ref = fk["reference"]
        target_name = ref.get("resource", "") or r.name
        target = resources.get(target_name)
        cols = _key_columns(r, src)
        if not cols or target is None or not target.usable:
            continue
        ref_cols = _key_columns(target, as_list(ref["fields"]))
        if not ref_cols:
            continue
        sql = sqlchecks.foreign_key_sql(r.view, cols, target.view, ref_cols, limit=cap)
        missing = con.execute(sql).fetchall()
        r.capped |= len(missing) >= cap
        for row in missing:
            line = r.line_of(row[0])
            values = ", ".join("" if v is None else str(v) for v in row[1:])
            findings.append(r.finding(
                "foreign-key",
                f'Row at line "{line}" violates the foreign key: for "{", ".join(src)}": '
                f'values "{values}" not found in the lookup table "{ref.get("resource", "")}" '
                f'as "{", ".join(as_list(ref["fields"]))}"',
                line=line, field=", ".join(src), value=values))
