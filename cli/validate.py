"""``semicon validate``: check a data package (descriptor, files, rows, keys, rules)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from semicon.schemas.interrupts import reraise_interrupt
from semicon.schemas.model import Package, load_package

from .options import (
    debug_option,
    format_option,
    max_errors_option,
    output_option,
    package_argument,
    quiet_option,
    severity_option,
)


def _validate_on_spark(package: Path, **options):
    from semicon.schemas.validation.spark import validate_package_spark
    from semicon.schemas.validation.spark.session import java_missing, spark_missing

    reason = spark_missing() or java_missing()
    if reason:
        click.echo(f"semicon validate: --engine spark: {reason}", err=True)
        sys.exit(2)
    return validate_package_spark(Path(package), **options)


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
@quiet_option
@debug_option
def validate(package: Path, fmt: str, output: str | None, max_errors: int | None,
             severities: dict[str, str], pandera_schemas: bool, allow_python: bool,
             allow_remote: bool, engine: str, master: str | None, data_root: str | None,
             quiet: bool, debug: bool) -> None:
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
    try:
        from semicon.build.release_check import release_findings, release_package
        from semicon.schemas.validation import render, validate_package

        if engine == "spark":
            report = _validate_on_spark(package, master=master, data_root=data_root,
                                        max_errors=max_errors, severities=severities)
        else:
            # a release (zip or unzipped folder): read once, then its checksums and databases
            source, release = release_package(Path(package))
            report = validate_package(
                source, max_errors=max_errors, severities=severities,
                progress=not quiet, pandera_schemas=pandera_schemas,
                allow_python=allow_python, allow_remote=allow_remote,
            )
            if release is not None:
                report.findings += release_findings(release.base_dir)
                report.sort()
        text = render(report, fmt, color=_use_color(output) and fmt == "text")
    except Exception as exc:  # an internal error: no traceback unless --debug
        reraise_interrupt(exc)
        if debug:
            raise
        click.echo(f"semicon validate: internal error: {exc!r} (use --debug for details)",
                   err=True)
        sys.exit(2)
    if quiet and report.valid and fmt == "text":
        text = ""
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            click.echo(f"semicon validate: cannot write {output}: {exc}", err=True)
            sys.exit(2)
    elif text:
        click.echo(text, nl=False)
    sys.exit(report.exit_code)
