"""``semicon validate``: formats, options, exit codes, never a traceback."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from semicon.cli.main import cli
from semicon.cli.validate import validate

from .conftest import csv_resource, write_package

FIELDS = [{"name": "id", "type": "string"}, {"name": "n", "type": "integer",
                                               "constraints": {"minimum": 0}}]


@pytest.fixture
def bad_pkg(tmp_path):
    return write_package(tmp_path / "pkg", [csv_resource("t", FIELDS)],
                         {"data/t.csv": "id,n\na,1\nb,x\nc,-1\n=d,2\n"})


@pytest.fixture
def good_pkg(tmp_path):
    return write_package(tmp_path / "good", [csv_resource("t", FIELDS)],
                         {"data/t.csv": "id,n\na,1\n"})


def run(*args, **kw):
    return CliRunner().invoke(cli, ["validate", *map(str, args)], **kw)


def test_registered_on_the_group():
    assert cli.get_command(None, "validate") is validate


def test_text_output(bad_pkg):
    result = run(bad_pkg, "--quiet")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "t (data/t.csv)"
    assert lines[1:4] == [
        '  error line 3 [n] type-error: Type error in the cell "x" in line "3" and field "n" '
        'at position "2": type is "integer/default"',
        '  error line 4 [n] constraint-error: The cell "-1" in line "4" and field "n" at '
        'position "2" does not conform to a constraint: constraint "minimum" is "0"',
        '  error line 5 [id] formula-injection: The cell "=d" in line "5" and field "id" '
        'starts with "=": a spreadsheet would run it as a formula',
    ]
    assert lines[4].startswith("invalid: 3 errors, 0 warnings in 4 rows (")
    assert "\x1b[" not in result.output


def test_valid_package(good_pkg):
    result = run(good_pkg)
    assert result.exit_code == 0
    assert result.output.startswith("valid: 0 errors, 0 warnings in 1 rows")
    assert run(good_pkg, "--quiet").output == ""


def test_json_output(bad_pkg):
    result = run(bad_pkg, "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["version"] == 1
    assert data["valid"] is False
    assert data["exit_code"] == 1
    assert data["summary"] == {"errors": 3, "warnings": 0,
                               "by_code": {"constraint-error": 1, "formula-injection": 1,
                                           "type-error": 1}}
    assert data["stats"]["rows"] == {"t": 4}
    assert data["findings"][0] == {
        "code": "type-error", "severity": "error", "resource": "t", "path": "data/t.csv",
        "line": 3, "field": "n", "value": "x",
        "message": 'Type error in the cell "x" in line "3" and field "n" at position "2": '
                   'type is "integer/default"', "count": 1,
    }
    assert [(f["line"], f["code"]) for f in data["findings"]] == [
        (3, "type-error"), (4, "constraint-error"), (5, "formula-injection")]


def test_json_output_has_one_line_per_finding(bad_pkg):
    """The JSON report is indented, each finding on a line of its own (as sqlite-utils
    prints rows); the object is the report's to_dict()."""
    from semicon.schemas.validation import render, validate_package

    report = validate_package(bad_pkg)
    text = render(report, "json")
    lines = text.splitlines()
    start = lines.index('  "findings": [')
    rows = lines[start + 1:-2]
    assert lines[-2:] == ["  ]", "}"] and text.endswith("}\n")
    assert [json.loads(row.strip().rstrip(",")) for row in rows] == \
        [f.to_dict() for f in report.findings]
    assert all(row.startswith('    {"code": ') for row in rows)
    assert json.loads(text) == report.to_dict()


def test_json_output_without_findings(good_pkg):
    from semicon.schemas.validation import render, validate_package

    text = render(validate_package(good_pkg), "json")
    assert text.endswith('\n  "findings": []\n}\n')
    assert json.loads(text)["findings"] == []


def test_a_finding_as_a_dict_has_every_field_in_order():
    from dataclasses import fields

    from semicon.schemas.validation.findings import make

    finding = make("type-error", "m", resource="r", line=3, field="f", value="v")
    assert list(finding.to_dict()) == [f.name for f in fields(finding)]
    assert finding.to_dict()["line"] == 3 and finding.to_dict()["count"] == 1


def test_github_output(bad_pkg, monkeypatch):
    monkeypatch.chdir(bad_pkg.parent)
    result = run("datapackage.json", "--format", "github")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == (
        '::error file=data/t.csv,line=3,title=type-error::t: Type error in the cell "x" in line '
        '"3" and field "n" at position "2": type is "integer/default"')
    assert len([line for line in lines if line.startswith("::error ")]) == 3


def test_github_warning_and_severity_option(bad_pkg, monkeypatch):
    monkeypatch.chdir(bad_pkg.parent)
    result = run("datapackage.json", "--format", "github",
                 "--severity", "formula-injection=warning",
                 "--severity", "constraint-error=warning")
    assert result.exit_code == 1
    assert sum(line.startswith("::warning ") for line in result.output.splitlines()) == 2
    result = run("datapackage.json", "--severity", "type-error=warning", "--severity",
                 "constraint-error=warning", "--severity", "formula-injection=warning")
    assert result.exit_code == 0


def test_bad_severity_is_a_usage_error(bad_pkg):
    result = run(bad_pkg, "--severity", "type-error")
    assert result.exit_code == 2
    assert "CODE=error or CODE=warning" in result.output


