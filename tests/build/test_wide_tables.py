"""A table of 2,500 columns (wider than SQLite's column limit, so it takes the wide path of
the DuckDB stage and the long form in SQLite) builds, serves and packages: DuckDB and Parquet
hold it wide with every column's type, SQLite holds every cell as one row, parity passes."""

from __future__ import annotations

import asyncio
import datetime
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from semicon.build import duckdb_db, parity
from semicon.build.package import load_package
from semicon.build.sqlite_long import column_limit
from semicon.cli.main import cli

from tests.serve.conftest import in_process
from tests.serve.test_real_packages import crawl

WIDTH = 2500
ROWS = ("r1", "r2", "r3")
#: Table Schema type -> (cell of row r1, r2, r3; DuckDB type; Arrow type; SQLite class)
KINDS = {
    "integer": (("42", "-7", ""), "BIGINT", pa.int64(), "integer"),
    "number": (("3.5", "1e3", "-0.25"), "DOUBLE", pa.float64(), "real"),
    "date": (("2020-01-02", "", "1999-12-31"), "DATE", pa.date32(), "text"),
    "boolean": (("true", "false", "true"), "BOOLEAN", pa.bool_(), "integer"),
    "string": (("abc", "d e", ""), "VARCHAR", pa.string(), "text"),
    "datetime": (("2020-01-02T03:04:05", "2021-06-07T08:09:10", ""), "TIMESTAMP",
                 pa.timestamp("us"), "text"),
}
#: the SQLite value of each cell (as the SQLite copy of any table stores it)
SQLITE_VALUE = {
    "42": 42, "-7": -7, "3.5": 3.5, "1e3": 1000.0, "-0.25": -0.25, "true": 1, "false": 0,
    "2020-01-02T03:04:05": "2020-01-02T03:04:05", "2021-06-07T08:09:10": "2021-06-07T08:09:10",
}
#: a text cell no other cell holds (row r3 of a string column), found by full-text search
NEEDLE = ("c11", 2, "Zwolle harbour")
# one column of a type Arrow cannot carry (a time with a zone), at the end
ZONED = {"name": "at", "type": "time"}
ZONED_CELLS = ("10:00:00+02:00", "11:30:00+00:00", "")


def _fields() -> list[dict]:
    kinds = list(KINDS)
    fields = [{"name": "id", "type": "string", "constraints": {"required": True}}]
    fields += [{"name": f"c{i}", "type": kinds[(i - 1) % len(kinds)]} for i in range(1, WIDTH - 1)]
    return [*fields, ZONED]


