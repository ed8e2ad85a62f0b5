"""Error classes shared across layers: the staff-input family, and its exit code.

A staff-input error (`StaffInputError`) says that what staff typed or wrote is wrong: a
round, item, member or department that does not exist, a command the round's phase does
not allow, a bad config or round file. The CLI prints one line per problem and exits 2;
nothing is written, and no mail changes state because of it. A broken *mail* is not a
staff-input error: it is recorded on the mail (`failed`) by the intake.
"""

from __future__ import annotations

from collections.abc import Iterable


class MailflowError(Exception):
    """Base of every error mailflow raises on purpose."""

    exit_code = 1

    @property
    def problems(self) -> list[str]:
        return [str(self)]


class StaffInputError(MailflowError):
    """What staff gave is wrong; exit 2 and nothing written."""

    exit_code = 2


class InputError(StaffInputError):
    """Staff input (config, round file, command arguments) is wrong: one line per problem."""

    def __init__(self, problems: Iterable[str]) -> None:
        self._problems = list(problems)
        super().__init__("\n".join(self._problems))

    @property
    def problems(self) -> list[str]:
        return self._problems


class NotFoundError(StaffInputError):
    """A round, message, item, member or department named by staff does not exist."""


class Refused(StaffInputError):
    """A staff command the current state forbids (a move the phase does not allow, a mail
    that is not waiting for staff); the message says why."""
