"""Table Schema types beyond the common ones, valid and invalid (the findings are those
``frictionless validate`` gives for the same files), time zones in keys, integers of any
size."""

from __future__ import annotations

import pytest
from semicon.schemas.validation import validate_package

from tests.validate.conftest import write_package

#: field, cells (one a row from line 2), lines with a type-error (or (line, code))
CASES = {
    "list": ({"type": "list", "itemType": "integer", "constraints": {"maxLength": 3}},
             ["1,2,3", "4", "1,x", "1,2,3,4"], [4, (5, "constraint-error")]),
    "list-of-strings": ({"type": "list", "delimiter": ";"}, ["a;b", "c"], []),
    "geopoint": ({"type": "geopoint"}, ["4.9, 52.3", "200,1", "abc"], [3, 4]),
    "geopoint-array": ({"type": "geopoint", "format": "array"}, ["[4.9, 52.3]", "[1]"], [3]),
    "geopoint-object": ({"type": "geopoint", "format": "object"},
                        ['{"lon": 4.9, "lat": 52.3}', '{"lon": 1}'], [3]),
    "geopoint-json-strings": ({"type": "geopoint", "format": "array"},
                              ['["5", "6"]', '["5", "6",]', "[5, 6]"], [3]),
    "object-strings": ({"type": "object"}, ['{"a": "x", "b": "y,]"}', '{"a": "x",}'], [3]),
    "geojson": ({"type": "geojson"},
                ['{"type": "Point", "coordinates": [1, 2]}', '{"type": "Nope"}', "[1]",
                 '{"type": "Po'], [3, 4, 5]),
    "duration": ({"type": "duration"}, ["P1Y2M3DT4H5M6S", "PT0.5S", "P", "1 day"], [4, 5]),
    "year": ({"type": "year"}, ["2020", "20201"], [3]),
    "yearmonth": ({"type": "yearmonth"}, ["2020-01", "2020-1", "2020-13"], [4]),
    "datetime": ({"type": "datetime"},
                 ["2020-01-01T15:00:00Z", "2020-01-01T15:00:00+03:00", "2020-01-01T15:00:00",
                  "2020-01-01"], [5]),
    "time": ({"type": "time"},
             ["15:00:00", "15:00:00Z", "15:00:00+03:00", "15:00:00.25", "25:00:00"], [6]),
    "date-any": ({"type": "date", "format": "any"},
                 ["2020-01-02", "01/02/2020", "2 January 2020", "nope"], [5]),
    "date-pattern": ({"type": "date", "format": "%d/%m/%Y"}, ["02/01/2020", "2020-01-02"], [3]),
    "date-v1-pattern": ({"type": "date", "format": "fmt:%d/%m/%Y"},
                        ["02/01/2020", "2020-01-02"], [3]),
    # JSON number bounds are numbers whatever the field's decimal or group character
    "number-decimal-comma-bounds": (
        {"type": "number", "decimalChar": ",",
         "constraints": {"minimum": 0.5, "maximum": 1}},
        ["0,4", "0,6", "1,2"], [(2, "constraint-error"), (4, "constraint-error")]),
    "number-group-char-bounds": (
        {"type": "number", "groupChar": " ", "constraints": {"minimum": 1500}},
        ["1 499", "1 500", "12 000"], [(2, "constraint-error")]),
    "integer-bounds-and-enum": (
        {"type": "integer",
         "constraints": {"minimum": -2, "maximum": 2**70, "enum": [-2, 0, 2**70]}},
        ["-2", "0", "-3", str(2**70), "1"],
        [(4, "constraint-error"), (4, "constraint-error"), (6, "constraint-error")]),
    "integer-any-size": ({"type": "integer"},
                         ["1", "99999999999999999999", "-170141183460469231731687303715884105728",
                          "9" * 60, "1.5"], [6]),
}


def _csv(cells: list[str]) -> str:
    quoted = [f'"{c.replace(chr(34), chr(34) * 2)}"' if ("," in c or '"' in c) else c
              for c in cells]
    return "v\n" + "\n".join(quoted) + "\n"


@pytest.mark.parametrize("case", sorted(CASES))
def test_type(tmp_path, case):
    fld, cells, bad = CASES[case]
    res = {"name": "t", "path": "data/t.csv", "schema": {"fields": [{"name": "v", **fld}]}}
    pkg = write_package(tmp_path, [res], {"data/t.csv": _csv(cells)})
    report = validate_package(pkg)
    expected = [(b[1], b[0]) if isinstance(b, tuple) else ("type-error", b) for b in bad]
    assert [(f.code, f.line) for f in report.findings] == expected
    assert [f.value for f in report.findings] == [cells[line - 2] for _, line in expected]


def _keys(tmp_path, ftype: str, cells: list[str]):
    res = {"name": "t", "path": "data/t.csv",
           "schema": {"fields": [{"name": "v", "type": ftype}], "primaryKey": ["v"]}}
    return validate_package(write_package(tmp_path, [res], {"data/t.csv": _csv(cells)}))


def test_zones_make_different_datetime_keys(tmp_path):
    report = _keys(tmp_path, "datetime", ["2020-01-01T15:00:00Z", "2020-01-01T15:00:00+03:00",
                                          "2020-01-01T12:00:00Z"])
    # 15:00+03:00 is 12:00Z: the same instant, as for frictionless (the value shown is
    # the typed one: only typed values of key cells are kept for every row)
    assert [(f.code, f.line, f.value) for f in report.findings] == [
        ("primary-key", 4, "2020-01-01 12:00:00+00")]


def test_zones_make_different_time_keys(tmp_path):
    report = _keys(tmp_path, "time", ["15:00:00Z", "15:00:00+03:00"])
    assert report.findings == []


def test_large_integer_keys(tmp_path):
    big = "123456789012345678901234567890"
    report = _keys(tmp_path, "integer", [big, big[:-1] + "1", big])
    assert [(f.code, f.line, f.value) for f in report.findings] == [("primary-key", 4, big)]
