"""What frictionless misses: each reported with a code, a line and the right exit code."""

from __future__ import annotations

import os
import socket

import pytest
from semicon.schemas.validation import validate_package

from .conftest import codes, csv_resource, write_package

S = {"name": "id", "type": "string"}
N = {"name": "n", "type": "integer"}


def test_unterminated_quote_swallowing_the_rest(one_table):
    text = 'id,n\na,1\n"b,2\nc,3\nd,4\n'
    report = validate_package(one_table([S, N], text))
    assert codes(report) == [("unterminated-quote", 3, None)]
    assert report.exit_code == 1
    assert report.stats["rows"] == {"t": 1}


def test_nul_bytes(one_table):
    report = validate_package(one_table([S, N], b"id,n\na,1\nb\x00,2\nc,3\n"))
    assert codes(report) == [("nul-byte", 3, None)]
    assert report.exit_code == 1


def test_html_page_saved_as_csv(one_table):
    page = "<!DOCTYPE html>\n<html><head><title>404</title></head><body>Not found</body></html>\n"
    report = validate_package(one_table([S, N], page))
    assert codes(report) == [("html-file", 1, None)]
    assert report.exit_code == 1


def test_latin1_file_in_utf8_package(one_table):
    report = validate_package(one_table([S, {"name": "x"}], "id,x\n1,Curaçao\n".encode("latin-1")))
    assert [f.code for f in report.findings] == ["encoding-error"]
    assert report.findings[0].line == 2


def test_header_names_differing_only_in_case(one_table):
    fields = [{"name": "ID"}, {"name": "id"}]
    report = validate_package(one_table(fields, "ID,id\n1,2\n"))
    assert codes(report) == [("case-duplicate-label", 1, "id")]
    assert report.exit_code == 1


@pytest.mark.parametrize("cell", ["=1+2", "+31 20 123 4567", "-x", "@SUM(A1)", '"\tx"', '"\rx"'])
def test_formula_injection(one_table, cell):
    report = validate_package(one_table([S, {"name": "s"}], f"id,s\na,ok\nb,{cell}\n"))
    assert codes(report) == [("formula-injection", 3, "s")]
    assert report.exit_code == 1


@pytest.mark.parametrize(("constraints", "cell", "fails_constraint"), [
    ({"enum": ["ok", "fine"]}, "=1+2", True),
    ({"enum": ["ok", "=1+2"]}, "=1+2", False),
    ({"pattern": "ok"}, "=1+2", True),
    ({"pattern": "o[a-z]*"}, "=1+2", True),
    ({"pattern": "o?k"}, "=1+2", True),
    ({"pattern": "ok|=.*"}, "=1+2", False),
    ({"pattern": "[a-z=+0-9]+"}, "=1+2", False),
    ({"pattern": "x*(=.*|ok)"}, "=1+2", False),
])
def test_formula_in_field_with_enum_or_pattern(one_table, constraints, cell, fails_constraint):
    """The row flag leaves formula tests out where the enum or pattern fails the cell anyway
    (enum without formula values, pattern starting with a letter): every finding remains."""
    field = {"name": "s", "constraints": constraints}
    report = validate_package(one_table([S, field], f"id,s\na,ok\nb,{cell}\n"))
    expected = [("formula-injection", 3, "s")]
    if fails_constraint:
        expected.insert(0, ("constraint-error", 3, "s"))
    assert sorted(codes(report)) == sorted(expected)
    assert report.exit_code == 1


def test_numbers_are_not_formulas(one_table):
    fields = [S, {"name": "s"}, {"name": "x", "type": "number"}, N]
    report = validate_package(one_table(fields, "id,s,x,n\na,-5,-1.5,+3\nb,+1e3,+2,-4\n"))
    assert report.findings == []


