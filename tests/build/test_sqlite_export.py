"""SQLite written through ADBC: types, sort indexes, ``_data_dictionary`` and parity read-back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
from semicon.build import parity
from semicon.build.data_dictionary import COLUMNS, data_dictionary_rows
from semicon.build.package import load_package
from semicon.build.pipeline import build_package

from tests.build.conftest import SAMPLE_ROWS, SAMPLE_SCHEMAS


def test_sqlite_storage_classes(sample_package: Path, tmp_path: Path) -> None:
    out = build_package(sample_package, tmp_path / "out")
    sq = sqlite3.connect(out.outputs["sqlite"])
    row = sq.execute(
        "SELECT typeof(allocation_id), typeof(amount), typeof(confirmed), typeof(title) "
        "FROM funding_allocations WHERE allocation_id = 2"
    ).fetchall()
    assert row == [("integer", "real", "integer", "text")]
    assert sq.execute(
        "SELECT typeof(published), published FROM sources WHERE source_id = 'S3'"
    ).fetchall() == [("text", "2024-01-02")]
    assert sq.execute("SELECT typeof(joined) FROM coalition_members WHERE joined IS NOT NULL"
                      ).fetchall() == [("integer",), ("integer",)]
    assert sq.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert sq.execute("PRAGMA page_size").fetchall() == [(4096,)]


def test_sort_columns_are_indexed(sample_package: Path, tmp_path: Path) -> None:
    out = build_package(sample_package, tmp_path / "out")
    sq = sqlite3.connect(out.outputs["sqlite"])
    indexed = {r[0] for r in sq.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"idx_funding_allocations_amount", "idx_sources_published"} <= indexed
    plan = " ".join(
        str(r) for r in sq.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM funding_allocations ORDER BY amount DESC LIMIT 5"
        )
    )
    assert "idx_funding_allocations_amount" in plan


def test_data_dictionary_in_sqlite_and_duckdb(sample_package: Path, tmp_path: Path) -> None:
    out = build_package(sample_package, tmp_path / "out")
    pkg = load_package(sample_package)
    want = [tuple(r[c] for c in COLUMNS)
            for r in data_dictionary_rows(pkg)]
    assert len(want) == sum(len(s["fields"]) for s in SAMPLE_SCHEMAS)
    cols = ", ".join(f'"{c}"' for c in COLUMNS)
    sq = sqlite3.connect(out.outputs["sqlite"])
    assert sq.execute(f"SELECT {cols} FROM _data_dictionary ORDER BY rowid").fetchall() == want
    assert [r[2] for r in sq.execute("PRAGMA table_info(_data_dictionary)")] == [
        "INTEGER" if c == "required" else "TEXT" for c in COLUMNS
    ]
    ddb = duckdb.connect(str(out.outputs["duckdb"]), read_only=True)
    assert ddb.execute(f"SELECT {cols} FROM _data_dictionary").fetchall() == want


def test_parity_reads_columns_that_start_with_nulls(make_package, tmp_path: Path) -> None:
    # the ADBC reader types a column from its first rows: NULLs there must not break parity
    n = 5_000
    rows = dict(SAMPLE_ROWS)
    rows["funding_allocations"] = [
        [i, "", "t", "" if i <= 4_000 else i + 0.25, "", "", "" if i <= 4_000 else "true", "S1"]
        for i in range(1, n + 1)
    ]
    pkg = make_package(rows=rows)
    out = build_package(pkg, tmp_path / "out")
    assert out.rows["funding_allocations"] == n
    res = load_package(pkg).resource("funding_allocations")
    d = parity.sqlite_digest(duckdb.connect(), res, out.outputs["sqlite"])
    assert d.rows == n and d.content_hash == out.hashes["funding_allocations"]


def test_empty_table(make_package, tmp_path: Path) -> None:
    pkg = make_package(rows={**SAMPLE_ROWS, "coalition_members": []})
    out = build_package(pkg, tmp_path / "out")
    assert out.rows["coalition_members"] == 0
    sq = sqlite3.connect(out.outputs["sqlite"])
    assert sq.execute("SELECT count(*) FROM coalition_members").fetchall() == [(0,)]


def test_large_table_paths(make_package, tmp_path: Path, monkeypatch) -> None:
    """Chunked DuckDB load and file-backed SQLite sorts (used from millions of rows)."""
    from semicon.build import duckdb_db, sqlite_db

    monkeypatch.setattr(duckdb_db, "LOAD_CHUNK_ROWS", 2)
    monkeypatch.setattr(sqlite_db, "MEMORY_SORT_ROWS", 1)
    small = build_package(make_package(), tmp_path / "chunked")
    monkeypatch.undo()
    plain = build_package(make_package(), tmp_path / "plain")
    assert small.hashes == plain.hashes and small.rows == plain.rows
    assert small.outputs["sqlite"].read_bytes() == plain.outputs["sqlite"].read_bytes()
    ddb = duckdb.connect(str(small.outputs["duckdb"]), read_only=True)
    assert [r[0] for r in ddb.execute(
        "SELECT allocation_id FROM funding_allocations").fetchall()] == [1, 2, 3, 4, 5]


def test_sqlite_disk_full_is_one_line(sample_package: Path, tmp_path: Path, monkeypatch) -> None:
    import pytest
    from adbc_driver_manager import AdbcStatusCode, OperationalError
    from semicon.build import sqlite_db
    from semicon.build.errors import BuildError

    def full(*args, **kw):
        raise OperationalError("INTERNAL: [SQLite] database or disk is full",
                               status_code=AdbcStatusCode.INTERNAL)

    monkeypatch.setattr(sqlite_db, "copy_table", full)
    out = tmp_path / "out"
    with pytest.raises(BuildError, match="no space left on device while writing the SQLite"):
        build_package(sample_package, out)
    assert not out.exists()
