"""Generated SQL (read_csv_sql, typed_select_sql) and generated pandera schemas."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest
from semicon.schemas.validation import read_csv_sql, typed_select_sql, validate_package
from semicon.schemas.validation.pandera_gen import dataframe_schema

from benchmarks.synthetic import ALLOCATIONS_SCHEMA

from .conftest import csv_resource, write_package

SCHEMA = {
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "n", "type": "integer"},
        {"name": "x", "type": "number"},
        {"name": "d", "type": "date"},
        {"name": "b", "type": "boolean"},
        {"name": "y", "type": "year"},
    ],
    "missingValues": ["", "NA"],
}


def test_load_and_type_a_table(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,n,x,d,b,y\na,1,1.5,2024-02-29,true,2024\nb,NA,,,0,\n")
    con = duckdb.connect()
    names = [f["name"] for f in SCHEMA["fields"]]
    con.execute(f"CREATE TABLE t_text AS SELECT * FROM {read_csv_sql(path, names)}")
    assert con.execute("SELECT n, x FROM t_text ORDER BY id").fetchall() == [
        ("1", "1.5"), ("NA", "")]
    rows = con.execute(typed_select_sql(SCHEMA, "t_text") + " ORDER BY id").fetchall()
    assert rows == [
        ("a", 1, 1.5, dt.date(2024, 2, 29), True, 2024),
        ("b", None, None, None, False, None),
    ]
    types = [r[1] for r in con.execute(
        f"DESCRIBE {typed_select_sql(SCHEMA, 't_text')}").fetchall()]
    assert types == ["VARCHAR", "HUGEINT", "DOUBLE", "DATE", "BOOLEAN", "INTEGER"]
    narrow = typed_select_sql(SCHEMA, "t_text", {"n": "BIGINT"})
    assert [r[1] for r in con.execute(f"DESCRIBE {narrow}").fetchall()][1] == "BIGINT"


def test_generated_pandera_schema():
    import pandera.polars as pa

    schema = dataframe_schema(ALLOCATIONS_SCHEMA)
    assert set(schema.columns) == {f["name"] for f in ALLOCATIONS_SCHEMA["fields"]}
    assert schema.columns["amount"].nullable is False
    good = pl.DataFrame({
        "allocation_id": ["FA-0000001"], "source_id": ["S001"], "amount": [5],
        "currency": ["EUR"], "status": ["announced"], "title": ["x"],
        "announced_on": [dt.date(2024, 1, 1)], "period_start_year": [2024],
        "period_end_year": [2025], "share": [0.5],
    })
    schema.validate(good)
    bad = good.with_columns(pl.lit(-1).alias("amount"), pl.lit("GBP").alias("currency"),
                            pl.lit("fa-1").alias("allocation_id"))
    with pytest.raises(pa.errors.SchemaErrors) as info:
        schema.validate(bad, lazy=True)
    failed = set(info.value.failure_cases["column"].to_list())
    assert {"amount", "currency", "allocation_id"} <= failed


def test_pandera_cross_check_adds_nothing_on_sql_findings(tmp_path):
    fields = [{"name": "id"}, {"name": "n", "type": "integer",
                               "constraints": {"minimum": 0, "required": True}}]
    pkg = write_package(tmp_path, [csv_resource("t", fields)],
                        {"data/t.csv": "id,n\na,1\nb,-1\nc,x\nd,\n"})
    plain = validate_package(pkg)
    crossed = validate_package(pkg, pandera_schemas=True)
    assert [f.code for f in crossed.findings] == [f.code for f in plain.findings]


def test_generated_pandera_agrees_with_sql_on_the_synthetic_package(tmp_path):
    from benchmarks.synthetic import write_package as synthetic

    descriptor = synthetic(tmp_path, 3000, bad_every=30)
    plain = validate_package(descriptor)
    crossed = validate_package(descriptor, pandera_schemas=True)
    assert [f.code for f in crossed.findings if f.code == "pandera-check"] == []
    assert crossed.findings == plain.findings


PARSED_FIELDS = [
    {"type": "integer"}, {"type": "integer", "bareNumber": False},
    {"type": "number"}, {"type": "number", "bareNumber": False},
    {"type": "number", "groupChar": ","}, {"type": "number", "decimalChar": ","},
    {"type": "boolean"}, {"type": "boolean", "trueValues": ["ja"], "falseValues": ["nee"]},
    {"type": "date"}, {"type": "date", "format": "any"}, {"type": "date", "format": "%d-%m-%Y"},
    {"type": "datetime"}, {"type": "datetime", "format": "any"},
    {"type": "datetime", "format": "%d-%m-%Y %H:%M"},
    {"type": "time"}, {"type": "time", "format": "%H.%M"},
    {"type": "year"}, {"type": "yearmonth"}, {"type": "object"}, {"type": "array"},
    {"type": "string", "format": "uuid"}, {"type": "string", "format": "email"},
    {"type": "string", "format": "uri"},
]
#: parsers that read '' as a value (typed_expr keeps the guard for them: reads_empty)
READS_EMPTY = [{"type": "list"}, {"type": "string", "format": "binary"}]


@pytest.mark.parametrize("fld", PARSED_FIELDS, ids=lambda f: "-".join(map(str, f.values())))
def test_every_parser_gives_null_for_empty_and_missing_cells(fld):
    """typed_expr leaves out the missing-value guard for '' on this property."""
    from semicon.schemas.validation.sqlchecks import parse_expr

    fld = {"name": "x", **fld}
    con = duckdb.connect()
    for cell in ("''", "CAST(NULL AS VARCHAR)"):
        sql = parse_expr(fld, "c")
        assert sql != "c"
        assert con.execute(f"SELECT {sql} FROM (SELECT {cell} AS c)").fetchall() == [(None,)]


@pytest.mark.parametrize("fld", READS_EMPTY, ids=lambda f: "-".join(map(str, f.values())))
def test_a_parser_that_reads_empty_text_keeps_the_missing_value_guard(fld):
    """'' is a value for these parsers: typed_expr gives NULL for it only where it is a
    missing value."""
    from semicon.schemas.validation.sqlchecks import parse_expr, reads_empty, typed_expr

    fld = {"name": "x", **fld}
    assert reads_empty(fld)
    con = duckdb.connect()
    for sql, expected in ((parse_expr(fld, "c"), False), (typed_expr(fld, "c", [""]), True),
                          (typed_expr(fld, "c", ["NA"]), False)):
        assert con.execute(f"SELECT ({sql}) IS NULL FROM (SELECT '' AS c)").fetchall() == [
            (expected,)]
