"""A table referencing itself (``parent_id``): its foreign key declared in DuckDB too."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from semicon.build import duckdb_db
from semicon.build.package import load_package
from semicon.build.pipeline import build_package

from tests.build.conftest import SAMPLE_ROWS


def _self_keys(db: Path) -> list[list[str]]:
    con = duckdb.connect(str(db), read_only=True)
    return [r[0] for r in con.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() "
        "WHERE constraint_type = 'FOREIGN KEY' AND table_name = 'funding_allocations' "
        "AND referenced_table = 'funding_allocations'").fetchall()]


def test_the_self_reference_is_declared_and_enforced(sample_package: Path, tmp_path: Path):
    built = build_package(sample_package, tmp_path / "out")
    assert _self_keys(built.outputs["duckdb"]) == [["parent_id"]]
    con = duckdb.connect(str(built.outputs["duckdb"]))
    with pytest.raises(duckdb.ConstraintException, match="foreign key"):
        con.execute("INSERT INTO funding_allocations (allocation_id, parent_id, source_id) "
                    "VALUES (99, 98, 'S1')")
    rows = con.execute("SELECT allocation_id FROM funding_allocations").fetchall()
    assert [r[0] for r in rows] == [r[0] for r in SAMPLE_ROWS["funding_allocations"]]


def test_a_child_before_its_parent_leaves_the_key_out(make_package, tmp_path: Path):
    rows = dict(SAMPLE_ROWS)
    funding = list(rows["funding_allocations"])
    rows["funding_allocations"] = [funding[1], funding[0], *funding[2:]]  # 2 -> 1 first
    built = build_package(make_package(rows=rows), tmp_path / "out")
    assert _self_keys(built.outputs["duckdb"]) == []
    con = duckdb.connect(str(built.outputs["duckdb"]), read_only=True)
    assert con.execute("SELECT count(*) FROM funding_allocations").fetchall() == [(5,)]


@pytest.mark.parametrize(("parents", "breaks"), [
    ([None, 0, 0, 1, None], [1, 3]),  # 1 and 2 after 0 together, 3 after 1
    ([None, None, 0, 1, 2], [2, 4]),  # 2 and 3 together, then 4
    ([None, 0, 1, 2], [1, 2, 3]),  # a chain: one row a statement
    ([None, None, None], []),
    ([1, None], None),  # a row referencing a later one
    ([0], None),  # a row referencing itself
])
def test_statement_starts_are_the_fewest_possible(make_package, parents, breaks):
    ids = list(range(1, len(parents) + 1))
    funding = [[i, "" if p is None else ids[p], "t", 1, "EUR", "", "", "S1"]
               for i, p in zip(ids, parents, strict=True)]
    descriptor = make_package(rows={**SAMPLE_ROWS, "funding_allocations": funding})
    package = load_package(descriptor)
    resource = next(r for r in package.resources if r.name == "funding_allocations")
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS {duckdb_db.typed_select_sql(resource)}")
    assert duckdb_db.self_reference_breaks(con, resource, "t") == breaks


def test_chunks_and_statement_starts_together(sample_package: Path, tmp_path: Path):
    package = load_package(sample_package)
    resource = next(r for r in package.resources if r.name == "funding_allocations")
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS out")
    con.execute(f"CREATE TABLE src AS {duckdb_db.typed_select_sql(resource)}")
    con.execute("CREATE TABLE out.main.sources (source_id VARCHAR PRIMARY KEY)")
    con.execute("INSERT INTO out.main.sources VALUES ('S1'), ('S2'), ('S3')")
    duckdb_db.load_table(con, resource, "src", chunk_rows=2)
    got = con.execute("SELECT allocation_id FROM out.main.funding_allocations").fetchall()
    assert [r[0] for r in got] == [1, 2, 3, 4, 5]
