"""Packages that used to crash the build: each now exits 0, 1 or 2 with a clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from semicon.cli.main import cli

FIELDS = [{"name": "id", "type": "integer"}, {"name": "name"}]


def write(root: Path, resource: dict, files: dict[str, bytes], name: str | None = "p") -> Path:
    root.mkdir()
    for rel, data in files.items():
        (root / rel).write_bytes(data)
    descriptor = {"resources": [resource], **({"name": name} if name else {})}
    (root / "datapackage.json").write_text(json.dumps(descriptor))
    return root


CASES = {
    "neither path nor data": (
        {"name": "t", "schema": {"fields": FIELDS}}, {}, "p", 2,
        'Resource "t" has no usable path'),
    "no package name": (
        {"name": "t", "path": "t.csv", "schema": {"fields": FIELDS}},
        {"t.csv": b"id,name\n1,a\n"}, None, 0, "Built pkg into"),
    "declared latin-1": (
        {"name": "t", "path": "t.csv", "encoding": "latin-1", "schema": {"fields": FIELDS}},
        {"t.csv": b"id,name\n1,caf\xe9\n"}, "p", 0, "Built p into"),
    "only resource not CSV": (
        {"name": "t", "path": "t.json", "format": "json"}, {"t.json": b'{"x": 1}'}, "p", 2,
        "the package has no table to build"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_build_exits_with_one_clear_line(tmp_path: Path, case: str):
    resource, files, name, code, line = CASES[case]
    package = write(tmp_path / "pkg", resource, files, name)
    result = CliRunner().invoke(cli, ["build", str(package), "--out", str(tmp_path / "out")])
    assert result.exit_code == code, result.output
    assert line in result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
