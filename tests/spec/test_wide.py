"""Wide tables (more columns than longform.WIDE_COLUMNS) are stored one cell a row: the
findings are those of the usual storage, with the same lines, fields and values."""

from __future__ import annotations

import pytest
from semicon.schemas.validation import longform, validate_package

from tests.validate.conftest import csv_resource, write_package

WIDTH = longform.WIDE_COLUMNS + 21


def _fields(width: int = WIDTH) -> list[dict]:
    kinds = [
        {"type": "integer", "constraints": {"minimum": 0}},
        {"type": "number"},
        {"type": "date"},
        {"type": "boolean"},
        {"type": "string", "constraints": {"enum": ["a", "b", "abc"]}},
        {"type": "string"},
    ]
    fields = [{"name": "id", "type": "string"}]
    fields += [{"name": f"f{i}", **kinds[i % len(kinds)]} for i in range(1, width)]
    return fields


def _row(fields: list[dict], **cells: str) -> str:
    good = {"integer": "1", "number": "2.5", "date": "2020-01-02", "boolean": "true",
            "string": "abc"}
    out = [cells.get(f["name"], good[f["type"]]) for f in fields]
    return ",".join(out)


def make_package(tmp_path, width: int = WIDTH):
    fields = _fields(width)
    ints = [f["name"] for f in fields if f["type"] == "integer"]
    text = [f["name"] for f in fields if f["type"] == "string" and "constraints" not in f]
    lines = [",".join(f["name"] for f in fields),
             _row(fields, id="r1"),
             _row(fields, id="r2", **{ints[3]: "x", ints[-1]: "-5", text[3]: "=1+1"}),
             "," * (width - 1),
             _row(fields, id="r1") + ",extra",
             ",".join(_row(fields, id="r5").split(",")[:-2])]
    res = csv_resource("wide", fields, primaryKey=["id"])
    return write_package(tmp_path, [res], {"data/wide.csv": "\n".join(lines) + "\n"}), fields


@pytest.fixture
def wide_package(tmp_path):
    return make_package(tmp_path)


def _found(report):
    return [(f.code, f.line, f.field, f.value, f.message) for f in report.findings]


def test_wide_table_findings(wide_package):
    pkg, fields = wide_package
    report = validate_package(pkg)
    ints = [f["name"] for f in fields if f["type"] == "integer"]
    text = [f["name"] for f in fields if f["type"] == "string" and "constraints" not in f]
    expected = [
        ("constraint-error", 3, ints[-1], "-5"),
        ("type-error", 3, ints[3], "x"),
        ("formula-injection", 3, text[3], "=1+1"),
        ("blank-row", 4, None, None),
        ("primary-key", 4, "id", None),
        ("extra-cell", 5, None, "extra"),
        ("primary-key", 5, "id", "r1"),
        ("missing-cell", 6, fields[-2]["name"], None),
        ("missing-cell", 6, fields[-1]["name"], None),
    ]
    got = [(f.code, f.line, f.field, f.value) for f in report.findings]
    assert got == sorted(expected, key=lambda x: (x[1], x[2] or "", x[0]))
    type_error = next(f for f in report.findings if f.code == "type-error")
    assert type_error.message == (
        f'Type error in the cell "x" in line "3" and field "{ints[3]}" at position '
        f'"{fields.index(next(f for f in fields if f["name"] == ints[3])) + 1}": '
        'type is "integer/default"')
    assert report.stats["rows"] == {"wide": 5}


def test_wide_storage_gives_the_findings_of_the_usual_one(tmp_path, monkeypatch):
    """A 40-column table, stored long (the limit lowered) and as usual: same findings."""
    import semicon.schemas.validation.loader as loader

    pkg, _ = make_package(tmp_path, 40)
    usual = _found(validate_package(pkg))
    monkeypatch.setattr(longform, "WIDE_COLUMNS", 10)
    monkeypatch.setattr(loader, "WIDE_COLUMNS", 10)
    long = _found(validate_package(pkg))
    assert len(usual) == 9
    assert long == usual
