"""Data Package v2 resource forms: inline data, compression, multipart paths, every CSV
dialect property, TSV, JSON, NDJSON and spreadsheets; each valid and invalid."""

from __future__ import annotations

import gzip
import io
import json
import zipfile

import pytest
from semicon.schemas.validation import validate_package

from tests.validate.conftest import write_package

FIELDS = [{"name": "id", "type": "string"}, {"name": "n", "type": "integer"}]


def resource(name: str, **extra) -> dict:
    return {"name": name, "schema": {"fields": FIELDS}, **extra}


def found(report) -> list[tuple]:
    return [(f.resource, f.code, f.line, f.field, f.value) for f in report.findings]


def type_error(res: str, line: int, value: str) -> tuple:
    return (res, "type-error", line, "n", value)


# ------------------------------------------------------------------------- inline data
def test_inline_rows_valid(tmp_path):
    pkg = write_package(tmp_path, [resource("t", data=[["id", "n"], ["a", 1], ["b", "2"]])])
    report = validate_package(pkg)
    assert found(report) == []
    assert report.stats["rows"] == {"t": 2}


def test_inline_rows_invalid(tmp_path):
    data = [["id", "n"], ["a", 1], ["b", "x"], ["c"], ["=cmd", 3, 4]]
    pkg = write_package(tmp_path, [resource("t", data=data)])
    report = validate_package(pkg)
    assert found(report) == [
        type_error("t", 3, "x"),
        ("t", "missing-cell", 4, "n", None),
        ("t", "extra-cell", 5, None, "4"),
        ("t", "formula-injection", 5, "id", "=cmd"),
    ]
    assert report.exit_code == 1


def test_inline_objects_use_the_schema_names(tmp_path):
    data = [{"id": "a", "n": 1}, {"id": "b", "n": "x"}, {"n": 3}]
    schema = {"fields": [{"name": "id", "constraints": {"required": True}},
                         {"name": "n", "type": "integer"}]}
    pkg = write_package(tmp_path, [{"name": "t", "data": data, "schema": schema}])
    assert found(validate_package(pkg)) == [
        type_error("t", 3, "x"),
        ("t", "constraint-error", 4, "id", ""),
    ]


def test_inline_data_that_is_not_rows_is_refused(tmp_path):
    pkg = write_package(tmp_path, [resource("t", data=[["id", "n"], "oops"])])
    report = validate_package(pkg)
    assert [(f.code, f.message) for f in report.findings] == [
        ("resource-error", "Row at line 2 is not an array")]


# ------------------------------------------------------------------- compressed files
CSV = b"id,n\na,1\nb,x\n"