def test_formula_injection_severity_is_configurable(one_table):
    pkg = one_table([S, {"name": "s"}], "id,s\na,=1\n")
    report = validate_package(pkg, severities={"formula-injection": "warning"})
    assert [(f.code, f.severity) for f in report.findings] == [("formula-injection", "warning")]
    assert report.exit_code == 0


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd",
        "../outside.csv",
        "data/../../outside.csv",
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.csv",
        "https://example.com/x.csv",
        "s3://bucket/x.csv",
        "C:\\data\\x.csv",
        "~/x.csv",
    ],
)
def test_unsafe_paths_are_refused(tmp_path, path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("validation tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    res = csv_resource("t", [S], path=path)
    report = validate_package(write_package(tmp_path / "pkg", [res]))
    assert [(f.code, f.path) for f in report.findings] == [("unsafe-path", path)]
    assert report.exit_code == 2


def test_symlink_leaving_the_package_is_refused(tmp_path):
    outside = tmp_path / "secret.csv"
    outside.write_text("id\nsecret\n")
    pkg = write_package(tmp_path / "pkg", [csv_resource("t", [S])])
    (pkg.parent / "data").mkdir()
    os.symlink(outside, pkg.parent / "data" / "t.csv")
    report = validate_package(pkg)
    assert [f.code for f in report.findings] == ["unsafe-path"]
    assert "symlink" in report.findings[0].message
    assert report.exit_code == 2


def test_unsafe_paths_stop_before_any_read(tmp_path):
    good = csv_resource("good", [S])
    bad = csv_resource("bad", [S], path="../x.csv")
    pkg = write_package(tmp_path / "pkg", [good, bad], {"data/good.csv": "id\n=1\n"})
    report = validate_package(pkg)
    assert [f.code for f in report.findings] == ["unsafe-path"]


def test_unsafe_schema_reference(tmp_path):
    res = csv_resource("t", [S])
    res["schema"] = "../schema.json"
    report = validate_package(write_package(tmp_path / "pkg", [res], {"data/t.csv": "id\na\n"}))
    assert [f.code for f in report.findings] == ["unsafe-path"]


def test_missing_descriptor(tmp_path):
    report = validate_package(tmp_path / "nope.json")
    assert [f.code for f in report.findings] == ["descriptor-error"]
    assert report.exit_code == 2


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"resources": []}', ""])
def test_malformed_descriptor(tmp_path, text):
    path = tmp_path / "datapackage.json"
    path.write_text(text)
    report = validate_package(path)
    assert report.exit_code == 2
    assert report.findings[0].code in ("descriptor-error", "package-error")


def test_descriptor_against_profile(tmp_path):
    res = csv_resource("t", [{"name": "id", "type": "no-such-type"}])
    report = validate_package(write_package(tmp_path, [res], {"data/t.csv": "id\na\n"}))
    assert report.exit_code == 2
    assert {f.code for f in report.findings} <= {"field-error", "package-error", "schema-error"}


def test_missing_resource_file(tmp_path):
    report = validate_package(write_package(tmp_path, [csv_resource("t", [S])]))
    assert [f.code for f in report.findings] == ["missing-file"]
    assert report.exit_code == 2


def test_empty_file(one_table):
    report = validate_package(one_table([S], ""))
    assert [f.code for f in report.findings] == ["empty-file"]
    assert report.exit_code == 1


def test_foreign_key_to_unknown_resource(tmp_path):
    res = csv_resource("t", [S], foreignKeys=[
        {"fields": ["id"], "reference": {"resource": "nope", "fields": ["id"]}}])
    report = validate_package(write_package(tmp_path, [res], {"data/t.csv": "id\na\n"}))
    assert report.exit_code == 2
    assert "nope" in report.findings[0].message


def test_pattern_duckdb_cannot_compile(one_table):
    fields = [{"name": "id", "constraints": {"pattern": "(?<=a)b"}}]
    report = validate_package(one_table(fields, "id\nab\n"))
    assert [f.code for f in report.findings] == ["field-error"]
    assert report.exit_code == 2


def test_odd_missing_values_do_not_crash(one_table):
    fields = [{"name": "id"}, {"name": "n", "type": "integer"}]
    report = validate_package(one_table(fields, "id,n\na,1\n", missingValues="NA"))
    assert report.exit_code == 2


def test_text_report_escapes_line_breaks(one_table):
    from semicon.schemas.validation import render

    report = validate_package(one_table([{"name": "id", "constraints": {"maxLength": 2}}],
                                        'id\n"a\nbc"\n'))
    text = render(report, "text")
    assert 'The cell "a\\nbc"' in text


def test_nan_in_a_key_equals_nan_as_in_sql_not_as_in_frictionless(tmp_path):
    """A repeated `NaN` key is a repeat, and a `NaN` reference is found (docs/validate.md,
    "Limits"); frictionless finds neither, since Python's `nan` never equals itself."""
    import frictionless

    number = {"name": "id", "type": "number"}
    parent = csv_resource("p", [number, {"name": "v", "type": "integer"}], primaryKey=["id"])
    child = csv_resource("c", [{"name": "ref", "type": "number"}], foreignKeys=[
        {"fields": ["ref"], "reference": {"resource": "p", "fields": ["id"]}}])
    descriptor = write_package(tmp_path / "pkg", [parent, child], {
        "data/p.csv": "id,v\nNaN,1\nNaN,2\n1.5,3\n", "data/c.csv": "ref\nNaN\n1.5\n"})
    assert codes(validate_package(descriptor)) == [("primary-key", 3, "id")]
    theirs = frictionless.validate(str(descriptor)).flatten(["rowNumber", "fieldName", "type"])
    assert theirs == [[2, None, "foreign-key"]]  # the child's NaN, not the parent's repeat
