"""Table Schema v2 ``uniqueKeys`` are checked (a row with a null cell in the key is not
compared, as in SQL), declared as ``UNIQUE`` in the DuckDB file, and a foreign key to
fields that are neither a primary nor a unique key still builds."""

from __future__ import annotations

import duckdb
from semicon.build.pipeline import build_package
from semicon.schemas.validation import validate_package

from tests.validate.conftest import write_package

FIELDS = [{"name": "id", "type": "integer"}, {"name": "a", "type": "string"},
          {"name": "b", "type": "integer"}]


def _package(tmp_path, csv: str, unique_keys: list, **schema):
    res = {"name": "t", "path": "data/t.csv", "format": "csv",
           "schema": {"fields": FIELDS, "primaryKey": ["id"], "uniqueKeys": unique_keys,
                      **schema}}
    return write_package(tmp_path / "pkg", [res], {"data/t.csv": csv}, name="keys")


def _found(report):
    return [(f.code, f.line, f.field, f.value) for f in report.findings]


def test_a_repeated_unique_key_is_an_error_and_null_cells_are_not_compared(tmp_path):
    csv = "id,a,b\n1,x,1\n2,x,1\n3,x,\n4,x,\n5,,\n6,,\n7,y,1\n8,x,01\n"
    report = validate_package(_package(tmp_path, csv, [["a", "b"], ["b"]]))
    # (x, 1) again at lines 3 and 9 (01 is the integer 1, shown as its typed value, as
    # for a primary key); b = 1 again at 3, 8, 9; rows with an empty a or b not compared
    assert _found(report) == [
        ("unique-error", 3, "a, b", "x, 1"),
        ("unique-error", 3, "b", "1"),
        ("unique-error", 8, "b", "1"),
        ("unique-error", 9, "a, b", "x, 1"),
        ("unique-error", 9, "b", "1"),
    ]


def test_distinct_unique_keys_are_valid(tmp_path):
    csv = "id,a,b\n1,x,1\n2,x,2\n3,y,1\n4,x,\n5,x,\n"
    assert _found(validate_package(_package(tmp_path, csv, [["a", "b"]]))) == []


def test_a_unique_key_naming_no_field_is_a_schema_error(tmp_path):
    report = validate_package(_package(tmp_path, "id,a,b\n1,x,1\n", [["a", "nope"]]))
    assert [(f.code, f.field) for f in report.findings] == [("schema-error", "nope")]
    assert report.exit_code == 2


def _constraints(db, table: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    return sorted(
        (kind, tuple(cols)) for kind, cols in con.execute(
            "SELECT constraint_type, constraint_column_names FROM duckdb_constraints() "
            "WHERE table_name = ? AND constraint_type IN ('UNIQUE', 'FOREIGN KEY', "
            "'PRIMARY KEY')", [table]).fetchall())


def test_the_build_declares_unique_keys_and_only_foreign_keys_sql_can_hold(tmp_path):
    """DuckDB needs a primary key or a unique constraint behind every foreign key; a Table
    Schema does not. The key to ``(a, b)`` (a unique key) and the one to ``id`` (the
    primary key) are declared; the one to ``name`` (a plain field) is left out."""
    target = {"name": "t", "path": "data/t.csv", "format": "csv",
              "schema": {"fields": [*FIELDS, {"name": "name", "type": "string"}],
                         "primaryKey": ["id"], "uniqueKeys": [["a", "b"]]}}
    refs = [
        {"fields": ["ta", "tb"], "reference": {"resource": "t", "fields": ["a", "b"]}},
        {"fields": ["tid"], "reference": {"resource": "t", "fields": ["id"]}},
        {"fields": ["tname"], "reference": {"resource": "t", "fields": ["name"]}},
    ]
    child = {"name": "c", "path": "data/c.csv", "format": "csv",
             "schema": {"fields": [{"name": n, "type": "integer" if n in ("tid", "tb")
                                    else "string"} for n in ("ta", "tb", "tid", "tname")],
                        "foreignKeys": refs}}
    pkg = write_package(tmp_path / "pkg", [target, child], {
        "data/t.csv": "id,a,b,name\n1,x,1,one\n2,x,2,one\n",
        "data/c.csv": "ta,tb,tid,tname\nx,2,1,one\n",
    }, name="refs")
    assert _found(validate_package(pkg)) == []
    result = build_package(pkg, tmp_path / "out")
    db = result.outputs["duckdb"]
    assert _constraints(db, "t") == [("PRIMARY KEY", ("id",)), ("UNIQUE", ("a", "b"))]
    assert _constraints(db, "c") == [("FOREIGN KEY", ("ta", "tb")),
                                     ("FOREIGN KEY", ("tid",))]
