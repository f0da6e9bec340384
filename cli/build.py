"""`semicon build`: validate the package, then write DuckDB, SQLite, Parquet and metadata.

Exit codes: 0 built or already up to date; 1 the package is invalid, the parity check failed,
or the outputs could not be written (previous outputs are kept); 2 another build holds the
output folder's lock, the command line is wrong, or an internal error (a bug: one line, its
traceback with --debug); 130 interrupted with Ctrl+C (previous outputs are kept).
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

import click
from semicon.build.errors import ValidationFailed
from semicon.build.pipeline import BuildResult, build_package
from semicon.cli.internal import debug_enabled
from semicon.cli.options import debug_option, out_option, package_argument
from semicon.schemas.errors import SemiconError
from semicon.schemas.interrupts import reraise_interrupt


def _summary(result: BuildResult) -> str:
    if result.skipped:
        return f"Up to date: {result.out_dir} (inputs unchanged; use --force to rebuild)"
    rows = sum(result.rows.values())
    lines = [
        f"Built {result.package} into {result.out_dir}: {len(result.rows)} tables, "
        f"{rows:,} rows in {result.timings.get('total', 0):.2f} s"
    ]
    for key, path in result.outputs.items():
        if not key.startswith("parquet:"):
            lines.append(f"  {key:<9} {path}")
    parquet = [p for k, p in result.outputs.items() if k.startswith("parquet:")]
    if parquet:
        lines.append(f"  parquet   {parquet[0].parent}/ ({len(parquet)} files)")
    return "\n".join(lines)


@click.command("build")
@package_argument
@out_option("Output folder.")
@click.option("--force", is_flag=True, help="Rebuild even when the inputs are unchanged.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary; errors only.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
@debug_option
def build(package: Path, out_dir: Path, force: bool, quiet: bool, as_json: bool) -> None:
    """Validate PACKAGE and build DuckDB, SQLite (Datasette), Parquet and metadata.

    PACKAGE defaults to datapackage/datapackage.json. Outputs replace the previous ones
    only after a parity check (row counts, keys, content hashes) passes; an invalid
    package prints the validation report and writes nothing. When nothing changed since
    the last build, it says "Up to date" and does no work.

    Exit codes: 0 built or up to date, 1 invalid package or failed build (previous outputs
    kept), 2 another build holds the output folder, bad usage or an internal error, 130
    interrupted (Ctrl+C; previous outputs kept).

    \b
    Examples:
      semicon build                      # dist/semicon-nl.{duckdb,db}, dist/parquet/
      semicon build --force --json       # rebuild, print a JSON summary
    """
    progress = not quiet and not as_json and sys.stderr.isatty()
    result = run_build(package, out_dir, force=force, progress=progress, as_json=as_json)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
    elif not quiet:
        click.echo(_summary(result))


def run_build(
    package: Path,
    out_dir: Path,
    *,
    force: bool = False,
    progress: bool = False,
    as_json: bool = False,
) -> BuildResult:
    """Build, or print a clear error and exit with the build's exit code (never a traceback:
    an unexpected exception is reported by the command group as every command's is).

    Shared by `build`, `serve` and `publish`.
    """
    try:
        return build_package(package, out_dir, force=force, progress=progress)
    except SemiconError as exc:  # worded by click (ValidationFailed shows its findings)
        if debug_enabled() and not isinstance(exc, ValidationFailed):
            traceback.print_exc()
        _emit_error(as_json, exc)
        raise
    except Exception as exc:  # the JSON summary says so too; the group reports it
        reraise_interrupt(exc)
        _emit_error(as_json, exc)
        raise


def _emit_error(as_json: bool, exc: BaseException) -> None:
    if as_json:
        click.echo(json.dumps({"ok": False, "error": str(exc)}))
