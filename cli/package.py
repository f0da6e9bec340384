"""`semicon package`: write the reproducible release zip of the data package."""

from __future__ import annotations

from pathlib import Path

import click
from semicon.build.release import make_release
from semicon.cli.options import debug_option, out_option, package_argument


@click.command("package")
@package_argument
@out_option("Folder the zip is written to.")
@click.option(
    "--build-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with the build outputs (default: the --out folder).",
)
@click.option("--force-build", is_flag=True, help="Rebuild even when the outputs are fresh.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the zip's path.")
@debug_option
def package(
    package: Path, out_dir: Path, build_dir: Path | None, force_build: bool, quiet: bool
) -> None:
    """Write OUT/<name>-<version>.zip from PACKAGE (a folder or datapackage.json).

    The zip holds the CSVs, Parquet files, DuckDB and SQLite databases, the
    files of its other resources (source documents), datapackage.json (with bytes
    and sha256 hash of every file), README.md, LICENSE, CITATION.cff and
    SHA256SUMS. It runs `semicon build` first when the build outputs are missing
    or older than the package. Same inputs give byte-identical files, except the
    DuckDB file (DuckDB writes random identifiers);
    `semicon validate` of the unzipped folder checks it by content.

    \b
    Examples:
      semicon package                       # dist/semicon-nl-1.0.0.zip
      semicon package datapackage --out release/
    """

    def log(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    result = make_release(
        package,
        out_dir,
        build_dir=build_dir,
        force_build=force_build,
        progress=not quiet,
        log=log,
    )
    if quiet:
        click.echo(str(result.zip_path))
        return
    click.echo(f"{result.zip_path}")
    click.echo(f"  sha256 {result.sha256}")
    click.echo(f"  {len(result.files)} files in {result.folder}/:")
    width = max(len(f.path) for f in result.files)
    for f in result.files:
        click.echo(f"    {f.path:<{width}}  {f.size:>12,} bytes")
