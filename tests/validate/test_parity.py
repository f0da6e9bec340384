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


def _one_column_package(tmp_path, field: dict, cells: list[str], **schema):
    import csv
    import json

    with (tmp_path / "d.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows([[field["name"]], *([c] for c in cells)])
    (tmp_path / "datapackage.json").write_text(json.dumps({"resources": [
        {"name": "d", "path": "d.csv", "schema": {"fields": [field], **schema}}]}))
    return tmp_path / "datapackage.json"


def test_dates_at_the_ends_of_the_calendar_as_frictionless_reads_them(tmp_path):
    """Year 0 (which DuckDB reads as 1 BC), years of more than four digits, a 29 February,
    written in full and short: read as strptime('%Y-%m-%d') reads them."""
    cells = [f"{year}-{month}-{day}"
             for year in ("0000", "0001", "0999", "1999", "2000", "2100", "9999", "10000",
                          "+2020", "-2020", "02020", "020")
             for month, day in (("01", "01"), ("1", "1"), ("02", "29"), ("2", "29"),
                                ("12", "31"), ("13", "01"), ("01", "00"))]
    descriptor = _one_column_package(tmp_path, {"name": "d", "type": "date"}, cells)
    expected = theirs(descriptor)
    assert {line for line, _, _ in expected} >= {2, 3}  # year 0 is not a date
    assert len(cells) - len(expected) >= 15  # the dates of years 1 to 9999
    assert ours(validate_package(descriptor)) == expected


def test_max_length_counts_characters_not_bytes(tmp_path):
    """maxLength 3: three characters of two bytes each fit, four do not."""
    cells = ["abc", "abcd", "ééé", "éééé", "€€€", "€€€€", "a", "😀😀😀", "😀😀😀😀"]
    descriptor = _one_column_package(
        tmp_path, {"name": "d", "type": "string", "constraints": {"maxLength": 3}}, cells)
    expected = theirs(descriptor)
    assert {line for line, _, _ in expected} == {3, 5, 7, 10}
    assert ours(validate_package(descriptor)) == expected


def test_numbers_written_differently_repeat_a_key_as_in_frictionless(tmp_path):
    """-0 is 0 and 1e0 is 1.0 (Decimal's equality): repeats of the primary key."""
    cells = ["-1", "0", "-0", "1.0", "1e0", "2", "+2", "0.50", ".5"]
    descriptor = _one_column_package(tmp_path, {"name": "d", "type": "number"}, cells,
                                     primaryKey=["d"])
    expected = theirs(descriptor)
    assert {line for line, _, _ in expected} == {4, 6, 8, 10}
    assert ours(validate_package(descriptor)) == expected


@pytest.mark.parametrize("required", [True, False], ids=["required", "optional"])
@pytest.mark.parametrize("ftype", ["string", "integer"])
def test_a_missing_primary_key_as_in_frictionless(tmp_path, required, ftype):
    """The row is flagged at load time by its `required` check or by a term of its own
    (sqlchecks.bad_terms): either way its primary key check finds it."""
    import json

    (tmp_path / "d.csv").write_text("d,n\n1,a\n,b\n2,c\n,d\n3,e\n", encoding="utf-8")
    fields = [{"name": "d", "type": ftype, "constraints": {"required": required}},
              {"name": "n", "type": "string"}]
    (tmp_path / "datapackage.json").write_text(json.dumps({"resources": [
        {"name": "d", "path": "d.csv", "schema": {"fields": fields, "primaryKey": ["d"]}}]}))
    descriptor = tmp_path / "datapackage.json"
    expected = theirs(descriptor)
    assert {line for line, _, code in expected if code == "primary-key"} == {3, 5}
    assert ours(validate_package(descriptor)) == expected


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


def test_an_empty_list_cell_as_frictionless_reads_it(tmp_path):
    """'' in a list of text items is one empty item where '' is not a missing value (no
    type error; its length is 1), and a missing cell where it is; a list of integers
    cannot read it."""
    rows = ["", "a,,b", ",", "NA", "x"]
    for mv, item in ((["NA"], {}), ([""], {}), (["NA"], {"itemType": "integer"})):
        field = {"name": "v", "type": "list", **item,
                 "constraints": {"required": True, "maxLength": 1}}
        folder = tmp_path / f"{mv[0] or 'empty'}-{item.get('itemType', 'string')}"
        folder.mkdir()
        descriptor = _one_column_package(folder, field, rows, missingValues=mv)
        mine = ours(validate_package(descriptor))
        assert mine == theirs(descriptor) and mine


def test_a_column_the_schema_does_not_declare_is_blank_as_in_frictionless(tmp_path):
    """frictionless gives an extra label a field of its own with the default missing value
    "": a row missing but for "" under it is blank, one with NA there is not."""
    import json

    (tmp_path / "t.csv").write_text("f0,extra\nNA,\nNA,x\nNA,NA\nabc,\n", encoding="utf-8")
    (tmp_path / "datapackage.json").write_text(json.dumps({"resources": [
        {"name": "t", "path": "t.csv", "schema": {
            "fields": [{"name": "f0", "type": "string", "constraints": {"required": True}}],
            "missingValues": ["NA"]}}]}))
    descriptor = tmp_path / "datapackage.json"
    mine = {f for f in ours(validate_package(descriptor)) if f[0] != 1}  # rows, not labels
    assert mine == {f for f in theirs(descriptor) if f[0] is not None}
    assert {(line, code) for line, _, code in mine} == {
        (2, "blank-row"), (3, "constraint-error"), (4, "constraint-error")}


@pytest.mark.parametrize(("ftype", "fmt", "good"), [
    ("date", "%d/%m/%Y", "02/01/2020"), ("datetime", "%d/%m/%Y %H:%M", "02/01/2020 10:30"),
    ("time", "%H.%M", "10.30"), ("date", "%B %Y", "January 2020")])
def test_strptime_specials_are_no_dates_as_in_frictionless(tmp_path, ftype, fmt, good):
    """DuckDB's strptime reads infinity, -infinity and epoch whatever the format; Python's
    does not: they are type errors, and the good cell is none."""
    cells = [good, "Infinity", " -infinity ", "EPOCH", "\tepoch", "+infinity", "inf"]
    descriptor = _one_column_package(tmp_path, {"name": "v", "type": ftype, "format": fmt},
                                     cells)
    mine = ours(validate_package(descriptor))
    assert mine == theirs(descriptor)
    assert sorted(line for line, _, code in mine if code == "type-error") == [3, 4, 5, 6, 7, 8]


def test_duckdb_strptime_reads_special_texts_whatever_the_format():
    """The DuckDB 2.0 quirk sqlchecks._strptime works around: if this starts failing,
    DuckDB fixed it and the guard may go."""
    import duckdb

    con = duckdb.connect()
    for text in ("infinity", "-infinity", "epoch", " Infinity\t"):
        value = con.execute("SELECT try_strptime(?, '%d/%m/%Y')", [text]).fetchall()[0][0]
        assert value is not None and (value.year, value.month, value.day) == (1900, 1, 1)


@pytest.mark.parametrize("field", [{"type": "number"}, {"type": "number", "decimalChar": ","},
                                   {"type": "geopoint"}], ids=lambda f: "-".join(f.values()))
def test_a_sign_after_a_plus_is_no_number_as_in_frictionless(tmp_path, field):
    """DuckDB's DOUBLE cast reads `+-1` (and `+-inf`); Python's Decimal does not."""
    cells = (["1,5", "+-1,5", "-1,5"] if field.get("decimalChar") else
             ["4.9,52.3", "+-4.9,52.3", "4.9,+-52.3"] if field["type"] == "geopoint" else
             ["1.5", "+-1", "+-inf", "-+1", "+1"])
    descriptor = _one_column_package(tmp_path, {"name": "v", **field}, cells)
    mine = ours(validate_package(descriptor))
    assert mine == theirs(descriptor)
    assert sorted(line for line, _, code in mine if code == "type-error") == (
        [3, 4] if field["type"] == "geopoint" else [3] if field.get("decimalChar") else [3, 4, 5])


def test_durations_written_differently_repeat_a_key_as_in_frictionless(tmp_path):
    """frictionless tells durations apart by isodate's hash: `P1Y` = `+P1Y` = `P1Y0M`,
    `P1D` = `PT24H` = `P0W1D`, but `P1Y` and `P12M` differ; a foreign key finds `+P1Y`
    among `P1Y`, not `P12M`."""
    import json

    (tmp_path / "d.csv").write_text(
        "v,ref\nP1Y,P12M\n+P1Y0M,+P1Y\nP1D,PT24H\nPT24H,P2D\nP0W1D,-P1D\n-PT24H,-P1D\n"
        "P12M,P1.5D\n",
        encoding="utf-8")
    (tmp_path / "datapackage.json").write_text(json.dumps({"resources": [
        {"name": "d", "path": "d.csv", "schema": {
            "fields": [{"name": "v", "type": "duration", "constraints": {"unique": True}},
                       {"name": "ref", "type": "duration"}],
            "foreignKeys": [{"fields": ["ref"], "reference": {"resource": "",
                                                              "fields": ["v"]}}]}}]}))
    descriptor = tmp_path / "datapackage.json"
    mine = ours(validate_package(descriptor))
    assert mine == theirs(descriptor)
    assert sorted((line, code) for line, _, code in mine) == [
        (3, "unique-error"), (5, "foreign-key"), (5, "unique-error"), (6, "unique-error"),
        (8, "foreign-key")]


def test_a_list_item_beyond_128_bits_is_an_integer_as_in_frictionless(tmp_path):
    """Python's int() has no size: an item of 40 digits is valid (with no typed value, as a
    single integer beyond 128 bits), a letter is not."""
    huge = "9" * 40
    field = {"name": "v", "type": "list", "itemType": "integer"}
    descriptor = _one_column_package(tmp_path, field, [f"{huge},1", "1,2", f"{huge},x"])
    mine = ours(validate_package(descriptor))
    assert mine == theirs(descriptor) == {(4, "v", "type-error")}
