"""The Spark engine reads every Table Schema type as the DuckDB engine does.

Each field below is given cells on and around the edges of its type (formats, zones,
JSON leniencies, list delimiters and item types); both engines' typed expressions run
over them, and a cell must be valid in one exactly where it is valid in the other.
Where typed values are compared (``minimum``, ``enum``, keys), they must also order
and equal alike. One Spark query a check, in the shared ``local[2]`` session.
"""

from __future__ import annotations

import duckdb
import pytest
from semicon.schemas.validation import sqlchecks

from .test_cell_parity import EDGES as MOMENT_EDGES
from .test_cell_parity import _far_zone
from .test_text_formats import EDGES, _variations

JSON_CELLS = [
    '{"a":1}', ' {"a":1} ', '{"a":1}x', '{"a":1,}', "{'a':1}", "{a:1}", "[1,2]", "[1,2,]",
    "[1 ,]", "[,]", "[1,,]", "{,}", "NaN", "[NaN,1]", "[nan]", "[-Inf]", "[+inf]",
    "[infin]", "[-infinity]", "[1e999,1]", '{"a":1,"a":2}', "[01,2]", '{"a":"x\ty"}',
    "/*c*/[1]", "[1]//c", '"str"', "5", "null", "true", " ", "[1,2][3]",
    '{"a":1}{"b":2}', "\t[1]\n", "\f[1]", "\v[1]", "[-0.0,1E5]", "[+1,2]", "[.5,1]",
    "[1.,2]", '["\\ud800"]', '["\\ud83d\\ude00"]', '["\\x"]', '["a\x7f"]', "[True]",
    "[ ]", "{}", "[[[]]]", "[1,]]", "]", '{"a":nan,}', "[1,2,],", "[1 2]", '{"a" : 1}',
    '["a,]"]', '["nan",1]', '{"a":"}"}', '[1,2]\x00', '{"a":1}\n',
]

