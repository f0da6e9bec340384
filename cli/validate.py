"""``semicon validate``: check a data package (descriptor, files, rows, keys, rules)."""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from semicon.schemas.model import Package, load_package

if TYPE_CHECKING:  # pragma: no cover
    from semicon.schemas.validation.report import Report

from .options import (
    debug_option,
    format_option,
    max_errors_option,
    output_option,
    package_argument,
    quiet_option,
    severity_option,
    write_report,
)


def _validate_on_spark(package: Path, **options):
    from semicon.schemas.validation.spark import validate_package_spark
    from semicon.schemas.validation.spark.session import java_missing, spark_missing

    reason = spark_missing() or java_missing()
    if reason:
        click.echo(f"semicon validate: --engine spark: {reason}", err=True)
        sys.exit(2)
    return validate_package_spark(Path(package), **options)


def _validate_on_duckdb(package: Path, source: Path | Package, **options: Any) -> Report:
    """``validate_package``; for a release (zip or unzipped folder) also its checksums and
    databases, the release read once."""
    from semicon.schemas.validation import validate_package

    if not _may_be_release(package):
        return validate_package(source, **options)
    from semicon.build.release_check import release_findings, release_package

    source, release = release_package(package)
    # unzipped to a new folder each time: nothing to reuse
    report = validate_package(source, **{**options, "cache": False})
    if release is not None:
        report.findings += release_findings(release.base_dir)
        report.sort()
    return report


def _may_be_release(path: Path) -> bool:
    """A zip, or a folder holding ``SHA256SUMS``: only then are the release checks loaded."""
    if path.is_dir():
        return (path / "SHA256SUMS").is_file()
    return path.is_file() and zipfile.is_zipfile(path)


def _use_color(output: str | None) -> bool:
    if output or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


@click.command("validate", context_settings={"help_option_names": ["-h", "--help"]})
@package_argument
@format_option
@output_option
@max_errors_option
@severity_option
@click.option("--pandera", "pandera_schemas", is_flag=True,
              help="Also run the pandera schemas generated from the Table Schemas "
              "(a cross-check; slower).")
@click.option("--allow-python", is_flag=True,
              help="Run the package's python rules (its own code); without this flag "
              "they are reported as skipped.")
@click.option("--allow-remote", is_flag=True,
              help="Fetch https:// resource paths (at most 100 MB and 30 s each); without "
              "this flag they are refused.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb",
              show_default=True,
              help="Where the rows are checked: DuckDB on this machine, or Apache Spark "
              "(the 'spark' extra; docs/spark.md).")
@click.option("--master", metavar="URL",
              help="Spark master (default: SPARK_REMOTE for Spark Connect, else local[*]).")
@click.option("--data-root", metavar="URI",
              help="Read the resource files under URI (s3a://, abfss://, hdfs://...) "
              "instead of the package folder (--engine spark).")
@click.option("--no-cache", is_flag=True, envvar="SEMICON_NO_CACHE",
              help="Validate again even when the package, its files, the options and "
              "semicon are unchanged since a validation whose findings are kept (in "
              "$XDG_CACHE_HOME/semicon-nl/reports).")
@quiet_option
@debug_option
def validate(package: Path, fmt: str, output: str | None, max_errors: int | None,
             severities: dict[str, str], pandera_schemas: bool, allow_python: bool,
             allow_remote: bool, engine: str, master: str | None, data_root: str | None,
             no_cache: bool, quiet: bool) -> None:
    """Validate PACKAGE (default: datapackage/datapackage.json).

    Checks the descriptor and files, every row against its Table Schema (the findings
    `frictionless validate` gives, with the CSV line of each), what frictionless misses
    (broken CSV, NUL bytes, HTML, bad UTF-8, formula injection, unsafe paths), the
    package's 'semicon' declarations against their JSON Schema, and the rules it declares
    there (docs/declarations.md).

    Exit codes: 0 valid (warnings allowed), 1 invalid data, 2 unusable input or usage,
    130 interrupted (Ctrl+C).

    \b
    Examples:
      semicon validate                               # the bundled package
      semicon validate --format github               # annotations in GitHub Actions
      semicon validate --format json -o report.json
      semicon validate --severity formula-injection=warning
      semicon validate dist/semicon-nl-1.0.0.zip     # a release: also its SHA256SUMS
                                                     # and every database against the CSVs
      semicon validate --engine spark --master yarn --data-root s3a://bucket/pkg
    """
    if engine == "duckdb" and (master or data_root):
        raise click.UsageError("--master and --data-root need --engine spark")
    source: Path | Package = Path(package)
    if fmt == "text":  # a package that cannot be read: one line, as every command says it
        source = load_package(Path(package), allow_remote=allow_remote)
    from semicon.schemas.validation import render

    if engine == "spark":
        report = _validate_on_spark(package, master=master, data_root=data_root,
                                    max_errors=max_errors, severities=severities)
    else:
        report = _validate_on_duckdb(
            Path(package), source, max_errors=max_errors, severities=severities,
            progress=not quiet, pandera_schemas=pandera_schemas,
            allow_python=allow_python, allow_remote=allow_remote, cache=not no_cache)
    text = render(report, fmt, color=_use_color(output) and fmt == "text")
    if quiet and report.valid and fmt == "text":
        text = ""
    write_report("validate", text, output)
    sys.exit(report.exit_code)
