"""Errors the command reports as one line on stderr, with the exit code they mean."""

from __future__ import annotations

USAGE = 2  # the command line or its values are wrong; nothing was started
FAILED = 1  # a copy (or the local cloud) failed


class CliError(Exception):
    """A problem the user can fix; the message says how."""

    def __init__(self, message: str, exit_code: int = FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(CliError):
    def __init__(self, message: str) -> None:
        super().__init__(message, USAGE)
