"""Packages given as a zip, a bare CSV or without schemas; file resources never read as tables."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from semicon.cli.main import cli
from semicon.schemas.model import DescriptorError, load_package
from semicon.schemas.validation import validate_package

CSV = "id,name,when\n1,a,2020-01-01\n2,b,2021-02-03\n"
SCHEMA = {"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"},
                     {"name": "when", "type": "date"}], "primaryKey": ["id"]}


def package_folder(root: Path, schema: dict | None = SCHEMA, csv: str = CSV) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "t.csv").write_text(csv)
    (root / "letter.txt").write_text("Not, a; table\n\"unbalanced\n")
    resource = {"name": "t", "path": "t.csv"}
    if schema is not None:
        resource["schema"] = schema
    descriptor = {"name": "p", "resources": [
        resource, {"name": "letter", "path": "letter.txt", "type": "file",
                   "bytes": (root / "letter.txt").stat().st_size}]}
    (root / "datapackage.json").write_text(json.dumps(descriptor))
    return root


def zip_folder(folder: Path, target: Path, prefix: str) -> Path:
    with zipfile.ZipFile(target, "w") as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, prefix + f.name)
    return target


def codes(report) -> list[tuple[str, str]]:
    return [(f.code, f.severity) for f in report.findings]


def test_a_file_resource_is_never_read_as_a_table(tmp_path: Path):
    report = validate_package(package_folder(tmp_path / "p"))
    assert report.valid and codes(report) == []


def test_a_file_resource_with_a_wrong_byte_count_is_reported(tmp_path: Path):
    folder = package_folder(tmp_path / "p")
    (folder / "letter.txt").write_text("changed")
    report = validate_package(folder)
    assert codes(report) == [("byte-count", "error")]
    assert report.findings[0].resource == "letter"


@pytest.mark.parametrize("prefix", ["", "release-1.0/"])
def test_a_zipped_package_is_read_at_its_root_or_in_one_folder(tmp_path: Path, prefix: str):
    zipped = zip_folder(package_folder(tmp_path / "p"), tmp_path / "p.zip", prefix)
    package = load_package(zipped)
    assert package.kind == "zip" and [r.name for r in package.tables] == ["t"]
    report = validate_package(zipped)
    assert report.valid and report.stats["rows"] == {"t": 2}


def test_a_zip_without_a_package_or_with_an_unsafe_member_is_refused(tmp_path: Path):
    empty = tmp_path / "e.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("a/b/datapackage.json", "{}")
    with pytest.raises(DescriptorError, match=r"holds no datapackage\.json at its root"):
        load_package(empty)
    evil = tmp_path / "x.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("datapackage.json", json.dumps({"resources": [{"path": "a.csv"}]}))
        zf.writestr("../a.csv", "id\n1\n")
    with pytest.raises(DescriptorError, match=r'unsafe member "\.\./a\.csv"'):
        load_package(evil)


def test_a_bare_csv_gets_the_schema_frictionless_infers_and_a_warning(tmp_path: Path):
    path = tmp_path / "My Data.csv"
    path.write_text("id;name;when\n1;a;2020-01-01\n2;b;2021-02-03\n")
    package = load_package(path)
    [t] = package.tables
    assert package.kind == "csv" and package.name == "my-data"
    assert t.dialect.delimiter == ";"
    assert [(f.name, f.type) for f in t.fields] == [
        ("id", "integer"), ("name", "string"), ("when", "date")]
    report = validate_package(path)
    assert report.valid and codes(report) == [("inferred-schema", "warning")]


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.zip", ".tsv.gz"])
def test_a_compressed_bare_csv_is_read_as_a_table(tmp_path: Path, suffix: str):
    """``table.csv.gz`` is a compressed table, not a descriptor that is not JSON."""
    sep = "\t" if suffix.startswith(".tsv") else ","
    text = f"id{sep}when\n1{sep}2020-01-01\n2{sep}not a date\n1{sep}2021-02-03\n"
    path = tmp_path / f"Sales.2024{suffix}"
    if suffix.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("sales.csv", text)
    package = load_package(path)
    [t] = package.tables
    assert package.kind == "csv" and package.name == "sales.2024"
    assert t.compression == suffix.rsplit(".", 1)[1]
    report = validate_package(path)
    # frictionless infers text for a column with a non-date in its first rows
    assert codes(report) == [("inferred-schema", "warning")]
    assert [f.type for f in t.fields] == ["integer", "string"]
    assert report.stats["rows"] == {"sales.2024": 3}


def test_a_table_without_a_schema_is_checked_against_the_inferred_one(tmp_path: Path):
    csv = "id,when\n" + "".join(f"{i},2020-01-0{i % 9 + 1}\n" for i in range(1, 150))
    csv += "150,not a date\n"  # past the rows frictionless infers from
    folder = package_folder(tmp_path / "p", schema=None, csv=csv)
    report = validate_package(folder)
    assert codes(report) == [("inferred-schema", "warning"), ("type-error", "error")]
    assert report.findings[1].line == 151
    assert report.exit_code == 1


def test_the_cli_builds_a_bare_csv(tmp_path: Path):
    path = tmp_path / "t.csv"
    path.write_text(CSV)
    result = CliRunner().invoke(cli, ["build", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "t.db").is_file()


def sync_package(root: Path) -> Path:
    """A package whose Table Schema lives in ``root/schemas``, beside a source document."""
    (root / "pkg" / "data").mkdir(parents=True)
    (root / "schemas").mkdir()
    (root / "pkg" / "data" / "t.csv").write_text(CSV)
    (root / "pkg" / "doc.txt").write_text("The source.\n")
    (root / "schemas" / "t.schema.json").write_text(json.dumps(
        {"title": "T", "description": "A table.", **SCHEMA}))
    (root / "pkg" / "datapackage.json").write_text(json.dumps({
        "name": "p", "title": "Mine", "semicon": {"rules": []},
        "resources": [{"name": "t", "path": "data/t.csv", "dialect": {"delimiter": ","}},
                      {"name": "doc", "path": "doc.txt", "type": "file"}]}))
    return root / "pkg"


def test_sync_uses_the_schemas_beside_the_package_and_keeps_everything_else(tmp_path: Path):
    folder = sync_package(tmp_path)
    result = CliRunner().invoke(cli, ["sync", str(folder)])
    assert result.exit_code == 0, result.output
    assert result.output == f"{folder} updated\n"
    descriptor = json.loads((folder / "datapackage.json").read_text())
    assert descriptor["title"] == "Mine" and descriptor["semicon"] == {"rules": []}
    t, doc = descriptor["resources"]
    assert (t["title"], t["description"], t["schema"]) == ("T", "A table.", SCHEMA)
    assert t["dialect"] == {"delimiter": ","} and t["bytes"] == len(CSV)
    assert doc == {"name": "doc", "path": "doc.txt", "type": "file", "bytes": 12,
                   "hash": doc["hash"]}
    assert validate_package(folder).valid
    again = CliRunner().invoke(cli, ["sync", "--check", str(folder)])
    assert again.output == f"{folder} is up to date\n"


def test_sync_takes_a_schema_folder_given_and_names_a_missing_one(tmp_path: Path):
    folder = sync_package(tmp_path)
    elsewhere = tmp_path / "other"
    (tmp_path / "schemas").rename(elsewhere)
    result = CliRunner().invoke(cli, ["sync", str(folder), "--schemas", str(elsewhere)])
    assert result.exit_code == 0, result.output
    assert json.loads((folder / "datapackage.json").read_text())["resources"][0]["title"] == "T"
    result = CliRunner().invoke(cli, ["sync", str(folder), "--schemas", str(tmp_path / "no")])
    assert result.exit_code == 2
    assert result.output == f'Error: Table Schema folder "{tmp_path / "no"}" does not exist\n'


def test_a_byte_count_finding_names_the_fix(tmp_path: Path):
    folder = package_folder(tmp_path / "p")
    (folder / "letter.txt").write_text("changed")
    [finding] = validate_package(folder).findings
    assert finding.message.endswith(
        "(if the file was changed on purpose, run `semicon sync` to update the descriptor)")


def test_diff_reports_a_csv_header_that_differs_from_its_schema(tmp_path: Path):
    old = package_folder(tmp_path / "old")
    new = package_folder(tmp_path / "new", csv=CSV.replace("name", "label", 1))
    result = CliRunner().invoke(cli, ["diff", str(old), str(new)])
    assert result.exit_code == 0, result.output
    assert "No changes." not in result.output
    assert ('schema: CSV header differs from the Table Schema: ["id", "name", "when"] -> '
            '["id", "label", "when"]') in result.output
