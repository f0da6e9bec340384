"""Each output opened with its own library and compared with the CSVs."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from semicon.build.errors import BuildError
from semicon.build.pipeline import build_package

from tests.build.conftest import SAMPLE_ROWS, SAMPLE_SCHEMAS


@pytest.fixture
def built(sample_package: Path, tmp_path: Path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    return build_package(sample_package, tmp_path / "out")


def csv_rows(descriptor: Path, table: str) -> list[dict[str, str]]:
    with open(descriptor.parent / "data" / f"{table}.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def as_text(value: object) -> str:
    """A typed value back in CSV spelling (None -> "")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


BOOL_TEXT = {"1": "true", "0": "false", "true": "true", "false": "false", "": ""}


def normalise_csv(table: str, row: dict[str, str]) -> dict[str, str]:
    schema = next(s for s in SAMPLE_SCHEMAS if s["name"] == table)
    out = {}
    for f in schema["fields"]:
        v = row[f["name"]]
        if f["type"] == "boolean":
            v = BOOL_TEXT[v]
        if f["type"] == "number" and v and float(v).is_integer():
            v = str(int(float(v)))
        out[f["name"]] = v
    return out


def test_outputs_exist(built) -> None:
    assert not built.skipped
    for path in built.outputs.values():
        assert path.is_file(), path
    assert built.rows == {t: len(r) for t, r in SAMPLE_ROWS.items()}
    assert (built.out_dir / "build.json").is_file()
    assert not list(built.out_dir.glob(".*.tmp-*"))


def test_duckdb_matches_csv(built, sample_package: Path) -> None:
    con = duckdb.connect(str(built.outputs["duckdb"]), read_only=True)
    for table in SAMPLE_ROWS:
        cur = con.execute(f'SELECT * FROM "{table}"')
        names = [d[0] for d in cur.description]
        got = [dict(zip(names, map(as_text, row), strict=True)) for row in cur.fetchall()]
        want = [normalise_csv(table, r) for r in csv_rows(sample_package, table)]
        assert got == want, table


