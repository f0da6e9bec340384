"""The bundled package validates clean, and hand-edits that break the letter's logic are caught."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from semicon.schemas.package import sync_descriptor
from semicon.schemas.validation import validate_package

from tests.conftest import BUNDLED


def edit(descriptor: Path, table: str, key: str, column: str, value: str) -> int:
    """Set one cell of a copied package, resync it; return the CSV line edited."""
    path = descriptor.parent / "data" / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    line = next(i for i, row in enumerate(rows, start=2) if key in row.values())
    rows[line - 2][column] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    sync_descriptor(descriptor)
    return line


def findings(descriptor: Path) -> set[tuple]:
    report = validate_package(descriptor)
    return {(f.code, f.resource, f.path, f.line, f.field) for f in report.errors}


def test_the_bundled_package_validates_clean():
    report = validate_package(BUNDLED / "datapackage.json")
    assert [f.to_dict() for f in report.findings] == []
    assert report.exit_code == 0


def test_parts_by_payer_add_up_to_the_beethoven_total(bundled_copy):
    edit(bundled_copy, "funding_allocations", "beethoven-rijk", "amount", "1830000000")
    codes = {(f[0], f[1], f[4]) for f in findings(bundled_copy)}
    assert ("parts-exceed-parent", "funding_allocations", "amount") in codes


def test_earmarked_parts_do_not_exceed_their_parent(bundled_copy):
    edit(bundled_copy, "funding_allocations", "talent-regions-initial-students", "amount",
         "480900000")
    codes = {(f[0], f[1], f[4]) for f in findings(bundled_copy)}
    assert ("parts-exceed-parent", "funding_allocations", "amount") in codes


def test_a_range_has_its_low_end_below_its_high_end(bundled_copy):
    line = edit(bundled_copy, "funding_allocations", "europe-investment-need", "amount_low",
                "350000000000")
    hits = [f for f in findings(bundled_copy) if f[0] == "range-order"]
    assert hits and hits[0][1:4] == ("funding_allocations", "data/funding_allocations.csv", line)


def test_named_coalition_members_do_not_exceed_the_reported_count(bundled_copy):
    edit(bundled_copy, "coalitions", "ipcei-ast", "member_count_reported", "5")
    assert any(f[0] == "coalition-count" and f[1] == "coalitions" for f in findings(bundled_copy))


@pytest.mark.parametrize(
    ("table", "key"),
    [("funding_allocations", "beethoven-total"), ("board_members", "asml"),
     ("events", "semicon-board-established")],
)
def test_a_quote_not_in_the_letter_names_file_line_and_field(bundled_copy, table, key):
    line = edit(bundled_copy, table, key, "source_quote", "Dit staat niet in de brief van 2025.")
    assert ("quote-not-in-source", table, f"data/{table}.csv", line, "source_quote") in findings(
        bundled_copy)


def test_a_wrong_type_names_file_line_and_field(bundled_copy):
    line = edit(bundled_copy, "funding_allocations", "china-big-fund", "amount", "95 miljard")
    assert ("type-error", "funding_allocations", "data/funding_allocations.csv", line,
            "amount") in findings(bundled_copy)


def test_an_unknown_source_is_a_foreign_key_error(bundled_copy):
    line = edit(bundled_copy, "partnerships", "dialogue-japan", "source_id", "unknown-letter")
    assert any(f[0] == "foreign-key" and f[1] == "partnerships" and f[3] == line
               for f in findings(bundled_copy))
