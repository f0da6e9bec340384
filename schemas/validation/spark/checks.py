"""Counting findings with Spark SQL: one aggregate a resource for the row checks, joins and
aggregates for unique fields, primary and foreign keys.

Spark cannot say on which CSV line a row was (the file is read in parallel splits), so a
finding here is one check with its count and sample values (the smallest and the largest
failing value), not one finding a cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from semicon.schemas.model import ForeignKey

from ..findings import Finding, make
from .frames import EXTRA, SparkResource
from .sqlgen import Cell, Check, blank_sql, ident, key_expr, row_checks, spark_type

#: the sample values kept per check (smallest and largest failing value)
SAMPLES = 2


def samples_text(values: Sequence[Any]) -> str | None:
    seen: list[str] = []
    for v in values:
        if v is not None and str(v) not in seen:
            seen.append(str(v))
    return ", ".join(seen[:SAMPLES]) if seen else None


def finding(r: SparkResource, code: str, message: str, *, count: int,
            field: str | None = None, values: Sequence[Any] = (),
            severity: str = "error") -> Finding:
    sample = samples_text(values)
    shown = f' (e.g. "{sample}")' if sample is not None and code != "missing-cell" else ""
    return make(code, f"{count} row{'s' * (count != 1)}: {message}{shown}",
                resource=r.name, path=r.path, field=field,
                value=sample, severity=severity, count=count)


def _message(check: Check) -> str:
    name = check.cell.name
    if check.code == "type-error":
        return f'type error in field "{name}": {check.note}'
    if check.code == "constraint-error":
        return f'field "{name}" does not conform to a constraint: {check.note}'
    if check.code == "missing-cell":
        return f'missing cell in field "{name}"'
    if check.code == "formula-injection":
        return (f'text in field "{name}" starts with a formula character: a spreadsheet '
                "would run it as a formula")
    return f'{check.code} in field "{name}"'


def row_findings(r: SparkResource) -> tuple[list[Finding], dict[tuple[str, str], int]]:
    """One pass over the rows: count every check; also the counts by (field, check name)
    for the pandera cross-check."""
    from pyspark.sql import functions as F

    checks = row_checks(r.cells)
    blank = blank_sql(r.cells, EXTRA)
    aggs = [F.count(F.lit(1)).alias("rows"),
            F.sum(F.expr(f"CASE WHEN {blank} THEN 1 ELSE 0 END")).alias("blank"),
            F.sum(F.col(EXTRA)).alias("extra"),
            F.min(F.expr(f"CASE WHEN {EXTRA} > 0 THEN {EXTRA} END")).alias("extra_min")]
    for i, check in enumerate(checks):
        hit = f"(NOT {blank}) AND coalesce({check.sql}, FALSE)"
        aggs += [F.sum(F.expr(f"CASE WHEN {hit} THEN 1 ELSE 0 END")).alias(f"n{i}"),
                 F.min(F.expr(f"CASE WHEN {hit} THEN {check.sample} END")).alias(f"lo{i}"),
                 F.max(F.expr(f"CASE WHEN {hit} THEN {check.sample} END")).alias(f"hi{i}")]
    row = r.frame.agg(*aggs).collect()[0]
    r.rows = int(row["rows"])
    out: list[Finding] = []
    counts: dict[tuple[str, str], int] = {}
    if row["blank"]:
        out.append(finding(r, "blank-row", "completely blank", count=int(row["blank"])))
    if row["extra"]:
        out.append(finding(r, "extra-cell", "extra values beyond the header's fields",
                           count=int(row["extra"])))
    for i, check in enumerate(checks):
        n = int(row[f"n{i}"] or 0)
        key = (check.cell.name, check.pandera or check.code)
        counts[key] = counts.get(key, 0) + n
        if n:
            out.append(finding(r, check.code, _message(check), count=n,
                               field=check.cell.name, values=(row[f"lo{i}"], row[f"hi{i}"])))
    counts[("", "blank-row")] = int(row["blank"] or 0)
    return out, counts


def typed_frame(r: SparkResource) -> Any:
    """The resource's typed rows, one column a field (the frame pandera validates)."""
    from pyspark.sql import functions as F

    return r.frame.select(*[F.expr(c.typed).alias(c.name) for c in r.cells])


def _key_sql(cells: Sequence[Cell]) -> tuple[str, str]:
    """SQL: the typed key (``k0``, ``k1``...) and its cells' text (``r0``, ``r1``...)."""
    keys = ", ".join([f"{key_expr(c.fld, c.typed)} AS k{i}" for i, c in enumerate(cells)]
                     + [f"{c.col} AS r{i}" for i, c in enumerate(cells)])
    names = ", ".join(f"k{i}" for i in range(len(cells)))
    return keys, names


def _shown(prefix: str, n: int) -> str:
    """SQL: a failing key as its cells' text (as the DuckDB engine shows it), joined
    with ', ' (an aggregate: one of the rows of the key)."""
    parts = ", ".join(f"coalesce(min({prefix}r{i}), '')" for i in range(n))
    return f"concat_ws(', ', {parts})"