def test_duckdb_types_constraints_comments(built) -> None:
    con = duckdb.connect(str(built.outputs["duckdb"]), read_only=True)
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'funding_allocations'"
        ).fetchall()
    )
    assert types["allocation_id"] == "BIGINT"
    assert types["amount"] == "DOUBLE"
    assert types["confirmed"] == "BOOLEAN"
    assert dict(con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'sources'").fetchall())["published"] == "DATE"
    kinds = {
        (r[0], r[1])
        for r in con.execute(
            "SELECT table_name, constraint_type FROM duckdb_constraints()"
        ).fetchall()
    }
    assert ("funding_allocations", "PRIMARY KEY") in kinds
    assert ("funding_allocations", "FOREIGN KEY") in kinds
    assert ("funding_allocations", "CHECK") in kinds
    assert ("funding_allocations", "NOT NULL") in kinds
    checks = " ".join(
        r[0] for r in con.execute(
            "SELECT expression FROM duckdb_constraints() WHERE constraint_type = 'CHECK'"
        ).fetchall()
    )
    assert "regexp_full_match" in checks and "IN" in checks and ">=" in checks
    assert con.execute(
        "SELECT comment FROM duckdb_tables() WHERE table_name = 'sources'"
    ).fetchall() == [("Sources: Documents the figures come from.",)]
    assert con.execute(
        "SELECT comment FROM duckdb_columns() WHERE table_name = 'sources' "
        "AND column_name = 'title'"
    ).fetchall() == [("Title of the document",)]
    with pytest.raises(duckdb.Error):  # read-only, but the constraint is also declared
        con.execute("INSERT INTO sources VALUES ('bad', 'x', NULL, 'letter')")


def test_duckdb_constraints_reject_bad_rows(built, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy.duckdb"
    shutil.copy(built.outputs["duckdb"], copy)
    con = duckdb.connect(str(copy))
    for bad in (
        "INSERT INTO sources VALUES ('X1', 'pattern', NULL, NULL)",
        "INSERT INTO sources VALUES ('S9', 'enum', NULL, 'tweet')",
        "INSERT INTO sources VALUES ('S9', '', NULL, NULL)",
        "INSERT INTO sources VALUES ('S1', 'duplicate', NULL, NULL)",
        "INSERT INTO funding_allocations (allocation_id, source_id, amount) "
        "VALUES (99, 'S1', -1)",
        "INSERT INTO funding_allocations (allocation_id, source_id) VALUES (98, 'S404')",
    ):
        with pytest.raises(duckdb.ConstraintException):
            con.execute(bad)


def test_duckdb_views_and_build_table(built) -> None:
    con = duckdb.connect(str(built.outputs["duckdb"]), read_only=True)
    rows = con.execute(
        "SELECT allocation_id, parent_title, amount_readable FROM funding_allocations_readable"
    ).fetchall()
    assert rows == [
        (1, None, "EUR 2.51 billion"),
        (2, "Chips Act programme", "EUR 778 million"),
        (3, "Chips Act programme", "USD 52 billion"),
        (4, "Photonics, Delta plan", "EUR 250 thousand"),
        (5, None, None),
    ]
    members = con.execute(
        "SELECT coalition_name, country_name FROM coalition_members_named"
    ).fetchall()
    assert ("Semicon Coalition", "Netherlands") in members
    build = con.execute(
        "SELECT table_name, row_count, package_name, package_version, built_at, tool_versions "
        "FROM _build ORDER BY table_name"
    ).fetchall()
    assert {r[0]: r[1] for r in build} == {t: len(r) for t, r in SAMPLE_ROWS.items()}
    assert {r[2] for r in build} == {"testpkg"} and {r[3] for r in build} == {"1.0.0"}
    assert all(r[4] is None for r in build)  # no `created`, no SOURCE_DATE_EPOCH: no time
    assert "duckdb" in json.loads(build[0][5])


def test_sqlite_matches_duckdb_and_csv(built, sample_package: Path) -> None:
    sq = sqlite3.connect(built.outputs["sqlite"])
    ddb = duckdb.connect(str(built.outputs["duckdb"]), read_only=True)
    for table in SAMPLE_ROWS:
        got = sq.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall()
        assert len(got) == len(SAMPLE_ROWS[table])
        assert len(got) == ddb.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]
    # value spelling: dates as ISO text, booleans as 0/1, numbers as REAL
    assert sq.execute("SELECT published FROM sources WHERE source_id = 'S1'").fetchall() == [
        ("2025-06-30",)
    ]
    assert sq.execute(
        "SELECT confirmed, amount FROM funding_allocations WHERE allocation_id = 4"
    ).fetchall() == [(1, 250000.5)]
    csv_titles = [r["title"] for r in csv_rows(sample_package, "sources")]
    assert [r[0] for r in sq.execute("SELECT title FROM sources ORDER BY rowid")] == csv_titles


def test_sqlite_keys_indexes_fts(built) -> None:
    sq = sqlite3.connect(built.outputs["sqlite"])
    pk = [r[1] for r in sq.execute("PRAGMA table_info(coalition_members)") if r[5]]
    assert pk == ["coalition_id", "country_code"]
    fks = {(r[2], r[3]) for r in sq.execute("PRAGMA foreign_key_list(funding_allocations)")}
    assert fks == {("funding_allocations", "parent_id"), ("sources", "source_id")}
    assert sq.execute("PRAGMA foreign_key_check").fetchall() == []
    indexed = {
        r[0] for r in sq.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
    }
    assert {
        "idx_funding_allocations_parent_id",
        "idx_funding_allocations_source_id",
        "idx_funding_allocations_currency",
        "idx_sources_kind",
        "idx_coalition_members_country_code",
    } <= indexed
    served = sqlite3.connect(built.outputs["site_sqlite"])  # the site's copy has the FTS
    fts_sql = served.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'funding_allocations_fts'"
    ).fetchall()[0][0]
    assert '"title"' in fts_sql and '"recipient"' in fts_sql and "currency" not in fts_sql
    hits = served.execute(
        "SELECT allocation_id FROM funding_allocations WHERE rowid IN "
        "(SELECT rowid FROM funding_allocations_fts WHERE funding_allocations_fts MATCH 'delta')"
    ).fetchall()
    assert hits == [(2,)]
    assert sq.execute("SELECT count(*) FROM _build").fetchall() == [(len(SAMPLE_ROWS),)]
    cols = [r[1] for r in sq.execute("PRAGMA table_info(_build)")]
    assert "built_at" not in cols
    assert sq.execute(
        "SELECT amount_readable FROM funding_allocations_readable WHERE allocation_id = 1"
    ).fetchall() == [("EUR 2.51 billion",)]


def test_parquet_matches_duckdb(built) -> None:
    ddb = duckdb.connect(str(built.outputs["duckdb"]), read_only=True)
    for table in SAMPLE_ROWS:
        t = pq.read_table(built.outputs[f"parquet:{table}"])
        assert t.num_rows == len(SAMPLE_ROWS[table])
        cur = ddb.execute(f'SELECT * FROM "{table}"')
        names = [d[0] for d in cur.description]
        want = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        assert t.to_pylist() == want
    schema = pq.read_schema(built.outputs["parquet:funding_allocations"])
    assert str(schema.field("confirmed").type) == "bool"
    assert str(schema.field("allocation_id").type) == "int64"


def test_build_json_records_inputs(built) -> None:
    manifest = json.loads((built.out_dir / "build.json").read_text())
    assert set(manifest["inputs"]["resources"]) == {f"data/{t}.csv" for t in SAMPLE_ROWS}
    assert manifest["rows"] == built.rows
    assert "testpkg.db" in manifest["outputs"]


