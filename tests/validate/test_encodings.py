"""A declared encoding Python knows no codec for: one finding, the file read as UTF-8."""

from __future__ import annotations

import pytest
from semicon.schemas.validation import engine, validate_package

from .conftest import csv_resource, write_package

FIELDS = [{"name": "id", "type": "string"}, {"name": "n", "type": "integer"}]
ROWS = "id,n\n" + "".join(f"r{i},{i}\n" for i in range(2000)) + "café,x\n"


def _findings(descriptor):
    report = validate_package(descriptor)
    return report.exit_code, [(f.code, f.line, f.field, f.message) for f in report.findings]


@pytest.mark.parametrize("encoding", ["utf-99", "x", "\x00", "latin-99"])
@pytest.mark.parametrize("large", [False, True], ids=["small", "large"])
def test_an_unknown_csv_encoding(tmp_path, monkeypatch, encoding, large):
    res = csv_resource("t", FIELDS)
    res["encoding"] = encoding
    descriptor = write_package(tmp_path, [res], {"data/t.csv": ROWS.encode()})
    if large:  # the byte scan ahead of DuckDB, the parallel load
        monkeypatch.setattr("semicon.schemas.validation.prescan.AHEAD_BYTES", 0)
        monkeypatch.setattr(engine, "SMALL_PACKAGE_BYTES", -1)
    code, found = _findings(descriptor)
    assert code == 1
    assert found == [
        ("encoding-error", None, None,
         f'Unknown encoding "{encoding}": the file is read as UTF-8'),
        ("type-error", 2002, "n", 'Type error in the cell "x" in line "2002" and field "n" '
         'at position "2": type is "integer/default"'),
    ]


@pytest.mark.parametrize(("fmt", "content"), [
    ("json", b'[{"id": "caf\xc3\xa9", "n": "x"}]'),
    ("ndjson", b'{"id": "caf\xc3\xa9", "n": "x"}\n'),
])
def test_an_unknown_json_encoding(tmp_path, fmt, content):
    res = {"name": "t", "path": f"data/t.{fmt}", "format": fmt, "encoding": "utf-99",
           "schema": {"fields": FIELDS}}
    code, found = _findings(write_package(tmp_path, [res], {f"data/t.{fmt}": content}))
    assert code == 1
    assert [f[:3] for f in found] == [("encoding-error", None, None),
                                      ("type-error", 2 if fmt == "json" else 1, "n")]


def test_inline_data_has_no_file_to_decode(tmp_path):
    res = {"name": "t", "data": [["id", "n"], ["a", 1]], "encoding": "utf-99",
           "schema": {"fields": FIELDS}}
    code, found = _findings(write_package(tmp_path, [res]))
    assert (code, found) == (0, [])
