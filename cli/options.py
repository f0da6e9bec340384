"""Shared click options, applied as decorators (sqlite-utils style)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from semicon.schemas.errors import UnusableInput
from semicon.schemas.package import DEFAULT_DESCRIPTOR, DEFAULT_OUT

from .internal import remember_debug

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("text", "json", "github", "markdown")


def format_option(fn: F) -> F:
    """``--format text|json|github|markdown`` (default text)."""
    return click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
        help="Report format: text (grouped, coloured on a terminal), json, github "
        "(workflow annotations) or markdown (PR comment / job summary).",
    )(fn)


def output_option(fn: F) -> F:
    """``--output FILE``: write the report to a file instead of stdout."""
    return click.option(
        "--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
        help="Write the report to FILE instead of standard output.",
    )(fn)


def write_report(command: str, text: str, output: str | None) -> None:
    """The rendered report to ``--output`` FILE, else to standard output (exit code 2 when
    the file cannot be written)."""
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            click.echo(f"semicon {command}: cannot write {output}: {exc}", err=True)
            sys.exit(2)
    elif text:
        click.echo(text, nl=False)


def quiet_option(fn: F) -> F:
    return click.option("--quiet", "-q", is_flag=True,
                        help="No progress and no report on success; only the exit code "
                        "and findings.")(fn)


def debug_option(fn: F) -> F:
    """``--debug``: an internal error shows its Python traceback (read with
    :func:`debug_enabled`; the command group reports internal errors, cli/main.py)."""
    return click.option("--debug", is_flag=True, expose_value=False, callback=remember_debug,
                        help="Show the Python traceback of an internal error (never shown "
                        "otherwise).")(fn)


def max_errors_option(fn: F) -> F:
    return click.option("--max-errors", type=click.IntRange(min=1), default=None,
                        metavar="N", help="Report at most N errors.")(fn)


def _parse_severity(ctx: click.Context, param: click.Parameter,
                    values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        code, sep, level = item.partition("=")
        level = level.strip().lower()
        if not sep or not code.strip() or level not in ("error", "warning"):
            raise click.BadParameter(f"{item!r}: expected CODE=error or CODE=warning")
        out[code.strip()] = level
    return out


def severity_option(fn: F) -> F:
    """``--severity CODE=warning`` (repeatable)."""
    return click.option(
        "--severity", "severities", multiple=True, metavar="CODE=LEVEL",
        callback=_parse_severity,
        help="Report CODE as error or warning, e.g. --severity formula-injection=warning "
        "(repeatable).",
    )(fn)



def _default_package(ctx: click.Context, param: click.Parameter,
                     value: Path | None) -> Path:
    """PACKAGE as given, else ``datapackage/datapackage.json`` or ``datapackage.json`` here."""
    if value is not None:
        return value
    for candidate in (DEFAULT_DESCRIPTOR, Path(DEFAULT_DESCRIPTOR.name)):
        if candidate.is_file():
            return candidate
    raise UnusableInput(f"no data package in {Path.cwd()}: pass its folder or "
                        "datapackage.json as PACKAGE")


def package_argument(fn: F) -> F:
    """``[PACKAGE]``: a package folder, descriptor, zip or CSV (default: the one here)."""
    return click.argument(
        "package",
        required=False,
        default=None,
        callback=_default_package,
        type=click.Path(dir_okay=True, path_type=Path),
    )(fn)


def out_option(help: str = "Build output folder.") -> Callable[[F], F]:
    """``--out DIR`` (default ``dist``), the folder the build outputs live in."""
    return click.option(
        "--out",
        "out_dir",
        default=str(DEFAULT_OUT),
        show_default=True,
        type=click.Path(file_okay=False, path_type=Path),
        help=help,
    )
