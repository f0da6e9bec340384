"""Every command ends a bug the same way: one line naming it, exit code 2, no traceback
(the traceback with --debug). The command group is the one place this is decided."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from semicon.cli.main import COMMANDS, cli

BUNDLED = Path(__file__).resolve().parents[1] / "datapackage"

#: command -> (the function it calls that is made to fail, its arguments after the command)
FAILING = {
    "validate": ("semicon.schemas.validation.validate_package", ["{pkg}", "--no-cache"]),
    "build": ("semicon.cli.build.build_package", ["{pkg}", "--out", "{out}"]),
    "serve": ("semicon.cli.build.build_package", ["{pkg}", "--out", "{out}"]),
    "publish": ("semicon.cli.build.build_package", ["{pkg}", "--out", "{out}"]),
    "package": ("semicon.cli.package.make_release", ["{pkg}", "--out", "{out}"]),
    "diff": ("semicon.cli.diff.diff_packages", ["{pkg}", "{pkg}"]),
    "sync": ("semicon.cli.sync.sync_descriptor", ["{pkg}", "--check"]),
    "coverage": ("semicon.schemas.coverage.coverage", ["{pkg}"]),
}


def test_every_command_is_covered():
    assert sorted(FAILING) == sorted(COMMANDS)


def _boom(*args, **kwargs):
    raise RuntimeError("boom")


def _args(command: str, tmp_path: Path) -> list[str]:
    return [command, *(a.format(pkg=BUNDLED, out=tmp_path / "out")
                       for a in FAILING[command][1])]


@pytest.mark.parametrize("command", sorted(FAILING))
def test_a_bug_is_one_line_and_exit_code_2(command, tmp_path, monkeypatch):
    monkeypatch.setattr(FAILING[command][0], _boom)
    result = CliRunner().invoke(cli, _args(command, tmp_path))
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[-1] == (
        f"semicon {command}: internal error: RuntimeError('boom') (use --debug for details)")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", sorted(FAILING))
def test_debug_shows_the_traceback(command, tmp_path, monkeypatch):
    monkeypatch.setattr(FAILING[command][0], _boom)
    result = CliRunner().invoke(cli, [*_args(command, tmp_path), "--debug"])
    assert isinstance(result.exception, RuntimeError)
    assert "internal error" not in result.output


def test_the_build_json_summary_says_so_too(tmp_path, monkeypatch):
    monkeypatch.setattr("semicon.cli.build.build_package", _boom)
    result = CliRunner().invoke(
        cli, ["build", str(BUNDLED), "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 2
    assert result.stdout == '{"ok": false, "error": "boom"}\n'
    assert result.stderr == ("semicon build: internal error: RuntimeError('boom') "
                             "(use --debug for details)\n")


def test_a_user_mistake_is_not_an_internal_error(tmp_path):
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "internal error" not in result.output and "Traceback" not in result.output
