"""Render docs/cli.md from the commands' own --help; `python -m tests.cli_reference` rewrites it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from semicon.cli.main import COMMANDS, cli

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def help_text(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], prog_name="semicon", terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output.rstrip() + "\n"


def render() -> str:
    parts = [
        "# Command reference\n",
        "Generated from each command's `--help` by `python -m tests.cli_reference`;",
        "a test fails when this page and the code disagree.\n",
        "## semicon\n",
        "```\n" + help_text() + "```\n",
    ]
    for name in COMMANDS:
        parts += [f"## semicon {name}\n", "```\n" + help_text(name) + "```\n"]
    return "\n".join(parts)


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC}")
