"""docs/cli.md is each command's --help, word for word (sqlite-utils style)."""

from tests.cli_reference import DOC, render


def test_cli_reference_matches_the_commands_help():
    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m tests.cli_reference"
