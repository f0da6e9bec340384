"""The one error type every command raises for a user's mistake, with its exit code.

Exit codes: 1 invalid data, 2 unusable input (missing or unreadable descriptor, missing file,
bad usage). Click prints ``Error: <message>`` on standard error and exits with the code, so
the same mistake gets the same line and exit code in every command.
"""

from __future__ import annotations

import click

#: the data was read and is invalid
INVALID_DATA = 1
#: the input cannot be used at all (missing, unreadable, not a data package)
UNUSABLE_INPUT = 2


class SemiconError(click.ClickException):
    """A mistake in the user's input, worded for the user; ``exit_code`` says which kind."""

    exit_code = UNUSABLE_INPUT

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class UnusableInput(SemiconError):
    """The input cannot be read as a data package (exit 2)."""

    exit_code = UNUSABLE_INPUT


class InvalidData(SemiconError):
    """The package was read and its data is invalid (exit 1)."""

    exit_code = INVALID_DATA
