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

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from semicon.schemas.model import Field, Schema, as_field, as_schema

from .findings import Finding

if TYPE_CHECKING:  # pragma: no cover
    from .resource import Context


def polars_dtype(fld: Field | Mapping[str, Any]) -> Any:
    import polars as pl

    return {
        "integer": pl.Int64,
        "number": pl.Float64,
        "boolean": pl.Boolean,
        "date": pl.Date,
        "datetime": pl.Datetime,
        "time": pl.Time,
        "year": pl.Int32,
    }.get(as_field(fld).type, pl.String)


def _checks(fld: Field) -> list[Any]:
    """The field's constraints as pandera checks (one API for the polars and pyspark
    backends); each is named for the Table Schema constraint it comes from."""
    from pandera.api import checks as pa

    cons = fld.constraints
    ftype = fld.type
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


def dataframe_schema(table_schema: Schema | Mapping[str, Any], *, name: str | None = None,
                     fields: Sequence[Field] | None = None) -> Any:
    """A ``pandera.polars.DataFrameSchema`` derived from ``table_schema`` (only ``fields``
    of it, when given)."""
    import pandera.polars as pa

    schema = as_schema(table_schema)
    columns = {}
    for fld in schema.fields if fields is None else fields:
        columns[fld.name] = pa.Column(
            polars_dtype(fld),
            checks=_checks(fld),
            nullable=not fld.required,
            unique=fld.unique,
            required=True,
        )
    return pa.DataFrameSchema(columns, unique=schema.primary_key or None, name=name,
                              strict=False)


def pyspark_dtype(fld: Field | Mapping[str, Any]) -> Any:
    """The type of the field's column in the Spark engine's typed frame (``time``: its
    place in DuckDB's order of ``TIMETZ`` values; ``list``: an array of its items)."""
    from pyspark.sql import types as T

    fld = as_field(fld)
    if fld.type == "list":
        return T.ArrayType(pyspark_dtype(fld.item_field))
    return {
        "integer": T.DecimalType(38, 0),  # any size, as the Spark engine types it
        "number": T.DoubleType(),
        "boolean": T.BooleanType(),
        "date": T.DateType(),
        "datetime": T.TimestampType(),
        "year": T.IntegerType(),
        "time": T.LongType(),
    }.get(fld.type, T.StringType())


def pyspark_schema(table_schema: Schema | Mapping[str, Any], *, name: str | None = None,
                   fields: Sequence[Field] | None = None) -> Any:
    """A ``pandera.pyspark.DataFrameSchema`` over the typed Spark frame of a resource
    (only ``fields`` of it, when given).

    The same columns and checks as :func:`dataframe_schema`; the Spark engine
    (``validate --engine spark``) runs it, then counts what failed with Spark SQL.
    """
    import pandera.pyspark as pa

    columns = {
        fld.name: pa.Column(pyspark_dtype(fld), checks=_checks(fld), nullable=not fld.required)
        for fld in (as_schema(table_schema).fields if fields is None else fields)
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
        names = [f.name for f in res.schema.fields if f.name in res.by_name]
        if not names:
            continue
        frame = ctx.frame(res.name, names)
        schema = dataframe_schema(res.schema, name=res.name,
                                  fields=[res.by_name[n].fld for n in names])
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
