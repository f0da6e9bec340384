"""`semicon diff OLD NEW`: what changed between two releases, and the version bump it needs."""

from __future__ import annotations

import sys

import click
from semicon.build.pkgdiff import DiffInputError, diff_packages
from semicon.build.pkgdiff_render import FORMATS, render
from semicon.cli.options import debug_option


@click.command("diff")
@click.argument("old", type=str)
@click.argument("new", type=str)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for reading, json for tools, markdown for release notes.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="Rows shown per table and kind of change in text and markdown (0: all).",
)
@debug_option
def diff(old: str, new: str, fmt: str, max_rows: int) -> None:
    """Compare OLD and NEW: each a package folder, a datapackage.json or a release zip.

    Reports tables added or removed; rows added, removed and changed (matched by
    primary key, with old and new values); schema changes; metadata changes. Then
    the semantic version bump the changes need (schema change: major; new rows or
    tables: minor; corrections, removals, metadata: patch) and whether NEW's
    version reflects it.

    Exits 0 whether or not anything changed, 2 when an input cannot be read.

    \b
    Examples:
      semicon diff dist/semicon-nl-1.0.0.zip datapackage
      semicon diff old/ new/ --format markdown > RELEASE_NOTES.md
    """
    try:
        result = diff_packages(old, new)
    except DiffInputError as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(2)
    click.echo(render(result, fmt, max_rows=max_rows), nl=False)
