"""Errors raised by the build; each carries the exit code the CLI should use."""

from __future__ import annotations

from typing import Any

from semicon.schemas.errors import SemiconError


class BuildError(SemiconError):
    """A build that could not complete; the message is meant for the user."""

    exit_code = 1


class ValidationFailed(BuildError):
    """The package did not validate; ``report`` is the validation engine's report."""

    def __init__(self, report: Any, message: str = "the data package is not valid") -> None:
        super().__init__(message, exit_code=getattr(report, "exit_code", 1) or 1)
        self.report = report

    def show(self, file: Any = None) -> None:
        """The findings (as `semicon validate` words them), then one line."""
        import click
        from semicon.schemas.validation.formats import render

        click.echo(render(self.report, "text"), err=True, nl=False)
        click.echo(f"Error: {self.message}; nothing was written.", err=True)


class ParityError(BuildError):
    """The outputs disagree with the CSVs or with each other."""


class BuildLocked(BuildError):
    """Another build holds the lock on the output folder."""

    exit_code = 2