#: (field, cells): every cell is parsed by both engines
CASES = [
    ({"type": "time"}, [
        "12:00:00", "1:2:3", "12:00", "24:00:00", "23:59:59", "12:00:60", "12:00:61",
        "12:00:59Z", "12:00:00z", "12:00:00.1234567", "23:59:59.9999999", "12:00:00.",
        "12:00:00+01", "12:00:00+0100", "12:00:00+01:00", "12:00:00-01:30", "12:00:00+1",
        "12:00:00+15:59", "12:00:00-15:59", "12:00:00+16", "12:00:00+15:60",
        "12:00:00+01:60", "12:00:00+00:99", "12:00:00+14:99", "12:00:00 +01",
        "12:00:00-00", " 12:00:00", "12:00:00\n", "12:0:0", "00:30:00+01", "11:00:00Z",
        "12:00:00+01:5", "T12:00:00", "12-00-00"]),
    ({"type": "time", "format": "%H:%M"}, ["12:30", "1:05", "25:00", "12:30:00", "x"]),
    ({"type": "yearmonth"}, [
        "2024-01", "2024-1", "2024-12", "2024-13", "2024-00", " 2024 - 01 ", "+2024-01",
        "-2024-01", "2024_1-01", "2024-01\n", "2024-01\v", "24-01", "2024/01", "2024-001",
        "12024-01", "2024-01-01"]),
    ({"type": "duration"}, [
        "P1Y", "P", "PT", "P1DT", "PT1H", "P1.5Y", "P1,5D", "-P1D", "+P1D", "p1d", "P1W",
        "P1Y2M3W4DT5H6M7S", "PT1.5S", "P1DT1H\n", "1D", "P1D ", "PT36H"]),
    ({"type": "geopoint"}, [
        "5.1, 52.3", "5.1,52.3", "180,90", "181,0", "0,91", "-180,-90", "a,b", "5",
        "1,2,3", " 5 , 6 ", "1_0,2", "nan,0", "inf,0", "1e2,0", "1e3,0", "0x10,0", ".5,.5",
        "5.,6.", "+5,+6", ",", "5,", "\t5,6", "5\v,6", "5d,6", "Infinity,0"]),
    ({"type": "geopoint", "format": "array"}, [
        "[5.1, 52.3]", "[181, 0]", '["5","6"]', "[5,6,]", "[5]", "[5,6,7]", "[true,5]",
        "[null,5]", "[nan,5]", '{"lon":5,"lat":6}', "[5,6]x", "[[5],6]", "[1e2,5]",
        "[-180,-90]", '[" 5 ","6"]', '["1_0","6"]', "5,6"]),
    ({"type": "geopoint", "format": "object"}, [
        '{"lon":5,"lat":6}', '{"lat":6,"lon":5}', '{"lon":5,"lat":6,"x":1}', '{"lon":5}',
        '{"lon":5,"lon":6}', '{"lon":"5","lat":"6"}', '{"lon":200,"lat":0}',
        '{"lon":5,"lat":6,}', "[5,6]", '{"LON":5,"lat":6}', '{"lon":5,"lat":6,"lon":7}']),
    ({"type": "geojson"}, [
        '{"type":"Point","coordinates":[1,2]}', '{"type":"Foo"}', '{"type":5}',
        '{"coordinates":[1]}', "[1]", '{"type":"Point",}', '{"type":"Point"}x',
        '{"type":"Topology"}', '{"type":"point"}', '{"type":"Feature","type":"Foo"}',
        '{"type":"Foo","type":"Feature"}', ' {"type":"Point"} ', '{"type":["Point"]}',
        '{"type":"FeatureCollection","features":[]}']),
    ({"type": "geojson", "format": "topojson"}, ['{"type":"Topology"}', '{"type":"Point"}']),
    ({"type": "object"}, JSON_CELLS),
    ({"type": "array"}, JSON_CELLS),
    ({"type": "list", "itemType": "integer"}, [
        "1,2,3", "1, 2", "1,,2", "1,x", " 1 ,2", "1_0,2", "1;2", "2,1", "1,2", "1",
        "1,2,3,4", "01,2"]),
    ({"type": "list", "itemType": "number", "delimiter": ";"}, [
        "1.5;2", "1,5;2", "a;b", "1e3;nan", "2;1.5"]),
    ({"type": "list", "delimiter": "|", "itemType": "integer"}, ["1|2", "1", "1||2", "|",
                                                                  "1,2"]),
    ({"type": "list", "itemType": "date"}, ["2024-01-01,2024-12-31", "2024-13-01"]),
    ({"type": "list", "itemType": "boolean"}, ["true,False", "yes,no", "1,0"]),
    ({"type": "list", "itemType": "time"}, ["12:00,12:00:00", "12:00:00Z,01:00:00+01"]),
    # the string formats, on the edges frictionless draws and around them (test_text_formats)
    *(({"type": "string", "format": fmt}, cells + _variations(cells, 500, seed=1))
      for fmt, cells in sorted(EDGES.items())),
    # times, datetimes, numbers and year-months as Python reads them (test_cell_parity;
    # Spark reads a pattern with Java's DateTimeFormatter, and no zone beyond 18 hours:
    # docs/spark.md)
    *((field, [c for c in cells + _variations(cells, 300, seed=2) if not _far_zone(c)])
      for field, cells in MOMENT_EDGES if "format" not in field),
]

#: fields whose typed values are compared (minimum, enum, keys): order and equality
ORDERED = [
    ({"type": "time"}, [
        "12:00:00", "12:00:00+01", "11:00:00Z", "11:00:00.000001Z", "10:59:59.999999",
        "00:30:00+01", "23:00:00", "00:00:00", "00:30:00-01", "01:30:00", "23:30:00-01",
        "12:00:00+00", "12:00:00-15:59", "00:00:00+15:59", "12:00:00.5", "12:00:00.50"]),
    ({"type": "list", "itemType": "integer"}, ["1,2", "1,2,3", "2", "1", "01,2", "1, 2"]),
    ({"type": "list"}, ["a,b", "a", "b", "a,b,c", "A"]),
    ({"type": "yearmonth"}, ["2024-01", "2024-1", "2023-12", " 2024-01"]),
]