def _cells(field: dict, row: int) -> str:
    if field["name"] == "id":
        return ROWS[row]
    if field is ZONED or field["name"] == "at":
        return ZONED_CELLS[row]
    if (field["name"], row) == NEEDLE[:2]:
        return NEEDLE[2]
    return KINDS[field["type"]][0][row]


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """The package (validated, built and packaged through the CLI) and its outputs."""
    work = tmp_path_factory.mktemp("wide")
    pkg = work / "pkg"
    (pkg / "data").mkdir(parents=True)
    fields = _fields()
    lines = [",".join(f["name"] for f in fields)]
    lines += [",".join(_cells(f, r) for f in fields) for r in range(len(ROWS))]
    (pkg / "data" / "wide.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (pkg / "data" / "notes.csv").write_text("note_id,wide_id\n1,r2\n2,r3\n", "utf-8")
    notes = {"fields": [{"name": "note_id", "type": "integer"},
                        {"name": "wide_id", "type": "string"}],
             "primaryKey": ["note_id"],
             "foreignKeys": [{"fields": ["wide_id"],
                              "reference": {"resource": "wide", "fields": ["id"]}}]}
    descriptor = {"name": "wide-package", "title": "A wide table", "version": "1.0.0",
                  "licenses": [{"name": "CC0-1.0"}],
                  "resources": [{"name": "notes", "path": "data/notes.csv", "format": "csv",
                                 "schema": notes},
                                {"name": "wide", "path": "data/wide.csv", "format": "csv",
                                 "schema": {"fields": fields, "primaryKey": ["id"]}}]}
    (pkg / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    out = work / "dist"
    runner = CliRunner()
    results = {}
    for args in (["validate", str(pkg)], ["build", str(pkg), "--out", str(out), "-q"],
                 ["package", str(pkg), "--out", str(out), "--quiet"]):
        results[args[0]] = runner.invoke(cli, args)
        assert results[args[0]].exit_code == 0, (args, results[args[0]].output)
    return pkg, out, fields, results


def test_the_table_is_wider_than_sqlite_holds():
    assert column_limit() == sqlite3.connect(":memory:").getlimit(sqlite3.SQLITE_LIMIT_COLUMN)
    assert column_limit() < WIDTH


def test_duckdb_holds_the_table_wide_with_every_type(wide):
    _, out, fields, _ = wide
    con = duckdb.connect(str(out / "wide-package.duckdb"), read_only=True)
    columns = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                          "WHERE table_name = 'wide' ORDER BY ordinal_position").fetchall()
    expected = [("id", "VARCHAR")]
    expected += [(f["name"], KINDS[f["type"]][1]) for f in fields[1:-1]]
    expected.append(("at", "TIME WITH TIME ZONE"))
    assert columns == expected
    rows = con.execute('SELECT id, c1, c2, c3, c4, c5, c6, CAST("at" AS VARCHAR) FROM wide '
                       "ORDER BY rowid").fetchall()
    assert [r[0] for r in rows] == list(ROWS)
    assert rows[0][1:4] == (42, 3.5, datetime.date(2020, 1, 2))
    assert rows[1][1:5] == (-7, 1000.0, None, False)
    assert rows[2][1] is None and rows[2][5] is None
    assert [r[7] for r in rows] == ["10:00:00+02", "11:30:00+00", None]


def test_parquet_holds_the_table_wide_with_every_type(wide):
    _, out, fields, _ = wide
    schema = pq.read_schema(out / "parquet" / "wide.parquet")
    assert schema.names == [f["name"] for f in fields]
    assert schema.field("id").type == pa.string() and not schema.field("id").nullable
    for f in fields[1:-1]:
        assert schema.field(f["name"]).type == KINDS[f["type"]][2], f
    table = pq.read_table(out / "parquet" / "wide.parquet", columns=["c1", "c2", "c5"])
    assert table.to_pydict() == {"c1": [42, -7, None], "c2": [3.5, 1000.0, -0.25],
                                 "c5": ["abc", "d e", None]}


def _sqlite_value(field: dict, cell: str):
    if cell == "":
        return None
    if field["name"] == "at":
        return {"10:00:00+02:00": "08:00:00+00", "11:30:00+00:00": "11:30:00+00"}[cell]
    return SQLITE_VALUE.get(cell, cell)


def test_sqlite_holds_every_cell_in_long_form(wide):
    _, out, fields, _ = wide
    con = sqlite3.connect(out / "wide-package.db")
    columns = [(r[1], r[2], r[5]) for r in con.execute("PRAGMA table_info(wide)")]
    assert columns == [("row", "INTEGER", 1), ("id", "TEXT", 0), ("position", "INTEGER", 2),
                       ("field", "TEXT", 0), ("value", "", 0)]
    got = con.execute("SELECT row, id, position, field, value, typeof(value) FROM wide "
                      "ORDER BY row, position").fetchall()
    expected = []
    for r, key in enumerate(ROWS):
        for p, f in enumerate(fields):
            value = key if f["name"] == "id" else _sqlite_value(f, _cells(f, r))
            kind = ("text" if f["name"] in ("id", "at") else KINDS[f["type"]][3])
            expected.append((r + 1, key, p + 1, f["name"], value,
                             "null" if value is None else kind))
    assert len(got) == len(ROWS) * WIDTH
    assert got == expected
    indexes = {r[1] for r in con.execute("PRAGMA index_list(wide)")}
    assert "idx_wide_field_value" in indexes
    dictionary = con.execute("SELECT count(*) FROM _data_dictionary WHERE \"table\" = 'wide'")
    assert dictionary.fetchone() == (WIDTH,)
    # a key referencing the long table is left out in SQLite (no row there has it as its
    # primary key), kept in DuckDB
    assert con.execute("PRAGMA foreign_key_list(notes)").fetchall() == []
    ddb = duckdb.connect(str(out / "wide-package.duckdb"), read_only=True)
    assert ddb.execute("SELECT constraint_text FROM duckdb_constraints() WHERE table_name = "
                       "'notes' AND constraint_type = 'FOREIGN KEY'").fetchall() == [
        ("FOREIGN KEY (wide_id) REFERENCES wide(id)",)]


def test_parity_compares_sqlite_cell_by_cell(wide, tmp_path):
    pkg, out, _, _ = wide
    resource = load_package(pkg / "datapackage.json").load_order[0]
    con = duckdb_db.connect()
    want = parity.csv_digest(con, resource)  # the CSV read and typed as the build reads it
    built = parity.sqlite_digest(con, resource, out / "wide-package.db")
    assert parity.differences({"wide": want}, {"sqlite": {"wide": built}}) == []
    assert built.rows == 3 and built.primary_key_hash == want.primary_key_hash
    # one cell changed, one of the same value but another storage class: both noticed
    for change in ("UPDATE wide SET value = 43 WHERE field = 'c1' AND row = 1",
                   "UPDATE wide SET value = '42' WHERE field = 'c1' AND row = 1"):
        copy = tmp_path / "changed.db"
        shutil.copy(out / "wide-package.db", copy)
        with sqlite3.connect(copy) as sq:
            sq.execute(change)
        changed = parity.sqlite_digest(con, resource, copy)
        assert parity.differences({"wide": want}, {"sqlite": {"wide": changed}}) == [
            "sqlite: wide content differs from the CSV"]


def test_site_serves_the_long_table(wide):
    pkg, out, _, _ = wide
    metadata = json.loads((out / "metadata.json").read_text())
    table = metadata["databases"]["wide-package"]["tables"]["wide"]
    assert table["facets"] == ["field"]
    assert set(table["columns"]) == {"row", "id", "position", "field", "value"}
    ds = in_process(pkg / "datapackage.json", out)

    async def get():
        return (await ds.client.get("/wide-package/wide"),
                await ds.client.get("/wide-package/wide.json?field=c7&_shape=array"))

    page, rows = asyncio.run(get())
    assert page.status_code == 200
    assert "2,500 columns" in page.text
    assert rows.status_code == 200
    assert [(r["row"], r["value"]) for r in rows.json()] == [(1, 42), (2, -7), (3, None)]
    # every page the home page and the table page link answers
    pages = {**crawl(ds, "/", depth=1), **crawl(ds, "/wide-package/wide", depth=1)}
    assert "/wide-package/wide" in pages and "/wide-package/_data_dictionary" in pages
    assert {p: s for p, (s, _) in pages.items() if s != 200} == {}


def test_site_searches_the_text_cells_of_the_long_table(wide, tmp_path):
    """The long table's full-text index holds the name and value of each non-empty cell of
    the wide table's search columns (here inferred: its free-text fields), so Datasette's
    ``?_search=`` and the search-all page find a record by a cell value."""
    pkg, out, fields, _ = wide
    metadata = json.loads((out / "metadata.json").read_text())
    table = metadata["databases"]["wide-package"]["tables"]["wide"]
    assert (table["fts_table"], table["fts_pk"]) == ("wide_fts", "rowid")
    searched = [f["name"] for f in fields if f["type"] == "string" and f["name"] != "id"]
    ds = in_process(pkg / "datapackage.json", out)

    async def search(q: str, extra: str = ""):
        return await ds.client.get(f"/wide-package/wide.json?_search={q}{extra}")

    async def get():
        found = {q: await search(q, "&_shape=objects&_size=max")
                 for q in ("zwolle", "c11 harbour", "abc", "42", "c11")}
        found["value:c11"] = await ds.client.get("/wide-package/wide.json?_search_value=c11")
        return found

    found = asyncio.run(get())
    assert {q: r.status_code for q, r in found.items()} == dict.fromkeys(found, 200)
    position = [f["name"] for f in fields].index(NEEDLE[0]) + 1
    needle = [{"row": 3, "id": "r3", "position": position, "field": NEEDLE[0],
               "value": NEEDLE[2]}]
    assert found["zwolle"].json()["rows"] == needle
    assert found["c11 harbour"].json()["rows"] == needle  # column name and value, one cell
    # r1's text cells; numbers, dates and keys are not free text, as in any table
    abc = found["abc"].json()
    assert abc["filtered_table_rows_count"] == len(searched)
    assert {(r["row"], r["value"]) for r in abc["rows"]} == {(1, "abc")}
    assert found["42"].json()["rows"] == []
    assert [(r["row"], r["value"]) for r in found["c11"].json()["rows"]] == [
        (1, "abc"), (2, "d e"), (3, NEEDLE[2])]
    assert found["value:c11"].json()["rows"] == []  # one column of the index: values only
    page = asyncio.run(ds.client.get("/-/search?q=zwolle"))
    assert page.status_code == 200
    assert '"table": "wide"' in page.text
    # the index lives in the site's copy only, and is made the same way every time
    with sqlite3.connect(out / "wide-package.db") as con:
        assert con.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE '%fts%'"
                           ).fetchone() == (0,)
    from semicon.build.sqlite_db import write_search_copy

    again = tmp_path / "again.db"
    assert write_search_copy(out / "wide-package.db", again,
                             load_package(pkg / "datapackage.json")) == ["wide_fts"]
    assert again.read_bytes() == (out / "site" / "wide-package.db").read_bytes()


