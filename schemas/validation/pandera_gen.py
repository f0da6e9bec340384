"""Generate pandera (polars backend) schemas from Table Schemas.

:func:`dataframe_schema` turns a Table Schema into a ``pandera.polars.DataFrameSchema`` over
the *typed* frame (what :func:`~semicon.schemas.validation.sqlchecks.typed_select_sql`
yields: DuckDB -> Arrow -> polars). Nothing is copied by hand: dtypes, ``required``,
``unique``, ``enum``, ``minimum``/``maximum`` (and exclusive), ``minLength``/``maxLength``,
``pattern`` and the primary key all come from the schema.

Typing is left to DuckDB (pandera's polars coercion from text fails on dates with polars 2
and stops at the first failing column), so these schemas check typed frames only. The SQL
checks already cover every Table Schema constraint; ``validate --pandera`` runs these
schemas too as a cross-check, reporting only what SQL did not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .findings import Finding

if TYPE_CHECKING:  # pragma: no cover
    from .resource import Context


def polars_dtype(fld: dict[str, Any]) -> Any:
    import polars as pl

    return {
        "integer": pl.Int64,
        "number": pl.Float64,
        "boolean": pl.Boolean,
        "date": pl.Date,
        "datetime": pl.Datetime,
        "time": pl.Time,
        "year": pl.Int32,
    }.get(fld.get("type", "string"), pl.String)


def _checks(fld: dict[str, Any]) -> list[Any]:
    """The field's constraints as pandera checks (one API for the polars and pyspark
    backends); each is named for the Table Schema constraint it comes from."""
    from pandera.api import checks as pa

    cons = fld.get("constraints") or {}
    ftype = fld.get("type", "string")
    numeric_like = ftype in ("integer", "number", "year", "date", "datetime", "time")
    checks = []
    if cons.get("enum") is not None and ftype in ("string", "integer", "number", "year"):
        values = cons["enum"]
        if ftype in ("integer", "year"):
            values = [int(v) for v in values]
        elif ftype == "number":
            values = [float(v) for v in values]
        checks.append(pa.Check.isin(values, name="enum"))
    if numeric_like and ftype in ("integer", "number", "year"):
        cast = float if ftype == "number" else int
        for key, maker in (("minimum", pa.Check.ge), ("maximum", pa.Check.le),
                           ("exclusiveMinimum", pa.Check.gt),
                           ("exclusiveMaximum", pa.Check.lt)):
            if cons.get(key) is not None:
                checks.append(maker(cast(cons[key]), name=key))
    if ftype == "string":
        if cons.get("minLength") is not None or cons.get("maxLength") is not None:
            checks.append(pa.Check.str_length(cons.get("minLength"), cons.get("maxLength"),
                                              name="length"))
        if cons.get("pattern"):
            checks.append(pa.Check.str_matches(f"^(?:{cons['pattern']})$", name="pattern"))
    return checks


def dataframe_schema(table_schema: dict[str, Any], *, name: str | None = None) -> Any:
    """A ``pandera.polars.DataFrameSchema`` derived from ``table_schema``."""
    import pandera.polars as pa

    columns = {}
    for fld in table_schema.get("fields", []):
        cons = fld.get("constraints") or {}
        columns[fld["name"]] = pa.Column(
            polars_dtype(fld),
            checks=_checks(fld),
            nullable=not cons.get("required", False),
            unique=bool(cons.get("unique", False)),
            required=True,
        )
    pk = table_schema.get("primaryKey")
    pk = [pk] if isinstance(pk, str) else pk
    return pa.DataFrameSchema(columns, unique=pk or None, name=name, strict=False)


def pyspark_dtype(fld: dict[str, Any]) -> Any:
    """The type of the field's column in the Spark engine's typed frame (``time``: its
    place in DuckDB's order of ``TIMETZ`` values; ``list``: an array of its items)."""
    from pyspark.sql import types as T

    if fld.get("type") == "list":
        return T.ArrayType(pyspark_dtype({"type": fld.get("itemType", "string")}))
    return {
        "integer": T.DecimalType(38, 0),  # any size, as the Spark engine types it
        "number": T.DoubleType(),
        "boolean": T.BooleanType(),
        "date": T.DateType(),
        "datetime": T.TimestampType(),
        "year": T.IntegerType(),
        "time": T.LongType(),
    }.get(fld.get("type", "string"), T.StringType())


def pyspark_schema(table_schema: dict[str, Any], *, name: str | None = None) -> Any:
    """A ``pandera.pyspark.DataFrameSchema`` over the typed Spark frame of a resource.

    The same columns and checks as :func:`dataframe_schema`; the Spark engine
    (``validate --engine spark``) runs it, then counts what failed with Spark SQL.
    """
    import pandera.pyspark as pa

    columns = {
        fld["name"]: pa.Column(pyspark_dtype(fld), checks=_checks(fld),
                               nullable=not (fld.get("constraints") or {}).get("required", False))
        for fld in table_schema.get("fields", [])
    }
    return pa.DataFrameSchema(columns, name=name, strict=False)


def run_generated_schemas(ctx: Context) -> list[Finding]:
    """Validate each resource's typed rows with its generated schema (lazy).

    Cells that failed to type are null in the typed frame and were reported by SQL, so
    only failures on (line, field) pairs without any earlier finding are reported.
    """
    import pandera.polars as pa

    out: list[Finding] = []
    for res in ctx.resources.values():
        if not res.usable:
            continue
        names = [f["name"] for f in res.schema.get("fields", []) if f["name"] in res.by_name]
        if not names:
            continue
        frame = ctx.frame(res.name, names)
        schema = dataframe_schema({**res.schema, "fields": [res.by_name[n].fld for n in names]},
                                  name=res.name)
        try:
            schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            cases = exc.failure_cases
            lines = frame["__line"]
            for idx, column, check, value in zip(
                cases["index"].to_list(), cases["column"].to_list(),
                cases["check"].to_list(), cases["failure_case"].to_list(), strict=True,
            ):
                if "uniqueness" in str(check) or column not in frame.columns:
                    continue  # duplicates: the SQL reports them exactly as frictionless does
                line = int(lines[idx]) if idx is not None else None
                out.append(res.finding(
                    "pandera-check",
                    f'pandera check "{check}" failed in line "{line}", field "{column}"',
                    line=line, field=column, value=value, severity="warning"))
    return out
