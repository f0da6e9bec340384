"""`semicon diff` on hand-made pairs of packages."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from semicon.build.pkgdiff import (
    DiffInputError,
    diff_packages,
    next_version,
    version_bump,
)
from semicon.build.pkgdiff_render import render
from semicon.build.release import make_release
from semicon.cli.main import cli


def _descriptor(old: Path) -> dict:
    return json.loads((old / "datapackage.json").read_text())


def _rows(pkg: Path, table: str) -> list[list[str]]:
    import csv

    with (pkg / "data" / f"{table}.csv").open(newline="") as fh:
        return list(csv.reader(fh))[1:]


@pytest.fixture
def old(make_pkg) -> Path:
    return make_pkg("old")


def test_identical(old: Path, make_pkg) -> None:
    new = make_pkg("same")
    d = diff_packages(old, new)
    assert d.bump == "none"
    assert not d.changed
    assert d.version_bump == "none"
    assert d.version_ok is True
    assert all(not t.has_changes for t in d.tables)


def test_rows_added(old: Path, make_pkg) -> None:
    desc = _descriptor(old)
    desc["version"] = "1.1.0"
    rows = [*_rows(old, "companies"), ["4", "Besi", "1995-01-01", "2000", "true", "600.5"]]
    new = make_pkg("new", descriptor=desc, tables={"companies": rows})
    d = diff_packages(old, new)
    (t,) = [t for t in d.tables if t.name == "companies"]
    assert t.added == [
        {
            "id": "4",
            "name": "Besi",
            "founded": "1995-01-01",
            "employees": "2000",
            "listed": "true",
            "revenue": "600.5",
        }
    ]
    assert t.removed == [] and t.changed == [] and t.schema == []
    assert d.bump == "minor"
    assert d.version_bump == "minor" and d.version_ok is True
    assert d.bump_reasons == ["rows added to companies"]


def test_rows_removed_and_changed(old: Path, make_pkg) -> None:
    rows = _rows(old, "companies")
    rows[0][3] = "43000"  # employees of id 1
    rows[0][5] = ""  # revenue of id 1
    del rows[1]  # id 2
    new = make_pkg("new", tables={"companies": rows})
    d = diff_packages(old, new)
    (t,) = [t for t in d.tables if t.name == "companies"]
    assert [r["id"] for r in t.removed] == ["2"]
    assert len(t.changed) == 1
    change = t.changed[0]
    assert change.key == {"id": "1"}
    assert [(c.field, c.old, c.new) for c in change.changes] == [
        ("employees", "42000", "43000"),
        ("revenue", "28262.9", ""),
    ]
    assert d.bump == "patch"
    assert d.version_bump == "none" and d.version_ok is False
    assert d.suggested_version == "1.0.1"


def test_reordered_rows_are_not_changes(old: Path, make_pkg) -> None:
    rows = list(reversed(_rows(old, "companies")))
    assert diff_packages(old, make_pkg("new", tables={"companies": rows})).bump == "none"


def test_schema_change(old: Path, make_pkg) -> None:
    desc = _descriptor(old)
    desc["version"] = "2.0.0"
    fields = desc["resources"][0]["schema"]["fields"]
    fields[3]["type"] = "number"  # employees
    fields[3]["constraints"] = {"minimum": 1}
    fields.append({"name": "country", "type": "string"})
    fields[1]["description"] = "Trade name"  # metadata only
    desc["resources"][1]["schema"]["primaryKey"] = ["site_id", "city"]
    rows = [[*r, "NL"] for r in _rows(old, "companies")]
    new = make_pkg("new", descriptor=desc, tables={"companies": rows})
    d = diff_packages(old, new)
    companies, sites = d.tables
    kinds = [(s.kind, s.field, s.old, s.new) for s in companies.schema]
    assert ("type-changed", "employees", "integer", "number") in kinds
    assert ("constraint-changed", "employees", 0, 1) in kinds
    assert [s.kind for s in companies.schema if s.field == "country"] == ["field-added"]
    assert [(c.path, c.old, c.new) for c in companies.metadata] == [
        ("fields.name.description", None, "Trade name")
    ]
    assert companies.changed == []  # the new column is not a row change
    assert [(s.kind, s.old, s.new) for s in sites.schema] == [
        ("primaryKey-changed", ["site_id"], ["site_id", "city"])
    ]
    assert d.bump == "major" and d.version_ok is True


def test_field_removed_and_table_removed(old: Path, make_pkg) -> None:
    desc = _descriptor(old)
    desc["resources"] = desc["resources"][:1]
    del desc["resources"][0]["schema"]["fields"][5]
    rows = [r[:5] for r in _rows(old, "companies")]
    d = diff_packages(old, make_pkg("new", descriptor=desc, tables={"companies": rows}))
    assert [t.name for t in d.tables_removed] == ["sites"]
    assert [(s.kind, s.field) for s in d.tables[0].schema] == [("field-removed", "revenue")]
    assert d.bump == "major"
    assert d.suggested_version == "2.0.0"


def test_table_added(old: Path, make_pkg) -> None:
    desc = _descriptor(old)
    res = copy.deepcopy(desc["resources"][1])
    res.update(name="fabs", path="data/fabs.csv")
    res["schema"].pop("foreignKeys")
    desc["resources"].append(res)
    desc["version"] = "1.1.0"
    new = make_pkg("new", descriptor=desc, tables={"fabs": [["x", "1", "Delft"]]})
    d = diff_packages(old, new)
    assert [(t.name, t.rows, t.fields) for t in d.tables_added] == [
        ("fabs", 1, ["site_id", "company_id", "city"])
    ]
    assert d.bump == "minor" and d.version_ok is True


def test_metadata_only(old: Path, make_pkg) -> None:
    desc = _descriptor(old)
    desc["description"] = "A better description."
    desc["resources"][0]["title"] = "Semiconductor companies"
    desc["resources"][0]["bytes"] = 1  # bytes and hash never count
    desc["resources"][0]["hash"] = "sha256:00"
    desc["version"] = "1.0.1"
    desc["created"] = "2025-07-01T00:00:00Z"
    d = diff_packages(old, make_pkg("new", descriptor=desc))
    assert [(c.path, c.new) for c in d.metadata] == [("description", "A better description.")]
    assert [(c.path, c.new) for c in d.tables[0].metadata] == [("title", "Semiconductor companies")]
    assert [c.path for c in d.release] == ["version", "created"]
    assert d.bump == "patch" and d.version_bump == "patch" and d.version_ok is True


def test_letter_change_is_a_patch(old: Path, make_pkg) -> None:
    desc = _descriptor(old)
    desc["resources"].append(
        {"name": "letter", "type": "file", "path": "sources/letter.txt", "format": "txt"}
    )
    a = make_pkg("a", descriptor=desc)
    b = make_pkg("b", descriptor=desc, letter="Another letter\n")
    d = diff_packages(a, b)
    assert [c.path for c in d.files] == ["letter.content"]
    assert d.bump == "patch" and d.bump_reasons == ["files changed"]
    desc_c = copy.deepcopy(desc)
    desc_c["resources"][-1]["hash"] = "sha256:ff"  # hash and bytes never count
    desc_c["resources"][-1]["title"] = "The letter"
    d = diff_packages(a, make_pkg("c", descriptor=desc_c))
    assert [c.path for c in d.files] == ["letter.title"] and d.bump == "patch"


def test_zip_vs_folder(old: Path, tmp_path: Path, builder, make_pkg) -> None:
    zip_path = make_release(
        old, tmp_path / "out", build_dir=tmp_path / "dist", builder=builder
    ).zip_path
    d = diff_packages(zip_path, old)
    assert d.bump == "none", render(d)
    assert d.notes == []  # the folder has the letter at the path the zip lists
    (old / "sources" / "letter.txt").write_text("Edited letter\n", encoding="utf-8")
    d = diff_packages(zip_path, old)
    assert [c.path for c in d.files] == ["letter.content"] and d.bump == "patch"
    (old / "sources" / "letter.txt").unlink()
    d = diff_packages(zip_path, old)
    assert d.notes == ["files listed only in OLD (not compared): letter"]
    assert d.bump == "none"
    rows = [*_rows(old, "sites"), ["d", "1", "Delft"]]
    desc = _descriptor(old)
    desc["version"] = "1.1.0"
    new = make_pkg("new", descriptor=desc, tables={"sites": rows})
    new_zip = make_release(
        new, tmp_path / "out2", build_dir=tmp_path / "dist2", builder=builder
    ).zip_path
    d = diff_packages(zip_path, new_zip)
    assert d.bump == "minor" and d.version_ok is True
    assert [len(t.added) for t in d.tables] == [0, 1]
    assert d.notes == []  # parquet/duckdb/sqlite are derived; the letter is unchanged
    d = diff_packages(old / "datapackage.json", new_zip)
    assert d.bump == "minor"


def test_no_primary_key(old: Path, make_pkg) -> None:
    desc = _descriptor(old)
    del desc["resources"][1]["schema"]["primaryKey"]
    a = make_pkg("a", descriptor=desc)
    rows = _rows(old, "sites")
    rows[0][2] = "Veldhoven-Zuid"
    rows.append(rows[1])  # a duplicate row is an added row
    d = diff_packages(a, make_pkg("b", descriptor=desc, tables={"sites": rows}))
    sites = d.tables[1]
    assert sites.key == []
    assert [r["city"] for r in sites.added] == ["Veldhoven-Zuid", "Eindhoven"]
    assert [r["city"] for r in sites.removed] == ["Veldhoven"]


def test_duplicate_keys_warn(old: Path, make_pkg) -> None:
    rows = _rows(old, "companies")
    rows.append(list(rows[0]))
    d = diff_packages(old, make_pkg("new", tables={"companies": rows}))
    assert d.tables[0].warnings == ["1 duplicate primary key(s): the last row of each was used"]


def test_versions() -> None:
    assert version_bump("1.0.0", "1.0.0") == "none"
    assert version_bump("1.0.0", "1.0.1") == "patch"
    assert version_bump("1.0.9", "1.1.0") == "minor"
    assert version_bump("1.4.0", "2.0.0") == "major"
    assert version_bump("1.4.0", "1.3.9") == "downgrade"
    assert version_bump("1.0", "1.0.1") is None
    assert next_version("1.2.3", "minor") == "1.3.0"
    assert next_version("v1.2.3", "major") == "2.0.0"


@pytest.mark.parametrize(
    "make_bad",
    [
        lambda p: p / "missing",
        lambda p: (p / "empty").mkdir() or p / "empty",
        lambda p: (p / "x.json").write_text("{not json") and p / "x.json",
        lambda p: (p / "y.json").write_text('{"name": "y"}') and p / "y.json",
        lambda p: (p / "z.zip").write_bytes(b"PK\x03\x04 broken") and p / "z.zip",
    ],
    ids=["missing", "empty-folder", "bad-json", "no-resources", "bad-zip"],
)
def test_unusable_input_exit_2(old: Path, tmp_path: Path, make_bad) -> None:
    bad = make_bad(tmp_path)
    with pytest.raises(DiffInputError):
        diff_packages(old, bad)
    result = CliRunner().invoke(cli, ["diff", str(old), str(bad)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: ")
    assert "Traceback" not in result.output


def test_missing_csv_exit_2(old: Path, make_pkg) -> None:
    new = make_pkg("new")
    (new / "data" / "sites.csv").unlink()
    result = CliRunner().invoke(cli, ["diff", str(old), str(new)])
    assert result.exit_code == 2
    assert result.output == 'Error: File "data/sites.csv" of resource "sites" does not exist\n'


def test_cli_text_exact(tmp_path: Path, make_pkg, monkeypatch) -> None:
    old = make_pkg("old")
    desc = _descriptor(old)
    desc["version"] = "1.1.0"
    desc["title"] = "Demo data, revised"
    rows = _rows(old, "companies")
    rows[1][3] = "35000"
    del rows[2]
    rows.append(["4", "Besi", "1995-01-01", "2000", "true", "600.5"])
    make_pkg("new", descriptor=desc, tables={"companies": rows})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["diff", "old", "new"])
    assert result.exit_code == 0
    assert result.output == (
        "Comparing old (demo-nl 1.0.0) -> new (demo-nl 1.1.0)\n"
        "\n"
        "Table companies: 3 -> 3 rows (+1 added, -1 removed, ~1 changed)\n"
        "  + id=4: name=Besi, founded=1995-01-01, employees=2000, listed=true, revenue=600.5\n"
        '  - id=3: name="Nexperia, B.V.", founded=2017-02-06, employees=12500, listed=false, '
        'revenue=""\n'
        "  ~ id=2: employees 34500 -> 35000\n"
        "Unchanged tables: sites\n"
        "Package metadata:\n"
        '  title: "Demo semiconductor data" -> "Demo data, revised"\n'
        "\n"
        "Version: 1.0.0 -> 1.1.0 (minor bump)\n"
        "Required bump: minor (rows added to companies; rows changed in companies; "
        "rows removed from companies; package metadata changed)\n"
        "NEW's version reflects it.\n"
    )


def test_cli_identical_exact(tmp_path: Path, make_pkg, monkeypatch) -> None:
    make_pkg("a")
    make_pkg("b")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["diff", "a", "b/datapackage.json"])
    assert result.exit_code == 0
    assert result.output == (
        "Comparing a (demo-nl 1.0.0) -> b/datapackage.json (demo-nl 1.0.0)\n"
        "\n"
        "No changes.\n"
        "Unchanged tables: companies, sites\n"
        "\n"
        "Version: 1.0.0 -> 1.0.0 (unchanged)\n"
        "Required bump: none\n"
        "NEW's version reflects it.\n"
    )


def test_cli_json_and_markdown(old: Path, make_pkg) -> None:
    rows = [*_rows(old, "sites"), ["d", "1", "Delft | Zuid"]]
    new = make_pkg("new", tables={"sites": rows})
    result = CliRunner().invoke(cli, ["diff", str(old), str(new), "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["bump"] == {
        "required": "minor",
        "reasons": ["rows added to sites"],
        "actual": "none",
        "version_ok": False,
        "suggested_version": "1.1.0",
    }
    assert data["tables"][1]["rows_added"] == [
        {"site_id": "d", "company_id": "1", "city": "Delft | Zuid"}
    ]
    result = CliRunner().invoke(cli, ["diff", str(old), str(new), "--format", "markdown"])
    assert result.exit_code == 0
    md = result.output
    assert md.startswith("# demo-nl 1.0.0\n")
    assert "Version bump needed: **minor** (rows added to sites)." in md
    assert "| `sites` | 3 | 4 | 1 | 0 | 0 | 0 |" in md
    assert "| `d` | `1` | `Delft \\| Zuid` |" in md


def test_max_rows(old: Path, make_pkg) -> None:
    rows = [*_rows(old, "sites")] + [[f"s{i}", "1", "Delft"] for i in range(5)]
    new = make_pkg("new", tables={"sites": rows})
    result = CliRunner().invoke(cli, ["diff", str(old), str(new), "--max-rows", "2"])
    assert result.output.count("  + ") == 3
    assert "  + ... and 3 more\n" in result.output