def _zip(payload: bytes, *names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in names:
            zf.writestr(name, payload)
    return buf.getvalue()


@pytest.mark.parametrize(("path", "content", "extra"), [
    ("data/t.csv.gz", gzip.compress(CSV), {}),
    ("data/t.gz", gzip.compress(CSV), {"format": "csv", "compression": "gz"}),
    ("data/t.csv.zip", _zip(CSV, "t.csv"), {}),
    ("data/t.bin", _zip(CSV, "t.csv"), {"format": "csv", "compression": "zip"}),
])
def test_compressed_csv(tmp_path, path, content, extra):
    pkg = write_package(tmp_path, [resource("t", path=path, **extra)], {path: content})
    assert found(validate_package(pkg)) == [type_error("t", 3, "x")]


def test_compressed_file_hash_is_of_the_compressed_bytes(tmp_path):
    import hashlib

    content = gzip.compress(CSV.replace(b"x", b"2"))
    good = resource("t", path="data/t.csv.gz", bytes=len(content),
                    hash="sha256:" + hashlib.sha256(content).hexdigest())
    pkg = write_package(tmp_path, [good], {"data/t.csv.gz": content})
    assert found(validate_package(pkg)) == []


def test_zip_with_several_files_is_refused(tmp_path):
    pkg = write_package(tmp_path, [resource("t", path="data/t.zip", format="csv")],
                        {"data/t.zip": _zip(CSV, "a.csv", "b.csv")})
    report = validate_package(pkg)
    assert [(f.code, f.message) for f in report.findings] == [
        ("resource-error", 'Zipped file "data/t.zip" holds 2 files, not one')]


def test_broken_gzip_is_refused(tmp_path):
    pkg = write_package(tmp_path, [resource("t", path="data/t.csv.gz")],
                        {"data/t.csv.gz": b"not gzip at all"})
    report = validate_package(pkg)
    assert [f.code for f in report.findings] == ["resource-error"]
    assert report.findings[0].message.startswith(
        'File "data/t.csv.gz" cannot be decompressed as "gz"')


# ------------------------------------------------------------------------- multipart
def test_multipart_lines_run_on(tmp_path):
    """Every part repeats the header (left out after the first part, as frictionless does)."""
    pkg = write_package(tmp_path, [resource("t", path=["data/1.csv", "data/2.csv"])],
                        {"data/1.csv": "id,n\na,1", "data/2.csv": "id,n\nb,2\nc,y\n"})
    report = validate_package(pkg)
    assert found(report) == [type_error("t", 4, "y")]
    assert report.findings[0].path == "data/1.csv, data/2.csv"
    assert report.stats["rows"] == {"t": 3}


def test_multipart_missing_part(tmp_path):
    pkg = write_package(tmp_path, [resource("t", path=["data/1.csv", "data/2.csv"])],
                        {"data/1.csv": "id,n\na,1\n"})
    report = validate_package(pkg)
    assert [(f.code, f.message) for f in report.findings] == [
        ("missing-file", 'File "data/2.csv" of resource "t" does not exist')]
    assert report.exit_code == 2


# --------------------------------------------------------------------- CSV dialects
DIALECT_CASES = {
    "delimiter": ({"delimiter": ";"}, "id;n\na;1\nb;x\n", 3),
    "quoteChar": ({"quoteChar": "'"}, "id,n\n'a,b',1\n'c',x\n", 3),
    "doubleQuote": ({"doubleQuote": False, "escapeChar": "\\"},
                    'id,n\n"a\\"b",1\n"c",x\n', 3),
    "escapeChar": ({"escapeChar": "\\", "quoteChar": "'"}, "id,n\n'a\\'b',1\nc,x\n", 3),
    "lineTerminator": ({"lineTerminator": "|"}, "id,n|a,1|b,x|", 3),
    "skipInitialSpace": ({"skipInitialSpace": True}, "id, n\na, 1\nb, x\n", 3),
    "header": ({"header": False}, "a,1\nb,x\n", 2),
    "headerRows": ({"headerRows": [2]}, "ignored,row\nid,n\na,1\nb,x\n", 4),
    "commentRows": ({"commentRows": [2]}, "id,n\nnote,z\na,1\nb,x\n", 4),
    "commentChar": ({"commentChar": "#"}, "# made by hand\nid,n\n#a,z\na,1\nb,x\n", 5),
}


@pytest.mark.parametrize("prop", sorted(DIALECT_CASES))
def test_dialect_property(tmp_path, prop):
    dialect, text, line = DIALECT_CASES[prop]
    pkg = write_package(tmp_path, [resource("t", path="data/t.csv", dialect=dialect)],
                        {"data/t.csv": text})
    report = validate_package(pkg)
    assert found(report) == [type_error("t", line, "x")]


@pytest.mark.parametrize("prop", sorted(DIALECT_CASES))
def test_dialect_property_valid(tmp_path, prop):
    dialect, text, _ = DIALECT_CASES[prop]
    pkg = write_package(tmp_path, [resource("t", path="data/t.csv", dialect=dialect)],
                        {"data/t.csv": text.replace("x", "2")})
    assert found(validate_package(pkg)) == []


def test_header_rows_joined(tmp_path):
    fields = [{"name": "a-id"}, {"name": "a-n", "type": "integer"}]
    res = {"name": "t", "path": "data/t.csv", "schema": {"fields": fields},
           "dialect": {"headerRows": [1, 2], "headerJoin": "-"}}
    pkg = write_package(tmp_path, [res], {"data/t.csv": "a,a\nid,n\nb,x\n"})
    assert found(validate_package(pkg)) == [("t", "type-error", 3, "a-n", "x")]


def test_null_sequence_is_a_missing_value(tmp_path):
    res = resource("t", path="data/t.csv", dialect={"nullSequence": "NA"})
    pkg = write_package(tmp_path, [res], {"data/t.csv": "id,n\na,NA\nb,x\n"})
    assert found(validate_package(pkg)) == [type_error("t", 3, "x")]


def test_case_insensitive_header(tmp_path):
    text = "ID,N\na,1\n"
    sensitive = resource("s", path="data/t.csv")
    insensitive = resource("i", path="data/t.csv", dialect={"caseSensitiveHeader": False})
    pkg = write_package(tmp_path, [sensitive, insensitive], {"data/t.csv": text})
    assert found(validate_package(pkg)) == [
        ("s", "incorrect-label", 1, "id", "ID"),
        ("s", "incorrect-label", 1, "n", "N"),
    ]


def test_tsv_without_dialect(tmp_path):
    pkg = write_package(tmp_path, [resource("t", path="data/t.tsv", format="tsv")],
                        {"data/t.tsv": "id\tn\na,b\t1\nc\tx\n"})
    assert found(validate_package(pkg)) == [type_error("t", 3, "x")]


# ---------------------------------------------------------- JSON, NDJSON, spreadsheets
def test_json_rows(tmp_path):
    rows = [["id", "n"], ["a", 1], ["b", "x"]]
    pkg = write_package(tmp_path, [resource("t", path="data/t.json", format="json")],
                        {"data/t.json": json.dumps(rows)})
    assert found(validate_package(pkg)) == [type_error("t", 3, "x")]


def test_json_objects_under_a_property(tmp_path):
    doc = {"result": {"rows": [{"id": "a", "n": 1}, {"id": "b", "n": 2.5}]}}
    res = resource("t", path="data/t.json", dialect={"property": "result.rows"})
    pkg = write_package(tmp_path, [res], {"data/t.json": json.dumps(doc)})
    assert found(validate_package(pkg)) == [type_error("t", 3, "2.5")]


def test_broken_json_is_refused(tmp_path):
    pkg = write_package(tmp_path, [resource("t", path="data/t.json")],
                        {"data/t.json": "[[\"id\""})
    report = validate_package(pkg)
    assert [f.code for f in report.findings] == ["resource-error"]
    assert report.findings[0].message.startswith('File of resource "t" is not valid JSON')


def test_ndjson_lines(tmp_path):
    text = '{"id": "a", "n": 1}\n\n{"id": "b", "n": "x"}\n'
    pkg = write_package(tmp_path, [resource("t", path="data/t.ndjson")],
                        {"data/t.ndjson": text})
    report = validate_package(pkg)
    assert found(report) == [type_error("t", 3, "x")]
    assert report.stats["rows"] == {"t": 2}


def _xlsx(rows: list[list]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "first"
    for row in rows:
        sheet.append(row)
    other = book.create_sheet("second")
    other.append(["id", "n"])
    other.append(["z", "bad"])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_xlsx_sheet(tmp_path):
    content = _xlsx([["id", "n"], ["a", 1], ["b", "x"], ["c", 3.0]])
    first = resource("first", path="data/t.xlsx")
    second = resource("second", path="data/t.xlsx", dialect={"sheet": "second"})
    pkg = write_package(tmp_path, [first, second], {"data/t.xlsx": content})
    assert found(validate_package(pkg)) == [
        type_error("first", 3, "x"),
        type_error("second", 2, "bad"),
    ]


@pytest.mark.parametrize("fmt", ["ods", "xls"])
def test_unread_spreadsheets_are_refused_in_one_line(tmp_path, fmt):
    pkg = write_package(tmp_path, [resource("t", path=f"data/t.{fmt}")],
                        {f"data/t.{fmt}": b"PK\x03\x04"})
    report = validate_package(pkg)
    assert [(f.code, f.severity, f.message) for f in report.findings] == [
        ("unsupported-resource", "error",
         f'Resource "t" has format "{fmt}", which is not read: give it as CSV, JSON, '
         "NDJSON or XLSX")]
    assert not report.valid


def test_file_resources_are_not_tables(tmp_path):
    doc = {"name": "letter", "path": "letter.txt", "type": "file", "format": "txt"}
    pkg = write_package(tmp_path, [doc], {"letter.txt": "Dear reader,\nhello\n"})
    report = validate_package(pkg)
    assert found(report) == []


def test_labels_compared_without_surrounding_spaces(tmp_path):
    """As frictionless does: "id " is the label of field "id"."""
    pkg = write_package(tmp_path, [resource("t", path="data/t.csv")],
                        {"data/t.csv": "id ,n\na,1\n"})
    assert found(validate_package(pkg)) == []
