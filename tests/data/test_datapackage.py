"""The bundled data package: valid, in step with the schemas, true to the letter."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from frictionless import Package
from semicon.cli.main import cli
from semicon.schemas.package import sync_descriptor
from semicon.schemas.registry import load_table_schema, table_names

from tests.conftest import BUNDLED, LETTER

DESCRIPTOR = BUNDLED / "datapackage.json"


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def rows(table: str) -> list[dict[str, str]]:
    with (BUNDLED / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_frictionless_reports_the_package_valid():
    report = Package(str(DESCRIPTOR)).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_descriptor_is_in_step_with_schemas_and_files():
    assert sync_descriptor(DESCRIPTOR, check=True) is False, "run `semicon sync`"


def test_descriptor_has_the_package_metadata():
    descriptor = json.loads(DESCRIPTOR.read_text(encoding="utf-8"))
    for key in ("name", "title", "description", "version", "created", "licenses", "sources",
                "contributors", "keywords"):
        assert descriptor[key], key
    assert descriptor["$schema"].endswith("/2.0/datapackage.json")
    assert (BUNDLED / descriptor["sources"][0]["path"]).is_file()
    assert [r["name"] for r in descriptor["resources"]] == ["sources", *[
        t for t in table_names() if t != "sources"]]
    for resource in descriptor["resources"]:
        schema = load_table_schema(resource["name"])
        assert resource["schema"]["fields"] == schema["fields"]
        assert resource["encoding"] == "utf-8"
        assert resource["hash"].startswith("sha256:")


def test_csv_headers_match_the_schemas():
    for table in table_names():
        with (BUNDLED / "data" / f"{table}.csv").open(encoding="utf-8") as fh:
            header = next(csv.reader(fh))
        assert header == [f["name"] for f in load_table_schema(table)["fields"]], table


def test_every_quote_occurs_verbatim_in_the_letter():
    letter = normalise(LETTER.read_text(encoding="utf-8"))
    missing = [
        (table, line, column)
        for table in table_names()
        for line, row in enumerate(rows(table), start=2)
        for column in ("source_quote", "citation_quote")
        if row.get(column) and normalise(row[column]) not in letter
    ]
    assert missing == []


def test_every_number_in_the_letters_money_sentences_is_in_a_table():
    amounts = {int(r["amount"]) for r in rows("funding_allocations") if r["amount"]}
    assert {2510000000, 1730000000, 778000000, 450000000, 80000000, 80900000, 315000000,
            52000000000, 65000000000, 95000000000} <= amounts
    ranges = {(r["amount_low"], r["amount_high"]) for r in rows("funding_allocations")}
    assert ("150000000000", "250000000000") in ranges


def test_sync_check_fails_on_a_hand_edited_csv(bundled_copy: Path):
    csv_path = bundled_copy.parent / "data" / "regions.csv"
    csv_path.write_text(csv_path.read_text(encoding="utf-8").replace("Twente", "Twent"),
                        encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["sync", "--check", str(bundled_copy)])
    assert result.exit_code == 1
    assert "out of date" in result.output
    result = runner.invoke(cli, ["sync", str(bundled_copy)])
    assert result.exit_code == 0
    assert result.output == f"{bundled_copy} updated\n"
    result = runner.invoke(cli, ["sync", "--check", str(bundled_copy)])
    assert result.output == f"{bundled_copy} is up to date\n"


@pytest.mark.parametrize("arg", ["missing.json"])
def test_sync_on_a_missing_descriptor_exits_2(tmp_path, arg):
    result = CliRunner().invoke(cli, ["sync", str(tmp_path / arg)])
    assert result.exit_code == 2
    assert result.output == f'Error: Descriptor "{tmp_path / arg}" does not exist\n'
