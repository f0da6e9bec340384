"""The `semicon` command group: each command lives in a module of its own, loaded when used."""

from __future__ import annotations

import atexit
import functools
import gc
import sys
from importlib import import_module

import click
from semicon.schemas.interrupts import is_interrupt

from .internal import DEBUG, INTERNAL_ERROR, report_internal_error

#: the exit code of a command stopped with Ctrl+C (128 + SIGINT, as shells report it)
INTERRUPTED = 130

COMMANDS = {
    "validate": "semicon.cli.validate:validate",
    "build": "semicon.cli.build:build",
    "serve": "semicon.cli.serve:serve",
    "package": "semicon.cli.package:package",
    "diff": "semicon.cli.diff:diff",
    "publish": "semicon.cli.serve:publish",
    "sync": "semicon.cli.sync:sync",
    "coverage": "semicon.cli.coverage:coverage",
}


@functools.cache
def skip_last_collection() -> None:
    """Freeze every object once the command has ended, before the interpreter exits.

    Python's finalization walks every object the run created (the imported modules, the
    findings, DuckDB's results) in a last garbage collection: 12-25 ms after a 1M-row
    validation, a third of the time its checks take. The process is about to end and
    the operating system frees its memory whatever the collector does; ``gc.freeze()``
    puts every object out of the collector's reach. Registered when the first command
    starts, it runs after every other exit handler (Python runs them last registered
    first). Files are closed by the code that writes them (``with``), never left to
    the collector."""
    atexit.register(_freeze)


def _freeze() -> None:
    """:func:`gc.freeze`, unless the ``duckdb`` package (not only its engine) was
    imported: its binding (nanobind) counts the package's objects still alive when the
    engine module is torn down and prints each as a leak, and some of them are freed by
    that last collection only (tests/test_exit.py)."""
    if "duckdb" not in sys.modules:
        gc.freeze()


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command runs.

    `semicon validate` then starts without loading Datasette, pyarrow or the build code.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(import_module(module), attr)

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; where it ends is decided here, for every command alike.

        A user's mistake is a :class:`click.ClickException` (``SemiconError`` is one), which
        Click prints as one line; Ctrl+C ends with exit code 130 and one line (outputs are
        written to temporary files and renamed when complete, so an interrupted command
        leaves the previous ones as they were); any other exception is a bug: one line
        naming it and exit code 2, its traceback only with ``--debug``.
        """
        skip_last_collection()
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except (KeyboardInterrupt, Exception) as exc:
            if is_interrupt(exc):  # DuckDB's interrupted query too
                click.echo("semicon: interrupted; nothing was changed", err=True)
                ctx.exit(INTERRUPTED)
            if ctx.meta.get(DEBUG):
                raise
            report_internal_error(ctx.invoked_subcommand, exc)
            ctx.exit(INTERNAL_ERROR)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(None, "--version", package_name="semicon-nl", prog_name="semicon")
def cli() -> None:
    """Validate, build and publish the semicon-nl data package.

    \b
    The usual order:
      semicon validate     check datapackage/ (exit 0 valid, 1 invalid, 2 unusable)
      semicon build        write DuckDB, SQLite, Parquet and Datasette metadata to dist/
      semicon serve        build if stale, then serve the site on 127.0.0.1:8001
      semicon package      write the release zip developers download
      semicon diff A B     what changed between two releases
      semicon publish      write a self-contained Datasette deploy folder
      semicon sync         regenerate datapackage.json from schemas/ and the CSVs
      semicon coverage     which sentences of the source documents no row quotes
    """
