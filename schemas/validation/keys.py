"""Key checks as SQL queries: unique fields, the primary key and foreign keys."""

from __future__ import annotations

from collections.abc import Callable

from semicon.schemas.model import ForeignKey

from . import keyorder, sqlchecks
from .checks import Check, large
from .findings import Finding
from .resource import LoadedResource
from .sqlchecks import Column


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


def key_queries(r: LoadedResource, resources: dict[str, LoadedResource],
                findings: list[Finding], cap: int) -> list[Check]:
    """The key checks of ``r``: unique fields, primary key, foreign keys."""
    cap += len(r.bounds)
    return [*_unique_queries(r, findings, cap), *_primary_key_queries(r, findings, cap),
            *_unique_key_queries(r, findings, cap),
            *_foreign_key_queries(r, resources, findings, cap)]


def _unique_queries(r: LoadedResource, findings: list[Finding], cap: int) -> list[Check]:
    out = []
    for col in r.columns:
        if col.fld.unique:
            report = _repeat_reporter(
                r, [col], findings, "unique-error",
                f'has unique constraint violation in field "{col.name}" at position '
                f'"{col.position}"')
            out.append(_duplicate_check(r, [col], cap, report))
    return out


def _unique_key_queries(r: LoadedResource, findings: list[Finding], cap: int) -> list[Check]:
    """The Table Schema's ``uniqueKeys`` (v2): a row whose key cells are all present
    repeats an earlier row's; rows with a null cell in the key are not compared."""
    out = []
    for names in r.schema.unique_keys:
        cols = r.key_columns(names)
        if not cols:
            continue
        field = ", ".join(c.name for c in cols)
        report = _repeat_reporter(r, cols, findings, "unique-error",
                                  f'has unique key violation in fields "{field}"')
        out.append(_duplicate_check(r, cols, cap, report, skip_any_null=True))
    return out


def _duplicate_check(r: LoadedResource, cols: list[Column], cap: int,
                     report: Callable[[list[tuple]], None], *,
                     skip_any_null: bool = False) -> Check:
    """The check of rows repeating a key: on a large table found from the order the keys
    are stored in where it allows (:mod:`.keyorder`), on a small one asked first."""
    rows = r.kept_source()
    sql = sqlchecks.duplicate_sql(rows, cols, skip_any_null=skip_any_null, limit=cap)
    if large(r) and keyorder.applies(cols):
        return Check(r, sql, cap, report,
                     run=lambda con: keyorder.find_repeats(con, r, cols[0], sql, cap))
    return Check(r, sql, cap, report,
                 probe=sqlchecks.duplicate_probe_sql(rows, cols, skip_any_null=skip_any_null))


def _repeats(r: LoadedResource, n: int, rows: list[tuple]) -> list[tuple[int, int, str]]:
    """For the rows of :func:`.sqlchecks.duplicate_sql` over a key of ``n`` columns: each
    repeating row's line, the line of the row it repeats, and its key cells shown."""
    dups = [(r.line_of(row[0]), *row[1:]) for row in rows]
    prev = _previous_lines([row[: 1 + n] for row in dups])
    raw = {row[0]: row[1 + n:] for row in dups}
    return [(line, before, ", ".join("" if v is None else str(v) for v in raw[line]))
            for line, before in prev.items()]


def _repeat_reporter(r: LoadedResource, cols: list[Column], findings: list[Finding],
                     code: str, violation: str) -> Callable[[list[tuple]], None]:
    """A finding ``code`` for each row of :func:`.sqlchecks.duplicate_sql` over ``cols``
    that repeats an earlier row: 'Row at line "N" <violation>: the same as in ...'."""
    field = ", ".join(c.name for c in cols)

    def report(rows: list[tuple]) -> None:
        for line, before, shown in _repeats(r, len(cols), rows):
            findings.append(r.finding(
                code, f'Row at line "{line}" {violation}: the same as in the row at line '
                f"{before}", line=line, field=field, value=shown))
    return report


def _primary_key_queries(r: LoadedResource, findings: list[Finding],
                         cap: int) -> list[Check]:
    pk = r.schema.primary_key
    pk_cols = r.key_columns(pk)
    if not pk_cols:
        return []
    field = ", ".join(pk)
    duplicates = _repeat_reporter(r, pk_cols, findings, "primary-key",
                                  "violates the primary key")

    def empty(rows: list[tuple]) -> None:
        for (key,) in rows:
            line = r.line_of(key)
            findings.append(r.finding(
                "primary-key",
                f'Row at line "{line}" violates the primary key: cells composing the primary '
                'keys are all "None"', line=line, field=field))

    return [
        _duplicate_check(r, pk_cols, cap, duplicates),
        Check(r, sqlchecks.all_null_key_sql(r.kept_source(), pk_cols, limit=cap), cap, empty,
              probe=sqlchecks.all_null_key_sql(r.kept_source(), pk_cols, probe=True)),
    ]


def _foreign_key_queries(r: LoadedResource, resources: dict[str, LoadedResource],
                         findings: list[Finding], cap: int) -> list[Check]:
    out = []
    for fk in r.schema.foreign_keys:
        target = resources.get(fk.resource)
        cols = r.key_columns(fk.fields)
        if not cols or target is None or not target.usable:
            continue
        ref_cols = target.key_columns(fk.reference_fields)
        if not ref_cols:
            continue
        rows, targets = r.kept_source(), target.kept_source()
        sql = sqlchecks.foreign_key_sql(rows, cols, targets, ref_cols, limit=cap)
        probe = sqlchecks.foreign_key_probe_sql(rows, cols, targets, ref_cols)
        out.append(Check(r, sql, cap, _foreign_key_reporter(r, fk, findings), probe=probe))
    return out


def _foreign_key_reporter(r: LoadedResource, fk: ForeignKey,
                          findings: list[Finding]) -> Callable[[list[tuple]], None]:
    src = ", ".join(fk.fields)

    def report(rows: list[tuple]) -> None:
        for row in rows:
            line = r.line_of(row[0])
            values = ", ".join("" if v is None else str(v) for v in row[1:])
            findings.append(r.finding(
                "foreign-key",
                f'Row at line "{line}" violates the foreign key: for "{src}": '
                f'values "{values}" not found in the lookup table "{fk.declared_resource}" '
                f'as "{", ".join(fk.reference_fields)}"',
                line=line, field=src, value=values))
    return report
