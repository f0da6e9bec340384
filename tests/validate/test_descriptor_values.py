"""Descriptor values of the wrong type or shape (a constraint, a field or schema property, a
dialect character): one fatal finding naming the resource, the field and the property,
before any data is read, on the small and the large package path; never an internal error,
in ``semicon validate`` or ``semicon build``. Values frictionless reads are read alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from semicon.cli.main import cli
from semicon.schemas.validation import Report, engine, prescan, validate_package

from .conftest import csv_resource, write_package

#: a valid cell of each type
CELLS = {"string": "a", "any": "a", "integer": "4", "number": "1.5", "date": "2020-01-02",
         "datetime": "2020-01-02T03:04:05Z", "time": "03:04:05", "year": "2020",
         "yearmonth": "2020-01", "boolean": "true", "list": "a"}


def field(ftype: str, **props: Any) -> dict[str, Any]:
    return {"name": "v", "type": ftype, **props}


def cons(ftype: str, **constraints: Any) -> dict[str, Any]:
    return field(ftype, constraints=constraints)


#: (field, cell or None for the type's, schema properties, resource properties, finding code,
#: what its message names); each value crashed validation, passed unseen or was reported
#: only by frictionless, which names no resource, field or property
BAD = {
    # an internal error (ValueError, TypeError) before
    "maxLength-string": (cons("string", maxLength="x"), "field-error", 'Constraint "maxLength"'),
    "minLength-list": (cons("string", minLength=[1]), "field-error", 'Constraint "minLength"'),
    "maxLength-object": (cons("any", maxLength={"a": 1}), "field-error",
                         'Constraint "maxLength"'),
    "minLength-empty": (cons("string", minLength=""), "field-error", 'Constraint "minLength"'),
    "enum-float": (cons("string", enum=1.5), "field-error", 'Constraint "enum"'),
    "enum-boolean": (cons("integer", enum=True), "field-error", 'Constraint "enum"'),
    "enum-zero": (cons("date", enum=0), "field-error", 'Constraint "enum"'),
    "type-list": (field("string") | {"type": [1]}, "field-error", "unknown type [1]"),
    "type-object": (field("string") | {"type": {"a": 1}}, "field-error", "unknown type"),
    # a bound no cell was compared with before
    "minimum-text": (cons("integer", minimum="abc"), "field-error", 'Constraint "minimum"'),
    "maximum-float": (cons("integer", maximum=1.5), "field-error", 'Constraint "maximum"'),
    "exclusiveMinimum-list": (cons("integer", exclusiveMinimum=[1]), "field-error",
                              'Constraint "exclusiveMinimum"'),
    "exclusiveMaximum-object": (cons("number", exclusiveMaximum={"a": 1}), "field-error",
                                'Constraint "exclusiveMaximum"'),
    "minimum-not-a-date": (cons("date", minimum="not-a-date"), "field-error",
                           'Constraint "minimum"'),
    "maximum-other-format": (field("date", format="%d/%m/%Y",
                                   constraints={"maximum": "2020-01-02"}), "field-error",
                             'format "%d/%m/%Y"'),
    "maximum-decimal-point": (field("number", decimalChar=",", constraints={"maximum": "1.5"}),
                              "field-error", 'Constraint "maximum"'),
    "minimum-month-13": (cons("yearmonth", minimum="2020-13"), "field-error",
                         'Constraint "minimum"'),
    "maximum-time": (cons("time", maximum="x"), "field-error", 'Constraint "maximum"'),
    "minimum-datetime-number": (cons("datetime", minimum=5), "field-error",
                                'Constraint "minimum"'),
    # reported by frictionless alone before, naming no resource or field
    "required-text": (cons("string", required="yes"), "field-error", 'Constraint "required"'),
    "unique-number": (cons("string", unique=1), "field-error", 'Constraint "unique"'),
    "minLength-float": (cons("string", minLength=1.5), "field-error", 'Constraint "minLength"'),
    "maxLength-boolean": (cons("string", maxLength=True), "field-error",
                          'Constraint "maxLength"'),
    "pattern-number": (cons("string", pattern=5), "field-error", 'Constraint "pattern"'),
    "enum-text": (cons("string", enum="a"), "field-error", 'Constraint "enum"'),
    "constraints-text": (field("string", constraints="x"), "field-error", '"constraints"'),
    "format-number": (field("date", format=5), "field-error", '"format"'),
    "missingValues-text": (field("string", missingValues="NA"), "field-error",
                           '"missingValues"'),
    "trueValues-text": (field("boolean", trueValues="yes"), "field-error", '"trueValues"'),
    "falseValues-numbers": (field("boolean", falseValues=[0]), "field-error",
                            '"falseValues"'),
    "bareNumber-text": (field("integer", bareNumber="no"), "field-error", '"bareNumber"'),
    "groupChar-number": (field("number", groupChar=1), "field-error", '"groupChar"'),
    "decimalChar-null": (field("number", decimalChar=None), "field-error", '"decimalChar"'),
    "list-delimiter-number": (field("list", delimiter=5), "field-error", '"delimiter"'),
    "itemType-number": (field("list", itemType=5), "field-error", '"itemType"'),
}
#: (schema properties, finding code, what its message names)
BAD_SCHEMAS = {
    "missingValues-text": ({"missingValues": "NA"}, "schema-error", '"missingValues"'),
    "primaryKey-number": ({"primaryKey": 1.5}, "schema-error", '"primaryKey"'),
    "foreignKeys-number": ({"foreignKeys": 1.5}, "schema-error", '"foreignKeys"'),
    "foreignKeys-true": ({"foreignKeys": True}, "schema-error", '"foreignKeys"'),
    "foreignKeys-nested": ({"foreignKeys": [{"fields": [["v"]],
                                             "reference": {"fields": [["v"]]}}]},
                           "schema-error", "malformed"),
    "uniqueKeys-text": ({"uniqueKeys": "v"}, "schema-error", '"uniqueKeys"'),
}
#: (resource properties, finding code, what its message names)
BAD_RESOURCES = {
    "delimiter-number": ({"dialect": {"delimiter": 1.5}}, "resource-error",
                         'Dialect "delimiter"'),
    "delimiter-long": ({"dialect": {"delimiter": "abc"}}, "resource-error",
                       'Dialect "delimiter"'),
    "quoteChar-list": ({"dialect": {"quoteChar": [1]}}, "resource-error",
                       'Dialect "quoteChar"'),
    "escapeChar-long": ({"dialect": {"escapeChar": "ab"}}, "resource-error",
                        'Dialect "escapeChar"'),
    "encoding-number": ({"encoding": 1.5}, "resource-error", '"encoding"'),
    "encoding-true": ({"encoding": True}, "resource-error", '"encoding"'),
}


def _package(folder: Path, fld: dict[str, Any], schema: dict[str, Any] | None = None,
             resource: dict[str, Any] | None = None, cell: str | None = None) -> Path:
    ftype = fld["type"] if isinstance(fld["type"], str) else "string"
    res = csv_resource("t", [fld], **(schema or {})) | (resource or {})
    return write_package(folder, [res], {"data/t.csv": f"v\n{cell or CELLS[ftype]}\n"})


@pytest.fixture(params=["small", "large"])
def check(request, monkeypatch: pytest.MonkeyPatch):
    """``validate_package`` on the small package path, or the large one's (files scanned
    ahead, every optimiser, every core)."""
    if request.param == "large":
        monkeypatch.setattr(engine, "SMALL_PACKAGE_BYTES", -1)
        monkeypatch.setattr(prescan, "AHEAD_BYTES", 0)
    return validate_package


def _assert_refused(report: Report, code: str, words: str, *, field: str | None) -> None:
    ours = [f for f in report.findings if f.resource == "t" and words in f.message]
    assert [(f.code, f.field) for f in ours] == [(code, field)], report.findings
    assert report.exit_code == 2
    assert report.stats["rows"] == {}  # stopped before any data was read


@pytest.mark.parametrize(("fld", "code", "words"), BAD.values(), ids=BAD.keys())
def test_a_bad_field_value_is_a_field_error(tmp_path, check, fld, code, words):
    report = check(_package(tmp_path, fld))
    _assert_refused(report, code, words, field="v")


@pytest.mark.parametrize(("schema", "code", "words"), BAD_SCHEMAS.values(),
                         ids=BAD_SCHEMAS.keys())
def test_a_bad_schema_value_is_a_schema_error(tmp_path, check, schema, code, words):
    report = check(_package(tmp_path, field("string"), schema=schema))
    _assert_refused(report, code, words, field=None)


@pytest.mark.parametrize(("resource", "code", "words"), BAD_RESOURCES.values(),
                         ids=BAD_RESOURCES.keys())
def test_a_bad_resource_value_is_a_resource_error(tmp_path, check, resource, code, words):
    report = check(_package(tmp_path, field("string"), resource=resource))
    _assert_refused(report, code, words, field=None)


def test_the_finding_names_resource_field_constraint_and_value(tmp_path):
    report = validate_package(_package(tmp_path, cons("string", maxLength="x")))
    ours = [f for f in report.findings if f.field == "v"]
    assert [(f.code, f.message, f.value) for f in ours] == [(
        "field-error", 'Constraint "maxLength" of field "v" of "t" must be an integer, '
        'not "x"', '"x"')]


#: values frictionless reads, read alike: (field, cell); a bound written 5.0 for an integer,
#: a year from 0, ``[year, month]``, lengths written 2.0 or beyond any text, a format Python
#: reads only '' with (or none), a null dialect character
SAME_AS_FRICTIONLESS = {
    "integer-minimum-5.0": (cons("integer", minimum=5.0), "4"),
    "year-maximum-0": (cons("year", maximum=0), "2020"),
    "yearmonth-minimum-list": (cons("yearmonth", minimum=[2020, 2]), "2020-01"),
    "list-minLength-2.0": (cons("list", minLength=2.0), "a"),
    "maxLength-1e308": (cons("string", maxLength=1e308), "a"),
    "minLength-1e308": (cons("string", minLength=1e308), "a"),
    "date-format-empty": (field("date", format=""), "2020-01-02"),
    "date-format-percent": (field("date", format="%"), "2020-01-02"),
    "time-format-stray-percent": (field("time", format="%H%"), "03:04"),
    "datetime-format-fmt": (field("datetime", format="fmt:"), "2020-01-02T03:04:05Z"),
}


@pytest.mark.parametrize(("fld", "cell"), SAME_AS_FRICTIONLESS.values(),
                         ids=SAME_AS_FRICTIONLESS.keys())
def test_values_frictionless_reads_give_its_findings(tmp_path, check, fld, cell):
    import frictionless

    descriptor = _package(tmp_path, fld, cell=cell)
    theirs = frictionless.validate(str(descriptor)).flatten(["rowNumber", "fieldName", "type"])
    report = check(descriptor)
    assert [[f.line, f.field, f.code] for f in report.findings] == theirs


def test_a_null_dialect_character_is_the_default(tmp_path, check):
    resource = {"dialect": {"delimiter": None, "quoteChar": None}}
    report = check(_package(tmp_path, field("string"), resource=resource))
    assert report.findings == []
    assert report.exit_code == 0


def test_validate_command_reports_it_without_an_internal_error(tmp_path):
    descriptor = _package(tmp_path, cons("string", maxLength="x"))
    result = CliRunner().invoke(cli, ["validate", str(descriptor.parent), "--no-cache"])
    assert result.exit_code == 2, result.output
    assert 'Constraint "maxLength" of field "v" of "t" must be an integer' in result.output
    assert "internal error" not in result.output


@pytest.mark.parametrize(("fld", "schema", "resource"), [
    (cons("string", maxLength="x"), None, None),
    (cons("integer", minimum="abc"), None, None),
    (field("string"), {"foreignKeys": 1.5}, None),
    (field("string"), None, {"dialect": {"delimiter": 1.5}}),
], ids=["maxLength", "minimum", "foreignKeys", "delimiter"])
def test_build_refuses_it_and_writes_nothing(tmp_path, fld, schema, resource):
    descriptor = _package(tmp_path / "pkg", fld, schema=schema, resource=resource)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(descriptor.parent), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert 'of "t"' in result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert not out.exists()