def test_package_zip_validates(wide, tmp_path):
    _, out, _, results = wide
    zip_path = Path(results["package"].output.strip())
    assert zip_path.is_file() and zip_path.parent == out
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", str(zip_path)])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(folder)
        assert "parquet/wide.parquet" in [n.split("/", 1)[-1] for n in z.namelist()]
    descriptor = next(folder.rglob("datapackage.json"))
    result = runner.invoke(cli, ["validate", str(descriptor)])
    assert result.exit_code == 0, result.output


def test_pandas_metadata_is_what_pyarrow_writes_for_the_whole_frame():
    """The Parquet files' ``pandas`` metadata is assembled per column (linear in columns):
    byte for byte what pyarrow writes for a DataFrame of the same dtypes."""
    import pandas as pd
    from semicon.build.parquet_files import pandas_dtype, pandas_metadata

    schema = pa.schema([("a", pa.int64()), ("b b", pa.string()), ("c", pa.date32()),
                        ("d", pa.bool_()), ("e", pa.float64()),
                        ("f", pa.timestamp("us", tz="UTC")), ("g", pa.decimal128(38, 0)),
                        ("h", pa.time64("us")), ("i", pa.list_(pa.int64()))])
    nulls = {"a": 1, "d": 2}
    frame = pd.DataFrame({f.name: pd.Series([], dtype=pandas_dtype(f.type, f.name in nulls))
                          for f in schema})
    whole = pa.Schema.from_pandas(frame, preserve_index=False).metadata[b"pandas"]
    assert pandas_metadata(schema, nulls) == whole
    assert json.loads(whole)["columns"][0]["pandas_type"] == "int64"


