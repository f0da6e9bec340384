"""Checks are asked first whether they find anything; only those that do are run."""

from __future__ import annotations

import duckdb
import pytest
from semicon.schemas.validation.checks import (
    DIRECT_ROWS,
    Check,
    _direct,
    _finding_checks,
    run_checks,
)
from semicon.schemas.validation.engine import validate_package
from semicon.schemas.validation.resource import LoadedResource


def _check(r: LoadedResource, sql: str, probe: str | None = None, *,
           cheap: bool = False) -> Check:
    return Check(r, sql, 10, lambda rows: None, probe=probe, cheap_probe=cheap)


class _Counting:
    """A connection that records the SQL it is given."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con, self.sql = con, []

    def execute(self, sql: str, *args):
        self.sql.append(sql)
        return self.con.execute(sql, *args)


def test_only_checks_returning_rows_are_run():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    r = LoadedResource(index=0, name="t", schema={})
    some = _check(r, "SELECT x FROM t")
    none = _check(r, "SELECT x FROM t WHERE x > 1")
    probed = _check(r, "SELECT x FROM t", probe="SELECT 1 FROM t WHERE x > 1")
    assert _finding_checks(con, [some, none, probed]) == [some]


def test_checks_asking_the_same_are_asked_once_in_one_statement():
    con = _Counting(duckdb.connect())
    con.execute("CREATE TABLE t AS SELECT range AS x FROM range(3)")
    r = LoadedResource(index=0, name="t", schema={})
    twice = "WITH s AS (SELECT x FROM t) SELECT x FROM s WHERE x = 2 ORDER BY x LIMIT 5"
    checks = [_check(r, "SELECT x FROM t WHERE x = 2", probe=twice),
              _check(r, "SELECT x FROM t WHERE x > 5"),
              _check(r, "SELECT 2", probe=twice)]
    con.sql.clear()
    assert _finding_checks(con, checks) == [checks[0], checks[2]]
    [asked] = con.sql
    assert asked.count(twice) == 1


def test_a_question_that_fails_runs_every_check_on_its_own():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    r = LoadedResource(index=0, name="t", schema={})
    checks = [_check(r, "SELECT x FROM t WHERE x > 1"), _check(r, "SELECT no_such FROM t")]
    assert _finding_checks(con, checks) == checks


def test_reported_rows_and_the_cap(monkeypatch):
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS x FROM range(5)")
    r = LoadedResource(index=0, name="t", schema={}, usable=True)
    seen: list[list[tuple]] = []
    checks = [Check(r, "SELECT x FROM t WHERE x >= 3 ORDER BY x LIMIT 2", 2, seen.append),
              Check(r, "SELECT x FROM t WHERE x > 9", 2, seen.append)]
    monkeypatch.setattr("semicon.schemas.validation.keys.key_queries", lambda *a: checks)
    monkeypatch.setattr("semicon.schemas.validation.rowchecks.row_queries", lambda *a: [])
    run_checks(con, {"t": r}, [], 2)
    assert seen == [[(3,), (4,)]] and r.capped


@pytest.mark.parametrize("direct_rows", [DIRECT_ROWS, 0], ids=["asked", "run-directly"])
def test_every_key_finding_of_a_package_with_all_kinds(tmp_path, monkeypatch, direct_rows):
    # with direct_rows = 0 every table counts as large: its key checks run without asking
    monkeypatch.setattr("semicon.schemas.validation.checks.DIRECT_ROWS", direct_rows)
    data = tmp_path / "pkg"
    data.mkdir()
    (data / "parent.csv").write_text("id,code\n1,a\n1,b\n,c\n3,c\n", encoding="utf-8")
    (data / "child.csv").write_text("id,parent\n1,1\n2,7\n3,\n", encoding="utf-8")
    descriptor = data / "datapackage.json"
    descriptor.write_text("""{"name": "p", "resources": [
      {"name": "parent", "path": "parent.csv", "schema": {"fields": [
        {"name": "id", "type": "integer"},
        {"name": "code", "type": "string", "constraints": {"unique": true}}],
       "primaryKey": ["id"]}},
      {"name": "child", "path": "child.csv", "schema": {"fields": [
        {"name": "id", "type": "integer"}, {"name": "parent", "type": "integer"}],
       "primaryKey": "id",
       "foreignKeys": [{"fields": "parent", "reference": {"resource": "parent",
                                                          "fields": "id"}}]}}]}""",
                          encoding="utf-8")
    report = validate_package(descriptor)
    got = sorted((f.resource, f.line, f.code) for f in report.findings)
    assert got == [("child", 3, "foreign-key"),
                   ("parent", 3, "primary-key"),
                   ("parent", 4, "primary-key"),
                   ("parent", 5, "unique-error")]


COMPOSITE = """{"name": "p", "resources": [
  {"name": "parent", "path": "parent.csv", "schema": {"fields": [
    {"name": "a", "type": "integer"}, {"name": "b", "type": "string"},
    {"name": "n", "type": "number", "constraints": {"unique": true}}],
   "primaryKey": ["a", "b"]}},
  {"name": "child", "path": "child.csv", "schema": {"fields": [
    {"name": "id", "type": "string"}, {"name": "a", "type": "number"},
    {"name": "b", "type": "string"}],
   "primaryKey": ["id"],
   "foreignKeys": [{"fields": ["a", "b"], "reference": {"resource": "parent",
                                                        "fields": ["a", "b"]}},
                   {"fields": "id", "reference": {"resource": "", "fields": "b"}}]}}]}"""


@pytest.mark.parametrize("direct_rows", [DIRECT_ROWS, 0], ids=["asked", "run-directly"])
def test_composite_and_partly_missing_keys(tmp_path, monkeypatch, direct_rows):
    # the probes (shorter questions) find what the checks find: keys of several columns,
    # parts missing, typed values written differently, a reference to the table itself
    monkeypatch.setattr("semicon.schemas.validation.checks.DIRECT_ROWS", direct_rows)
    data = tmp_path / "pkg"
    data.mkdir()
    (data / "parent.csv").write_text("a,b,n\n1,x,1.0\n1,,1\n01,,2\n,,3\n,,4\n2,y,5\n",
                                     encoding="utf-8")
    (data / "child.csv").write_text("id,a,b\nx,1.0,x\ny,1,\nz,2,\n,,\nw,,x\n",
                                    encoding="utf-8")
    descriptor = data / "datapackage.json"
    descriptor.write_text(COMPOSITE, encoding="utf-8")
    report = validate_package(descriptor)
    got = sorted((f.resource, f.line, f.code, f.field) for f in report.findings)
    assert got == [("child", 3, "foreign-key", "id"),  # self-reference: no "y" in b
                   ("child", 4, "foreign-key", "a, b"),  # (2, missing) is not in parent
                   ("child", 4, "foreign-key", "id"),
                   ("child", 5, "blank-row", None),
                   ("child", 5, "primary-key", "id"),  # missing
                   ("child", 6, "foreign-key", "a, b"),  # (missing, x)
                   ("child", 6, "foreign-key", "id"),
                   ("parent", 3, "unique-error", "n"),  # 1 is 1.0
                   ("parent", 4, "primary-key", "a, b"),  # (01, missing) is (1, missing)
                   ("parent", 5, "primary-key", "a, b"),  # all missing
                   ("parent", 6, "primary-key", "a, b")]


def test_on_a_large_table_only_checks_with_a_cheaper_question_are_asked():
    small = LoadedResource(index=0, name="s", schema={}, rows=DIRECT_ROWS - 1)
    large = LoadedResource(index=1, name="l", schema={}, rows=DIRECT_ROWS)
    assert not _direct(_check(small, "SELECT 1"))
    assert _direct(_check(large, "SELECT 1"))
    assert not _direct(_check(large, "SELECT 1", probe="SELECT 1 FROM t WHERE __bad",
                              cheap=True))
    # a key check's probe groups or joins every row, as the check does: run it once
    assert _direct(_check(large, "SELECT 1", probe="SELECT 1 FROM t GROUP BY x"))


def test_a_check_run_directly_reports_without_being_asked(monkeypatch):
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS x FROM range(5)")
    r = LoadedResource(index=0, name="t", schema={}, usable=True, rows=DIRECT_ROWS)
    seen: list[list[tuple]] = []
    checks = [Check(r, "SELECT x FROM t WHERE x >= 3 ORDER BY x", 9, seen.append),
              Check(r, "SELECT x FROM t WHERE x > 9", 9, seen.append)]
    monkeypatch.setattr("semicon.schemas.validation.keys.key_queries", lambda *a: checks)
    monkeypatch.setattr("semicon.schemas.validation.rowchecks.row_queries", lambda *a: [])
    monkeypatch.setattr("semicon.schemas.validation.checks._finding_checks",
                        lambda *a: pytest.fail("a large table's key check was asked"))
    run_checks(con, {"t": r}, [], 9)
    assert seen == [[(3,), (4,)], []] and not r.capped


def _keyed(ftype: str, cells: list[str]) -> tuple[list[dict], str]:
    """A table keyed by ``id`` (of ``ftype``, cells as given) with a unique text field."""
    fields = [{"name": "id", "type": ftype},
              {"name": "code", "type": "string", "constraints": {"unique": True}}]
    return fields, "id,code\n" + "".join(f"{c},c{i}\n" for i, c in enumerate(cells))


GROUPING = "HAVING count(*) > 1"  # duplicate_sql's and duplicate_probe_sql's grouping
PROOF = "lag(k) OVER ()"  # keyorder.increasing_sql's streaming pass
STEPS = "row_number() OVER () AS q"  # keyorder.steps_sql's, run only when that fails


@pytest.mark.parametrize(("ftype", "cells"), [
    ("integer", ["1", "2", "10", "011"]),  # typed order (10 < 011), not the text's
    ("string", ["A", "B", "a", "b"]),
    ("number", ["-1.5", "0", "2e3", "NaN"]),  # NaN comes after every number
    ("date", ["1999-12-31", "2000-01-01", "2000-1-2", "2000-01-10"]),
    ("integer", ["1", "", "3", ""]),  # missing keys are not compared (found apart)
])
def test_keys_stored_in_increasing_order_are_proved_unique_without_grouping(
        one_table, monkeypatch, statements, ftype, cells):
    monkeypatch.setattr("semicon.schemas.validation.checks.DIRECT_ROWS", 0)  # all large
    fields, text = _keyed(ftype, cells)
    report = validate_package(one_table(fields, text, primaryKey=["id"]))
    assert [f.code for f in report.findings] == ["primary-key"] * cells.count("")
    assert sum(sql.count(PROOF) for sql in statements) == 2  # id's and code's
    assert not any(GROUPING in sql or STEPS in sql for sql in statements)


@pytest.mark.parametrize(("ftype", "cells", "line"), [
    ("integer", ["1", "2", "02", "3"], 4),  # 02 is 2: increasing as text, not as integers
    ("integer", ["3", "1", "2", "1"], 5),  # out of order: the grouping finds it
    ("number", ["-1", "0", "-0", "1"], 4),  # -0 is 0
    ("number", ["1", "NaN", "NaN"], 4),  # NaN repeats NaN (docs/validate.md, Limits)
    ("string", ["a", "b", "b", "c"], 4),
    ("date", ["2000-01-01", "2000-1-1"], 3),
])
def test_a_repeated_key_fails_the_proof_and_is_found_among_the_rows_out_of_order(
        one_table, monkeypatch, statements, ftype, cells, line):
    """The rows either side of each step down are the suspects (keyorder.py): the repeat
    is found by comparing their keys with every row's, not by grouping them all."""
    monkeypatch.setattr("semicon.schemas.validation.checks.DIRECT_ROWS", 0)
    fields, text = _keyed(ftype, cells)
    report = validate_package(one_table(fields, text, primaryKey=["id"]))
    assert [(f.code, f.line) for f in report.findings] == [("primary-key", line)]
    assert any(PROOF in sql for sql in statements)
    assert not any(GROUPING in sql for sql in statements)


def test_no_proof_for_a_key_of_several_columns(one_table, monkeypatch, statements):
    monkeypatch.setattr("semicon.schemas.validation.checks.DIRECT_ROWS", 0)
    fields = [{"name": "id", "type": "integer"}, {"name": "n", "type": "integer"}]
    report = validate_package(one_table(fields, "id,n\n1,1\n2,2\n2,2\n",
                                        uniqueKeys=[["id", "n"]]))
    assert [(f.code, f.line) for f in report.findings] == [("unique-error", 4)]
    assert not any(PROOF in sql for sql in statements)
    assert any(GROUPING in sql for sql in statements)
