"""The same mistake gets the same line and exit code in every command.

Exit 1: invalid data; exit 2: unusable input. `serve` fails before it would serve.
`diff` and `sync` do not check data, so invalid data is not a mistake for them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from semicon.cli.main import cli

COMMANDS = ("validate", "build", "serve", "publish", "package", "diff", "sync")
SCHEMA = {"fields": [{"name": "id", "type": "integer"}, {"name": "name"}],
          "primaryKey": ["id"]}


def args(command: str, package: str | None, out: Path) -> list[str]:
    if command == "diff":
        return ["diff", str(package), str(package)]
    given = [] if package is None else [str(package)]
    if command in ("build", "serve", "publish", "package"):
        return [command, *given, "--out", str(out)]
    return [command, *given]


def write_package(root: Path, csv: str | None = "id,name\n1,a\n2,b\n") -> Path:
    root.mkdir(parents=True)
    if csv is not None:
        (root / "t.csv").write_text(csv)
    (root / "datapackage.json").write_text(json.dumps(
        {"name": "p", "resources": [{"name": "t", "path": "t.csv", "schema": SCHEMA}]}))
    return root


def missing_descriptor(tmp: Path) -> tuple[Path, str, int]:
    return tmp / "nope", f'Error: Descriptor "{tmp / "nope"}" does not exist', 2


def not_json(tmp: Path) -> tuple[Path, str, int]:
    path = tmp / "datapackage.json"
    path.write_text("{")
    return path, (f'Error: Descriptor "{path}" is not valid JSON: Expecting property name '
                  "enclosed in double quotes: line 1 column 2 (char 1)"), 2


def missing_csv(tmp: Path) -> tuple[Path, str, int]:
    return write_package(tmp / "p", csv=None), 'File "t.csv" of resource "t" does not exist', 2


def invalid_data(tmp: Path) -> tuple[Path, str, int]:
    return (write_package(tmp / "p", csv="id,name\n1,a\nx,b\n"),
            'type-error: Type error in the cell "x" in line "3" and field "id"', 1)


MISTAKES = {"missing descriptor": missing_descriptor, "descriptor not JSON": not_json,
            "missing CSV": missing_csv, "invalid data": invalid_data}
DATA_COMMANDS = ("validate", "build", "serve", "publish", "package")


@pytest.mark.parametrize(("mistake", "command"), [
    (m, c) for m in MISTAKES for c in COMMANDS if m != "invalid data" or c in DATA_COMMANDS])
def test_each_mistake_gets_one_wording_and_exit_code(tmp_path: Path, mistake: str,
                                                     command: str):
    package, line, code = MISTAKES[mistake](tmp_path)
    result = CliRunner().invoke(cli, args(command, str(package), tmp_path / "out"))
    assert result.exit_code == code, result.output
    assert line in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists() or command == "package"


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "diff"])
def test_outside_a_package_folder_the_commands_say_to_pass_a_path(tmp_path: Path,
                                                                   monkeypatch, command: str):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, args(command, None, tmp_path / "out"))
    assert result.exit_code == 2
    assert result.output == (f"Error: no data package in {tmp_path}: pass its folder or "
                             "datapackage.json as PACKAGE\n")