#: field kinds with their cells in three rows, chosen for the typing's special cases
TRICKY = [
    ({"type": "integer"}, ("1", "99999999999999999999", "")),  # beyond BIGINT: DECIMAL
    ({"type": "integer", "bareNumber": False}, ("EUR 5", "6 %", "")),
    ({"type": "number", "decimalChar": ",", "groupChar": "."}, ("1.234,5", "2", "")),
    ({"type": "datetime"}, ("2020-01-02T03:04:05+02:00", "2020-01-02T03:04:05Z", "")),
    ({"type": "time"}, ("10:00:00", "11:00:00", "")),
    ({"type": "date", "format": "%d/%m/%Y"}, ("02/01/2020", "31/12/1999", "")),
    ({"type": "boolean", "trueValues": ["ja"], "falseValues": ["nee"]}, ("ja", "nee", "")),
    ({"type": "year"}, ("2020", "1999", "")),
    ({"type": "string", "missingValues": ["n/a"]}, ("x", "n/a", "")),
    ({"type": "integer", "constraints": {"minimum": 0}}, ("3", "4", "5")),
]


def _tricky_package(folder: Path, width: int) -> Path:
    fields = [{"name": "k", "type": "integer"}]
    cells = [("1", "2", "3")]
    for i in range(1, width):
        spec, values = TRICKY[i % len(TRICKY)]
        fields.append({"name": f"f{i}", **spec})
        cells.append(values)
    lines = [",".join(f["name"] for f in fields)]
    lines += [",".join(f'"{c[r]}"' if "," in c[r] else c[r] for c in cells) for r in range(3)]
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "t.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    descriptor = {"name": "tricky", "resources": [{
        "name": "t", "path": "data/t.csv", "format": "csv",
        "schema": {"fields": fields, "primaryKey": ["k"], "missingValues": [""]}}]}
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return folder / "datapackage.json"


