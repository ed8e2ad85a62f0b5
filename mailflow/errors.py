"""Error classes shared across layers: bad input from staff, and its exit code."""

from __future__ import annotations

from collections.abc import Iterable


class MailflowError(Exception):
    """Base of every error mailflow raises on purpose."""


class InputError(MailflowError):
    """Staff input (config, round file, command arguments) is wrong: one line per problem.

    The CLI prints every line and exits 2; nothing is written to the database.
    """

    exit_code = 2

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class NotFoundError(MailflowError):
    """A round, message or item named by staff does not exist."""

    exit_code = 1