def _duplicates(r: SparkResource, cells: Sequence[Cell], *,
                skip_any_null: bool = False) -> tuple[int, list[Any]]:
    """Rows repeating a key seen before (every occurrence after the first), with samples;
    keys all null are skipped, or with ``skip_any_null`` those with any null cell."""
    keys, names = _key_sql(cells)
    joined = " AND " if skip_any_null else " OR "
    not_null = joined.join(f"k{i} IS NOT NULL" for i in range(len(cells)))
    shown = _shown("", len(cells))
    r.frame.createOrReplaceTempView("__rows")
    row = r.frame.sparkSession.sql(
        f"SELECT sum(n - 1) AS dup, min(v) AS lo, max(v) AS hi FROM ("
        f"SELECT {names}, {shown} AS v, count(*) AS n FROM (SELECT {keys} FROM __rows) "
        f"WHERE {not_null} GROUP BY {names} HAVING count(*) > 1)").collect()[0]
    return int(row["dup"] or 0), [row["lo"], row["hi"]]


def key_findings(r: SparkResource, resources: dict[str, SparkResource]) -> list[Finding]:
    """Unique fields, the primary key and foreign keys: GROUP BY and anti-joins."""
    out: list[Finding] = []
    spark = r.frame.sparkSession
    by_name = r.by_name
    for cell in r.cells:
        if cell.fld.unique:
            n, values = _duplicates(r, [cell])
            if n:
                out.append(finding(r, "unique-error",
                                   f'value repeated in unique field "{cell.name}"',
                                   count=n, field=cell.name, values=values))
    pk = r.schema.primary_key
    if pk and all(name in by_name for name in pk):
        cells = [by_name[name] for name in pk]
        n, values = _duplicates(r, cells)
        if n:
            out.append(finding(r, "primary-key", "primary key repeated", count=n,
                               field=", ".join(pk), values=values))
        r.frame.createOrReplaceTempView("__rows")
        empty = " AND ".join(f"({c.typed}) IS NULL" for c in cells)
        n = spark.sql(f"SELECT count(*) FROM __rows WHERE {empty}").collect()[0][0]
        if n:
            out.append(finding(r, "primary-key", 'cells of the primary key are all "None"',
                               count=int(n), field=", ".join(pk)))
    for names in r.schema.unique_keys:
        if names and all(name in by_name for name in names):
            n, values = _duplicates(r, [by_name[name] for name in names], skip_any_null=True)
            if n:
                out.append(finding(r, "unique-error", "unique key repeated", count=n,
                                   field=", ".join(names), values=values))
    for fk in r.schema.foreign_keys:
        out += _foreign_key(r, fk, resources)
    return out


def _foreign_key(r: SparkResource, fk: ForeignKey,
                 resources: dict[str, SparkResource]) -> list[Finding]:
    src = list(fk.fields)
    target = resources.get(fk.resource)
    ref_fields = list(fk.reference_fields)
    if target is None or target.frame is None:
        return []
    cells = [r.by_name.get(n) for n in src]
    ref_cells = [target.by_name.get(n) for n in ref_fields]
    if None in cells or None in ref_cells:
        return []
    spark = r.frame.sparkSession
    keys, names = _key_sql(cells)  # type: ignore[arg-type]
    ref_keys = ", ".join(
        f"{key_expr(c.fld, f'CAST({rc.typed} AS {spark_type(c.fld)})')} AS k{i}"  # type: ignore[union-attr]
        for i, (c, rc) in enumerate(zip(cells, ref_cells, strict=True)))
    r.frame.createOrReplaceTempView("__rows")
    target.frame.createOrReplaceTempView("__ref")
    not_null = " OR ".join(f"s.k{i} IS NOT NULL" for i in range(len(cells)))
    join = " AND ".join(f"s.k{i} <=> t.k{i}" for i in range(len(cells)))
    shown = _shown("s.", len(cells))
    row = spark.sql(
        f"SELECT sum(n) AS n, min(v) AS lo, max(v) AS hi FROM ("
        f"SELECT {shown} AS v, count(*) AS n FROM (SELECT {keys} FROM __rows) s "
        f"LEFT ANTI JOIN (SELECT DISTINCT {ref_keys} FROM __ref) t ON {join} "
        f"WHERE {not_null} GROUP BY {', '.join('s.' + k for k in names.split(', '))})"
    ).collect()[0]
    n = int(row["n"] or 0)
    if not n:
        return []
    return [finding(r, "foreign-key",
                    f'values of "{", ".join(src)}" not found in the lookup table '
                    f'"{fk.declared_resource}" as "{", ".join(ref_fields)}"',
                    count=n, field=", ".join(src), values=[row["lo"], row["hi"]])]


__all__ = ["ident", "key_findings", "row_findings", "typed_frame"]