def _built(descriptor: Path, out: Path) -> tuple[list, list, tuple]:
    from semicon.build.pipeline import build_package

    build_package(descriptor, out)
    con = duckdb.connect(str(out / "tricky.duckdb"), read_only=True)
    types = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                        "WHERE table_name = 't' ORDER BY ordinal_position").fetchall()
    rows = con.execute("SELECT CAST(COLUMNS(*) AS VARCHAR) FROM t ORDER BY k").fetchall()
    hashes = con.execute("SELECT row_count, primary_key_hash, content_hash FROM _build "
                         "WHERE table_name = 't'").fetchone()
    return types, rows, hashes


def test_wide_path_types_and_stores_as_the_usual_one(tmp_path, monkeypatch):
    """A 300-column table takes the wide path (typed a kind at a time, SQLite wide as
    usual); with the threshold raised, the usual path: same types, rows and hashes."""
    from semicon.build import column_groups

    descriptor = _tricky_package(tmp_path / "pkg", 300)
    wide = _built(descriptor, tmp_path / "wide")
    monkeypatch.setattr(column_groups, "WIDE_COLUMNS", 1000)
    usual = _built(descriptor, tmp_path / "usual")
    assert wide == usual
    types = dict(wide[0])
    assert [types[f"f{i}"] for i in (10, 1, 2, 3, 4, 5, 6, 7, 8)] == [
        "DECIMAL(38,0)", "BIGINT", "DOUBLE", "TIMESTAMP WITH TIME ZONE", "TIME", "DATE",
        "BOOLEAN", "INTEGER", "VARCHAR"]
    assert wide[1][1][1:4] == ("6", "2.0", "2020-01-02 03:04:05+00")
    assert wide[2][0] == 3
    with sqlite3.connect(tmp_path / "wide" / "tricky.db") as con:
        assert len(con.execute("SELECT * FROM t").fetchall()[0]) == 300


def test_long_search_index_holds_the_searched_columns_cells_only():
    """``search_sql`` on a long table whose key takes the name ``field`` (so the long form's
    columns are renamed): only the named columns' non-empty cells are indexed."""
    from semicon.build.sqlite_long import LongTable, create_sql, search_sql

    form = LongTable("row", ("field",), "position", "_field", "value")
    names = ["field", "city", "note", "count"]
    con = sqlite3.connect(":memory:")
    for stmt in create_sql("t", form, {"field": "TEXT"}):
        con.execute(stmt)
    cells = [(1, "k1", 2, "city", "Delft"), (1, "k1", 3, "note", "Delft harbour"),
             (1, "k1", 4, "count", 7), (2, "k2", 2, "city", None),
             (2, "k2", 3, "note", "city hall")]
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", cells)
    assert search_sql("t", "t_fts", form, names, []) == []
    for stmt in search_sql("t", "t_fts", form, names, ["note", "count"]):
        con.execute(stmt)

    def match(q: str) -> list[tuple]:
        return con.execute("SELECT row, _field, value FROM t WHERE rowid IN (SELECT rowid "
                           "FROM t_fts WHERE t_fts MATCH ?) ORDER BY rowid", [q]).fetchall()

    assert con.execute("SELECT count(*) FROM t_fts_docsize").fetchone() == (3,)  # cells indexed
    assert match("delft") == [(1, "note", "Delft harbour")]  # city is not searched
    assert match("7") == [(1, "count", 7)]
    assert match("city") == [(2, "note", "city hall")]  # a value; no field named city
    assert match("_field:note hall") == [(2, "note", "city hall")]
