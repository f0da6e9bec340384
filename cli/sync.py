"""`semicon sync`: regenerate a package's resources from its Table Schemas and files."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from semicon.cli.options import debug_option, package_argument
from semicon.schemas.package import sync_descriptor


@click.command()
@package_argument
@click.option(
    "--schemas", "schemas", default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the Table Schema files (<table>.schema.json); default: a schemas/ "
    "folder inside or beside the package folder.",
)
@click.option(
    "--check", is_flag=True, help="Change nothing; exit 1 if the descriptor is out of date."
)
@debug_option
def sync(package: Path, schemas: Path | None, check: bool) -> None:
    """Rewrite PACKAGE's resources from its Table Schemas and files.

    Every table whose Table Schema file (<table>.schema.json) is in the schema folder
    gets that schema, title and description; every file listed gets its bytes and
    hash. The package's other properties, resources that are not tables (a source
    document) and schemas given by path are kept. The schema folder is --schemas, else
    a schemas/ folder inside or beside the package folder (never the tool's own copy);
    without one, only bytes and hashes are updated.

    \b
    Examples:
      semicon sync                 # update datapackage/datapackage.json
      semicon sync path/to/package --schemas path/to/schemas
      semicon sync --check         # in CI: fail when an update is due
    """
    changed = sync_descriptor(package, schemas=schemas, check=check)
    if check:
        if changed:
            click.echo(f"{package} is out of date: run `semicon sync`", err=True)
            sys.exit(1)
        click.echo(f"{package} is up to date")
    else:
        click.echo(f"{package} {'updated' if changed else 'already up to date'}")
