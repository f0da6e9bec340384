"""How every command ends on a bug: one line naming the exception and exit code 2.

The command group reports it (:meth:`semicon.cli.main.LazyGroup.invoke`), the one place
a command's run ends; ``--debug`` (:func:`semicon.cli.options.debug_option`) re-raises
it instead, so that Python prints its traceback.
"""

from __future__ import annotations

import click

#: where ``--debug`` is recorded (Click shares ``meta`` with every nested context)
DEBUG = "semicon.debug"
#: the exit code of an internal error, as of unusable input
INTERNAL_ERROR = 2


def remember_debug(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    """``--debug``'s callback: record it for :func:`debug_enabled` and the group."""
    if value:
        ctx.meta[DEBUG] = True
    return value


def debug_enabled() -> bool:
    """Whether the running command was given ``--debug``."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get(DEBUG))


def report_internal_error(command: str | None, exc: BaseException) -> None:
    """The one line printed for an unexpected exception (a bug)."""
    name = f"semicon {command}" if command else "semicon"
    click.echo(f"{name}: internal error: {exc!r} (use --debug for details)", err=True)