def _duck_typed(con, fld, cells):
    expr = sqlchecks.typed_expr(fld, "x", [""])
    return con.execute(f"SELECT {expr} IS NULL FROM unnest(?) WITH ORDINALITY t(x, i) "
                       "ORDER BY i", [cells]).fetchall()


def _spark_frame(spark, cells):
    return spark.createDataFrame([(i, c) for i, c in enumerate(cells)], "i INT, x STRING")


@pytest.mark.parametrize(("fld", "cells"), CASES,
                         ids=[f"{f['type']}-{f.get('format', f.get('itemType', ''))}-{n}"
                              for n, (f, _) in enumerate(CASES)])
def test_spark_reads_each_type_as_duckdb_does(spark, fld, cells):
    from semicon.schemas.validation.spark.sqlgen import Cell

    fld = {"name": "f", **fld}
    con = duckdb.connect()
    duck = {c: bool(row[0]) for c, row in zip(cells, _duck_typed(con, fld, cells),
                                               strict=True)}
    cell = Cell(1, "x", fld, ("",))
    rows = _spark_frame(spark, cells).selectExpr(
        "i", f"({cell.typed_definition}) IS NULL AS bad").collect()
    on_spark = {cells[r["i"]]: bool(r["bad"]) for r in rows}
    differ = {c: ("DuckDB " + ("rejects" if duck[c] else "accepts"))
              for c in cells if duck[c] != on_spark[c]}
    assert differ == {}
    # both verdicts occur: the cells test the type, not just one side of it
    assert set(duck.values()) == {True, False}


@pytest.mark.parametrize(("fld", "cells"), ORDERED,
                         ids=[f["type"] for f, _ in ORDERED])
def test_spark_orders_and_equals_typed_values_as_duckdb_does(spark, fld, cells):
    from semicon.schemas.validation.spark.sqlgen import Cell

    fld = {"name": "f", **fld}
    expr = sqlchecks.typed_expr(fld, "x", [""])
    con = duckdb.connect()
    pairs = "SELECT a.i, b.i, a.t < b.t, a.t = b.t FROM t a, t b ORDER BY 1, 2"
    con.execute(f"CREATE TABLE t AS SELECT i, {expr} AS t FROM unnest(?) WITH ORDINALITY "
                "u(x, i)", [cells])
    duck = [(a - 1, b - 1, lt, eq) for a, b, lt, eq in con.execute(pairs).fetchall()]
    assert all(lt is not None for _, _, lt, _ in duck)  # every cell is valid
    cell = Cell(1, "x", fld, ("",))
    _spark_frame(spark, cells).selectExpr(
        "i", f"{cell.typed_definition} AS t").createOrReplaceTempView("t")
    on_spark = [tuple(r) for r in spark.sql(pairs).collect()]
    assert on_spark == duck


def test_both_engines_build_their_row_checks_from_one_table():
    """Which checks a field gets is said once (cellchecks): the DuckDB flags and the
    Spark checks of the same fields have the same codes and notes, in the same order."""
    from semicon.schemas.validation.spark.sqlgen import Cell, row_checks

    fields = [{"name": f"{t}{n}", "type": t, "constraints": cons}
              for t in ("string", "integer", "number", "date", "time", "yearmonth", "list",
                        "geopoint", "any")
              for n, cons in enumerate([
                  {}, {"required": True, "minimum": 1, "exclusiveMaximum": 9},
                  {"minLength": 1, "maxLength": 3, "pattern": "a.*", "enum": ["a"]}])]
    fields.append({"name": "email", "type": "string", "format": "email"})
    for mv in ([""], ["", "NA"]):
        columns = [sqlchecks.Column(i + 1, f"c{i}", f, tuple(mv))
                   for i, f in enumerate(fields)]
        duck = [(f.column.name, f.code, f.note) for f in sqlchecks.row_flags(columns)]
        cells = [Cell(i + 1, f"c{i}", f, tuple(mv)) for i, f in enumerate(fields)]
        spark = [(c.cell.name, c.code, c.note) for c in row_checks(cells)]
        assert spark == duck
    assert {code for _, code, _ in duck} == {"missing-cell", "type-error", "constraint-error",
                                             "formula-injection"}
    assert ("list2", "constraint-error", 'constraint "maxLength" is "3"') in duck