def test_duckdb_file_uses_small_blocks(built) -> None:
    """16 KiB blocks: a small package, a small download (bundled: 10.8 -> 1.2 MB)."""
    con = duckdb.connect(str(built.outputs["duckdb"]), read_only=True)
    assert con.execute("SELECT block_size FROM pragma_database_size()").fetchall() == [(16384,)]
    assert built.outputs["duckdb"].stat().st_size < 1_000_000


def test_parquet_files_describe_themselves(built, sample_package: Path) -> None:
    """Title, description, package and the Table Schema travel inside each Parquet file."""
    descriptor = json.loads(sample_package.read_text(encoding="utf-8"))
    for res in descriptor["resources"]:
        path = built.out_dir / "parquet" / f"{res['name']}.parquet"
        meta = {k.decode(): v.decode() for k, v in pq.read_schema(path).metadata.items()}
        assert meta["title"] == res.get("title", res["name"])
        assert meta.get("description", "") == res.get("description", "")
        assert meta["package"] == "testpkg 1.0.0"
        assert json.loads(meta["table_schema"]) == res["schema"]
    con = duckdb.connect()
    kv = dict(con.execute(
        "SELECT decode(key), decode(value) FROM parquet_kv_metadata(?)",
        [str(built.out_dir / "parquet" / "funding_allocations.parquet")]).fetchall())
    assert kv["title"] == "Funding allocations"


def test_build_time_comes_from_the_package_or_source_date_epoch(
    sample_package: Path, tmp_path: Path, monkeypatch
) -> None:
    """`_build.built_at` is never the clock: SOURCE_DATE_EPOCH, else the package's `created`."""
    descriptor = json.loads(sample_package.read_text(encoding="utf-8"))
    descriptor["created"] = "2025-06-01T12:30:00+02:00"
    sample_package.write_text(json.dumps(descriptor), encoding="utf-8")

    def built_at(out: Path) -> set:
        con = duckdb.connect(str(out / "testpkg.duckdb"), read_only=True)
        rows = con.execute("SELECT CAST(built_at AS VARCHAR) FROM _build").fetchall()
        return {r[0] for r in rows}

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    build_package(sample_package, tmp_path / "a")
    assert built_at(tmp_path / "a") == {"2025-06-01 10:30:00"}  # in UTC
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = build_package(sample_package, tmp_path / "a")
    assert not result.skipped  # a new time is a new input
    assert built_at(tmp_path / "a") == {"2023-11-14 22:13:20"}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(BuildError, match="SOURCE_DATE_EPOCH must be a whole number"):
        build_package(sample_package, tmp_path / "b")


def _schema_objects(path: Path) -> dict[str, set[str]]:
    """``sqlite3 FILE .tables`` split by kind: every table (virtual and shadow ones too,
    SQLite lists them all) and every view."""
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT name, type FROM pragma_table_list WHERE schema = 'main' "
                           "AND name NOT LIKE 'sqlite_%'").fetchall()
    finally:
        con.close()
    return {"tables": {n for n, t in rows if t != "view"},
            "views": {n for n, t in rows if t == "view"}}


def test_the_sqlite_file_holds_the_package_tables_only(built, sample_package: Path) -> None:
    """The SQLite file developers download lists the package's tables, its declared views
    and the two documented extras; the full-text index lives in the site's copy."""
    descriptor = json.loads(sample_package.read_text(encoding="utf-8"))
    tables = {r["name"] for r in descriptor["resources"] if "schema" in r}
    clean = _schema_objects(built.outputs["sqlite"])
    assert clean["tables"] == tables | {"_build", "_data_dictionary"}
    assert clean["views"] == set(descriptor["semicon"]["views"])
    served = _schema_objects(built.outputs["site_sqlite"])
    helpers = served["tables"] - clean["tables"]
    assert served["views"] == clean["views"] and clean["tables"] <= served["tables"]
    assert helpers and all(h.split("_fts")[0] in tables for h in helpers)
    # the site's copy holds the same rows: the FTS index is all it adds
    with sqlite3.connect(built.outputs["site_sqlite"]) as con:
        con.execute("ATTACH ? AS clean", [str(built.outputs["sqlite"])])
        for table in sorted(tables):
            assert con.execute(f'SELECT * FROM main."{table}" EXCEPT '
                               f'SELECT * FROM clean."{table}"').fetchall() == []
            assert (con.execute(f'SELECT count(*) FROM main."{table}"').fetchone()
                    == con.execute(f'SELECT count(*) FROM clean."{table}"').fetchone())


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs the sqlite3 shell")
def test_sqlite3_tables_lists_only_the_package_tables(built, sample_package: Path) -> None:
    """What a developer sees with the sqlite3 shell (Debian's; `.ci/run` installs it)."""
    out = subprocess.run(["sqlite3", str(built.outputs["sqlite"]), ".tables"],
                         capture_output=True, text=True, check=True).stdout
    descriptor = json.loads(sample_package.read_text(encoding="utf-8"))
    expected = ({r["name"] for r in descriptor["resources"] if "schema" in r}
                | set(descriptor["semicon"]["views"]) | {"_build", "_data_dictionary"})
    assert set(out.split()) == expected
