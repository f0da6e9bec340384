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


def _tables(root: Path, names: list[str], fields: list[str] | None = None) -> Path:
    """A valid package of one small table per name (frictionless accepts every one)."""
    root.mkdir()
    cols = fields or ["id"]
    resources = []
    for i, name in enumerate(names):
        (root / f"t{i}.csv").write_text(",".join(cols) + "\n" + ",".join("1" for _ in cols)
                                        + "\n")
        resources.append({"name": name, "path": f"t{i}.csv", "schema": {
            "fields": [{"name": c, "type": "integer"} for c in cols]}})
    (root / "datapackage.json").write_text(json.dumps({
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json", "name": "p",
        "resources": resources}))
    return root


@pytest.mark.parametrize(("names", "line"), [
    (["t", "T"], 'resources "t" and "T" differ only in case, and SQL table names ignore case'),
    (["_build"], 'resource name "_build" is the name of a table the build writes itself'),
    (["_Data_Dictionary"], 'resource name "_Data_Dictionary" is the name of a table the '
                           "build writes itself"),
    (["sqlite_stat1"], 'resource name "sqlite_stat1" is the name of a table the build'),
    (["t", "t_fts"], 'resource name "t_fts" is the name of the full-text index of resource'),
    (["t_fts_data", "t"], 'resource name "t_fts_data" is the name of the full-text index'),
])
def test_table_names_sql_cannot_hold_side_by_side_are_refused_in_one_line(
        tmp_path: Path, names: list[str], line: str):
    package = _tables(tmp_path / "pkg", names)
    assert CliRunner().invoke(cli, ["validate", str(package)]).exit_code == 0
    result = CliRunner().invoke(cli, ["build", str(package), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert line in " ".join(result.output.split())
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_columns_differing_only_in_case_get_the_validation_report_not_a_read_error(
        tmp_path: Path):
    package = _tables(tmp_path / "pkg", ["t"], fields=["a", "A"])
    result = CliRunner().invoke(cli, ["build", str(package), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output  # invalid data, as `semicon validate` says
    assert "case-duplicate-label" in result.output
    assert "nothing was written" in result.output
    assert "Binder Error" not in result.output
