"""``semicon coverage``: which sentences of a package's source documents no row quotes."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .options import (
    debug_option,
    output_option,
    package_argument,
    write_report,
)


@click.command("coverage", context_settings={"help_option_names": ["-h", "--help"]})
@package_argument
@click.option("--format", "fmt", type=click.Choice(("text", "json", "markdown")),
              default="text", show_default=True, help="Report format.")
@output_option
@click.option("--exclusions", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Sentences left out by choice (CSV: document, sentence, reason). "
              "Default: the package's semicon.provenance.exclusions, else "
              "coverage-exclusions.csv beside the descriptor.")
@click.option("--fail-under", type=click.FloatRange(0, 100), default=None, metavar="PCT",
              help="Exit 1 when less than PCT percent of the sentences not left out by "
              "choice are quoted.")
@click.option("--verbose", "-v", is_flag=True, help="Text format: list the sentences left "
              "out by choice too.")
@debug_option
def coverage(package: Path, fmt: str, output: str | None, exclusions: Path | None,
             fail_under: float | None, verbose: bool) -> None:
    """Report the sentences of PACKAGE's source documents that no row quotes.

    The documents and the fields that quote them are the ones PACKAGE declares under
    semicon.provenance. A sentence counts as quoted when the rows' quotes cover at least
    20 of its characters (or all of a shorter one); sentences left out by choice are
    listed with their reason in the exclusions file and not counted.

    Exit codes: 0 done (and at or above --fail-under), 1 below --fail-under, 2 unusable
    input, 130 interrupted (Ctrl+C).

    \b
    Examples:
      semicon coverage                          # the bundled package
      semicon coverage --fail-under 100         # in CI
      semicon coverage --format markdown -o docs/coverage.md
    """
    from semicon.schemas.coverage import CoverageError
    from semicon.schemas.coverage import coverage as measure
    from semicon.schemas.coverage_report import render

    try:
        report = measure(Path(package), exclusions)
    except CoverageError as exc:
        click.echo(f"semicon coverage: {exc}", err=True)
        sys.exit(2)
    text = render(report, fmt, verbose=verbose)
    write_report("coverage", text, output)
    if fail_under is not None and report.percent < fail_under:
        click.echo(f"semicon coverage: {report.percent:.1f}% is under {fail_under:g}%",
                   err=True)
        sys.exit(1)
