"""The build reads every table as the validation did and keeps what its types hold: time
zones, integers of any size, lists; compressed, multipart, latin-1 and dialect files."""

from __future__ import annotations

import gzip
import sqlite3

import duckdb
import pyarrow.parquet as pq
from semicon.build import parity
from semicon.build.package import load_package
from semicon.build.pipeline import build_package

from tests.validate.conftest import write_package

BIG = "123456789012345678901234567890"
TYPED_FIELDS = [
    {"name": "id", "type": "string"},
    {"name": "at", "type": "datetime"},
    {"name": "naive", "type": "datetime"},
    {"name": "clock", "type": "time"},
    {"name": "big", "type": "integer"},
    {"name": "huge", "type": "integer"},
    {"name": "small", "type": "integer"},
    {"name": "items", "type": "list", "itemType": "integer"},
    {"name": "day", "type": "date", "format": "any"},
]
TYPED_CSV = (
    "id,at,naive,clock,big,huge,small,items,day\n"
    f"a,2020-01-01T15:00:00+03:00,2020-01-01T15:00:00,15:00:00+03:00,{BIG},{'9' * 45},1,"
    '"1,2",01/02/2020\n'
    "b,2020-01-01T15:00:00Z,2020-01-01T16:30:00,15:00:00Z,-5,7,2,3,2020-01-03\n"
)


def _typed_package(tmp_path):
    res = {"name": "t", "path": "data/t.csv", "format": "csv",
           "schema": {"fields": TYPED_FIELDS, "primaryKey": ["id"]}}
    return write_package(tmp_path / "pkg", [res], {"data/t.csv": TYPED_CSV}, name="typed")


def test_types_kept_in_every_output(tmp_path):
    result = build_package(_typed_package(tmp_path), tmp_path / "out")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"ATTACH '{result.outputs['duckdb']}' AS o (READ_ONLY)")
    types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() "
                             "WHERE database_name = 'o' AND table_name = 't'").fetchall())
    assert types == {
        "id": "VARCHAR", "at": "TIMESTAMP WITH TIME ZONE", "naive": "TIMESTAMP",
        "clock": "TIME WITH TIME ZONE", "big": "DECIMAL(38,0)", "huge": "VARCHAR",
        "small": "BIGINT", "items": "BIGINT[]", "day": "DATE",
    }
    rows = con.execute("SELECT id, CAST(\"at\" AS VARCHAR), CAST(big AS VARCHAR), huge, items, "
                       "CAST(day AS VARCHAR) FROM o.t ORDER BY id").fetchall()
    assert rows == [("a", "2020-01-01 12:00:00+00", BIG, "9" * 45, [1, 2], "2020-01-02"),
                    ("b", "2020-01-01 15:00:00+00", "-5", "7", [3], "2020-01-03")]
    sq = sqlite3.connect(result.outputs["sqlite"])
    rows = sq.execute("SELECT at, naive, clock, big, huge, small FROM t ORDER BY id").fetchall()
    assert rows == [
        ("2020-01-01T12:00:00+00", "2020-01-01T15:00:00", "12:00:00+00", BIG, "9" * 45, 1),
        ("2020-01-01T15:00:00+00", "2020-01-01T16:30:00", "15:00:00+00", "-5", "7", 2),
    ]
    schema = pq.read_schema(result.outputs["parquet:t"])
    assert str(schema.field("at").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("big").type) == "decimal128(38, 0)"


def test_parity_notices_a_dropped_zone(tmp_path):
    result = build_package(_typed_package(tmp_path), tmp_path / "out")
    sq = sqlite3.connect(result.outputs["sqlite"])
    sq.execute("UPDATE t SET at = replace(at, '+00', '')")  # what a zone-blind copy holds
    sq.commit()
    sq.close()
    res = load_package(tmp_path / "pkg" / "datapackage.json").resource("t")
    digest = parity.sqlite_digest(duckdb.connect(), res, result.outputs["sqlite"])
    assert digest.rows == 2
    assert digest.content_hash != result.hashes["t"]


def test_files_read_as_validated(tmp_path):
    fields = [{"name": "id", "type": "string"}, {"name": "n", "type": "integer"}]
    resources = [
        {"name": "gz", "path": "data/g.csv.gz", "schema": {"fields": fields}},
        {"name": "parts", "path": ["data/p1.csv", "data/p2.csv"], "schema": {"fields": fields}},
        {"name": "latin", "path": "data/l.csv", "encoding": "latin-1",
         "schema": {"fields": fields}},
        {"name": "dialect", "path": "data/d.csv", "schema": {"fields": fields},
         "dialect": {"delimiter": ";", "commentChar": "#", "headerRows": [2]}},
    ]
    pkg = write_package(tmp_path / "pkg", resources, {
        "data/g.csv.gz": gzip.compress(b"id,n\na,1\nb,2\n"),
        "data/p1.csv": "id,n\na,1\n",
        "data/p2.csv": "id,n\nb,2\n",
        "data/l.csv": "id,n\nZürich,1\nb,2\n".encode("latin-1"),
        "data/d.csv": "# made by hand\nskipped;row\nid;n\na;1\n#b;2\nb;2\n",
    }, name="forms")
    result = build_package(pkg, tmp_path / "out")
    assert result.rows == {"gz": 2, "parts": 2, "latin": 2, "dialect": 2}
    sq = sqlite3.connect(result.outputs["sqlite"])
    assert sq.execute("SELECT id, n FROM latin").fetchall() == [("Zürich", 1), ("b", 2)]
    assert sq.execute("SELECT id, n FROM dialect").fetchall() == [("a", 1), ("b", 2)]


def test_inline_json_ndjson_and_xlsx_tables_built(tmp_path):
    import io
    import json

    import openpyxl

    book = openpyxl.Workbook()
    for row in (["id", "n"], ["a", 1], ["b", 2]):
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    fields = [{"name": "id", "type": "string"}, {"name": "n", "type": "integer"}]
    resources = [
        {"name": "inline", "data": [["id", "n"], ["a", 1], ["b", 2]],
         "schema": {"fields": fields}},
        {"name": "js", "path": "data/t.json", "format": "json", "schema": {"fields": fields}},
        {"name": "nd", "path": "data/t.ndjson", "schema": {"fields": fields}},
        {"name": "sheet", "path": "data/t.xlsx", "schema": {"fields": fields}},
    ]
    pkg = write_package(tmp_path / "pkg", resources, {
        "data/t.json": json.dumps([{"id": "a", "n": 1}, {"id": "b", "n": 2}]),
        "data/t.ndjson": '["id", "n"]\n["a", 1]\n["b", 2]\n',
        "data/t.xlsx": buf.getvalue(),
    }, name="records")
    result = build_package(pkg, tmp_path / "out")
    assert result.rows == {"inline": 2, "js": 2, "nd": 2, "sheet": 2}
    sq = sqlite3.connect(result.outputs["sqlite"])
    for table in result.rows:
        assert sq.execute(f"SELECT id, n FROM {table}").fetchall() == [("a", 1), ("b", 2)]