#: constraint values (``minimum``, ``enum`` items) and the number both engines must read
BOUNDS = [
    ({"type": "number", "decimalChar": ","}, 0.5, 0.5),
    ({"type": "number", "groupChar": " "}, 1500, 1500),
    ({"type": "number"}, 1e-7, 1e-7),
    ({"type": "number"}, "2.5", 2.5),
    ({"type": "integer"}, -2, -2),
    ({"type": "integer"}, 2**70, 2**70),
    ({"type": "integer"}, "7", 7),
]


@pytest.mark.parametrize(("fld", "value", "expected"), BOUNDS,
                         ids=[f"{f['type']}-{v!r}" for f, v, _ in BOUNDS])
def test_spark_reads_constraint_values_as_duckdb_does(spark, fld, value, expected):
    """A JSON number is that number whatever the field's decimal or group character."""
    from semicon.schemas.validation.spark.sqlgen import Cell

    fld = {"name": "f", **fld}
    duck = duckdb.connect().execute(f"SELECT {sqlchecks.literal(fld, value)}").fetchone()[0]
    on_spark = spark.sql(f"SELECT {Cell(1, 'x', fld, ('',)).literal(value)} AS v").collect()
    assert float(duck) == float(on_spark[0]["v"]) == float(expected)


#: types kept as text whose values are compared by what they mean (sqlchecks.key_expr)
KEYED = [
    ({"type": "yearmonth"}, ["2024-01", "2024-1", " 2024-01", "2023-12", "2024-02"]),
    ({"type": "geopoint"}, ["0,0", "+0, 0.0", "1,2", "1.0,2"]),
    ({"type": "geopoint", "format": "array"}, ["[0,0]", "[0.0, 0]", "[1,2]"]),
    ({"type": "geopoint", "format": "object"}, ['{"lon": 0, "lat": 1}', '{"lat": 1.0, "lon": 0}',
                                                 '{"lon": 1, "lat": 0}']),
    ({"type": "duration"}, ["P1Y", "+P1Y0M", "P12M", "P1D", "PT24H", "P0W1D", "-P1D",
                            "PT1,5S", "PT1.5S", "P1.5Y"]),
]


@pytest.mark.parametrize(("fld", "cells"), KEYED,
                         ids=[f"{f['type']}-{f.get('format', '')}" for f, _ in KEYED])
def test_spark_compares_values_kept_as_text_as_duckdb_does(spark, fld, cells):
    """Keys, bounds and enums compare a yearmonth or a point by value on both engines."""
    from semicon.schemas.model import as_field
    from semicon.schemas.validation.spark.sqlgen import Cell, key_expr

    fld = {"name": "f", **fld}
    con = duckdb.connect()
    keyed = sqlchecks.key_expr(fld, sqlchecks.typed_expr(fld, "x", [""]))
    con.execute(f"CREATE TABLE t AS SELECT i, {keyed} AS k FROM unnest(?) WITH ORDINALITY "
                "u(x, i)", [cells])
    pairs = "SELECT a.i, b.i, a.k = b.k FROM t a, t b ORDER BY 1, 2"
    duck = [(a - 1, b - 1, eq) for a, b, eq in con.execute(pairs).fetchall()]
    assert any(eq for a, b, eq in duck if a != b)  # some cells differ only in spelling
    cell = Cell(1, "x", fld, ("",))
    _spark_frame(spark, cells).selectExpr(
        "i", f"{key_expr(as_field(fld), cell.typed_definition)} AS k").createOrReplaceTempView("t")
    assert [tuple(r) for r in spark.sql(pairs).collect()] == duck
