"""Findings match ``frictionless validate`` on the same synthetic invalid package."""

from __future__ import annotations

import frictionless
import pytest
from semicon.schemas.validation import validate_package

from benchmarks.synthetic import BAD_KINDS, write_package

FRICTIONLESS_CODES = {
    "type-error", "constraint-error", "unique-error", "primary-key", "foreign-key",
    "missing-cell", "extra-cell", "blank-row", "blank-label", "duplicate-label",
    "incorrect-label", "missing-label", "extra-label", "hash-count", "byte-count",
}
#: frictionless names no field for these row errors
ROW_LEVEL = {"primary-key", "foreign-key", "extra-cell", "blank-row"}


def ours(report):
    return {
        (f.line, "" if f.code in ROW_LEVEL else (f.field or ""), f.code)
        for f in report.findings
        if f.code in FRICTIONLESS_CODES
    }


def theirs(descriptor):
    report = frictionless.validate(str(descriptor), limit_errors=10**9)
    return {(row, field or "", code)
            for row, field, code in report.flatten(["rowNumber", "fieldName", "type"])}


@pytest.mark.parametrize("rows,bad_every", [(2000, 40), (300, 7)])
def test_same_findings_as_frictionless(tmp_path, rows, bad_every):
    descriptor = write_package(tmp_path, rows, bad_every=bad_every)
    report = validate_package(descriptor)
    expected = theirs(descriptor)
    assert ours(report) == expected
    # every injected kind is found, those frictionless misses under our own codes
    found = {f.code for f in report.findings}
    for _kind, code, _field in BAD_KINDS:
        if code:
            assert code in found
    assert {"range-order", "formula-injection"} <= found


def test_same_findings_on_the_careful_parser_path(tmp_path):
    """Blank lines and quoted cells force the Python csv path; rows still match."""
    descriptor = write_package(tmp_path, 200, bad_every=9, with_hash=False)
    csv_path = tmp_path / "data" / "allocations.csv"
    lines = csv_path.read_text().splitlines(keepends=True)
    lines.insert(50, "\n")
    lines.insert(90, ",,,,,,,,,\n")
    csv_path.write_text("".join(lines))
    report = validate_package(descriptor)
    assert ours(report) == theirs(descriptor)
    assert sum(f.code == "blank-row" for f in report.findings) == 2


def test_valid_synthetic_package(tmp_path):
    descriptor = write_package(tmp_path, 1000)
    report = validate_package(descriptor)
    assert report.findings == []
    assert theirs(descriptor) == set()


def test_line_numbers_on_a_file_of_many_chunks(tmp_path):
    """Each injected error is reported on the line it was written to (100,000 rows)."""
    rows, bad_every = 100_000, 1000
    descriptor = write_package(tmp_path, rows, bad_every=bad_every, with_hash=False)
    own = {"range-order": "range-order", "formula": "formula-injection"}
    expected = set()
    for kind, i in enumerate(range(bad_every - 1, rows, bad_every)):
        name, code, field = BAD_KINDS[kind % len(BAD_KINDS)]
        code = code or own[name]
        if code == "primary-key":
            field = "allocation_id"
        elif code == "foreign-key":
            field = "source_id"
        elif code == "extra-cell":
            field = None
        expected.add((i + 2, code, field))
    report = validate_package(descriptor)
    assert {(f.line, f.code, f.field) for f in report.findings} == expected


def test_dates_ending_in_any_character_as_frictionless_reads_them(tmp_path):
    """A date cell ending in each ASCII character (but line breaks, which make a record of
    two lines and so other line numbers), after a short and a padded date: the same type
    errors as frictionless (DuckDB's cast skips trailing whitespace, strptime does not)."""
    import csv
    import json

    cells = [f"{start}{chr(b)}" for start in ("2020-1-1", "2020-01-0", "2020-11-")
             for b in range(1, 128) if chr(b) not in "\r\n"]
    with (tmp_path / "d.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows([["d"], *([c] for c in cells)])
    (tmp_path / "datapackage.json").write_text(json.dumps({"resources": [
        {"name": "d", "path": "d.csv", "schema": {"fields": [{"name": "d", "type": "date"}]}}
    ]}))
    descriptor = tmp_path / "datapackage.json"
    expected = theirs(descriptor)
    assert 300 < len(expected) < len(cells) - 20  # most endings fail, digits do not
    assert ours(validate_package(descriptor)) == expected
