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
        super().__init__(message)
        self.report = report


class ParityError(BuildError):
    """The outputs disagree with the CSVs or with each other."""


class BuildLocked(BuildError):
    """Another build holds the lock on the output folder."""

    exit_code = 2
