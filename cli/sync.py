"""`semicon sync`: regenerate datapackage.json's resources from the schemas and files."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from semicon.schemas.package import DEFAULT_DESCRIPTOR, sync_descriptor


@click.command()
@click.argument(
    "package",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_DESCRIPTOR,
)
@click.option(
    "--check", is_flag=True, help="Change nothing; exit 1 if the descriptor is out of date."
)
def sync(package: Path, check: bool) -> None:
    """Rewrite PACKAGE's resources from schemas/*.schema.json and the CSV files.

    Every resource's schema, title and description are copied from its Table
    Schema, and its bytes and hash are computed from its file, so that
    datapackage.json never drifts from the single source of truth.

    \b
    Examples:
      semicon sync                 # update datapackage/datapackage.json
      semicon sync --check         # in CI: fail when an update is due
    """
    try:
        changed = sync_descriptor(package, check=check)
    except FileNotFoundError as err:
        click.echo(f"Error: {err.filename}: no such file", err=True)
        sys.exit(2)
    except ValueError as err:
        click.echo(f"Error: {package}: not valid JSON ({err})", err=True)
        sys.exit(2)
    if check:
        if changed:
            click.echo(f"{package} is out of date: run `semicon sync`", err=True)
            sys.exit(1)
        click.echo(f"{package} is up to date")
    else:
        click.echo(f"{package} {'updated' if changed else 'already up to date'}")