def test_markdown_output(bad_pkg):
    result = run(bad_pkg, "--format", "markdown")
    lines = result.output.splitlines()
    assert lines[0] == "## ❌ Data package validation"
    assert "| Severity | Resource | Line | Field | Code | Message |" in lines
    assert any(line.startswith("| error | t | 3 | n | `type-error` |") for line in lines)


def test_max_errors(bad_pkg):
    data = json.loads(run(bad_pkg, "--format", "json", "--max-errors", "1").output)
    assert [f["code"] for f in data["findings"]] == ["type-error"]
    assert data["stats"]["truncated"] is True


def test_output_file(bad_pkg, tmp_path):
    out = tmp_path / "report.json"
    result = run(bad_pkg, "--format", "json", "--output", out)
    assert result.exit_code == 1
    assert result.output == ""
    assert json.loads(out.read_text())["summary"]["errors"] == 3


def test_missing_package_exit_2(tmp_path):
    result = run(tmp_path / "nope.json")
    assert result.exit_code == 2
    assert result.output == f'Error: Descriptor "{tmp_path / "nope.json"}" does not exist\n'
    json_result = run(tmp_path / "nope.json", "--format", "json")  # a report for tools
    assert json_result.exit_code == 2
    assert "descriptor-error" in json_result.output


def test_malformed_json_exit_2(tmp_path):
    (tmp_path / "datapackage.json").write_text("{oops")
    result = run(tmp_path / "datapackage.json", "--format", "github")
    assert result.exit_code == 2
    assert result.output.startswith("::error file=")
    assert "Traceback" not in result.output


def test_default_package_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run()
    assert result.exit_code == 2
    assert result.output == (f"Error: no data package in {tmp_path}: pass its folder or "
                             "datapackage.json as PACKAGE\n")


def test_internal_error_has_no_traceback(bad_pkg, monkeypatch):
    import semicon.schemas.validation as validation

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(validation, "validate_package", boom)
    result = run(bad_pkg)
    assert result.exit_code == 2
    assert "internal error" in result.output
    assert "Traceback" not in result.output
    result = run(bad_pkg, "--debug")
    assert isinstance(result.exception, RuntimeError)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_memory_limit_duckdb_cannot_read_is_one_line_and_exit_2(good_pkg, monkeypatch, fmt):
    monkeypatch.setenv("SEMICON_VALIDATE_MEMORY", "lots")
    result = run(good_pkg, "--no-cache", "--format", fmt)
    assert result.exit_code == 2
    assert result.output.startswith('Error: SEMICON_VALIDATE_MEMORY="lots" is not a memory '
                                    "limit DuckDB accepts, such as 2GB (")
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    monkeypatch.setenv("SEMICON_VALIDATE_MEMORY", "2GB")
    assert run(good_pkg, "--no-cache", "--format", fmt).exit_code == 0


def test_colour_only_on_a_terminal(bad_pkg, monkeypatch):
    from semicon.cli import validate as mod

    monkeypatch.setattr(mod.sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert mod._use_color(None) is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert mod._use_color(None) is False
    assert mod._use_color("out.txt") is False


def test_max_errors_keeps_the_first_lines(tmp_path):
    rows = [f"r{i},{i}\n" for i in range(30)]
    rows[5] = "bad,x\n"
    rows[10] = "short\n"
    rows[20] = "bad2,-1\n"
    rows[25] = "long,1,2\n"
    pkg = write_package(tmp_path, [csv_resource("t", FIELDS)],
                        {"data/t.csv": "id,n\n" + "".join(rows)})
    data = json.loads(run(pkg, "--format", "json", "--max-errors", "2").output)
    assert [(f["line"], f["code"]) for f in data["findings"]] == [
        (7, "type-error"), (12, "missing-cell")]
    data = json.loads(run(pkg, "--format", "json", "--max-errors", "3").output)
    assert [f["line"] for f in data["findings"]] == [7, 12, 22]


def test_findings_per_check_are_capped(tmp_path, monkeypatch):
    from semicon.schemas.validation import engine, validate_package

    monkeypatch.setattr(engine, "DEFAULT_CAP", 5)
    rows = "".join(f"r{i},x\n" for i in range(20))
    pkg = write_package(tmp_path, [csv_resource("t", FIELDS)], {"data/t.csv": "id,n\n" + rows})
    report = validate_package(pkg)
    assert [f.line for f in report.findings] == [2, 3, 4, 5, 6]
    assert report.stats["truncated"] is True


def test_a_bad_declaration_and_a_python_rule(tmp_path):
    rules = [{"rule": "range", "low": "id", "hihg": "n"},
             {"rule": "python", "resource": "t", "fields": ["n"], "function": "checks.py:f"}]
    pkg = write_package(tmp_path / "decl", [csv_resource("t", FIELDS)],
                        {"data/t.csv": "id,n\na,1\n"}, semicon={"rules": rules})
    result = run(pkg, "--quiet")
    assert result.exit_code == 2
    assert result.output.splitlines()[:4] == [
        "package",
        "  error - [$.semicon.rules[0]] declaration-error: 'high' is a required property",
        "  error - [$.semicon.rules[0]] declaration-error: unknown property ('hihg' was "
        "unexpected)",
        "t",
    ]
    assert result.output.splitlines()[4] == (
        '  warning - python-rule-skipped: semicon.rules[1] (python) calls Python "checks.py:f": '
        "not run (allow the package's own code with --allow-python)")
