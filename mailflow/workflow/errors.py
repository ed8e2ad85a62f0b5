"""Why a staff command on a round was refused: one exception class per reason."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailflow.domain import Phase
    from mailflow.workflow.state import RoundState


class WorkflowError(Exception):
    """A staff command that cannot be carried out; the message is shown to staff as is."""


class InvalidTransition(WorkflowError):
    def __init__(self, src: RoundState, dst: RoundState) -> None:
        self.src = src
        self.dst = dst
        super().__init__(f"a round cannot move from {src.value} to {dst.value}")


class NaiveDatetime(WorkflowError):
    def __init__(self, what: str, value: datetime) -> None:
        self.what = what
        super().__init__(
            f"{what} {value.isoformat()} has no timezone; give it in the committee's "
            "timezone (for example 2021-01-13T23:59:59+09:00)"
        )


class DeadlineOrderError(WorkflowError):
    """The deadlines would no longer run ① < ② < ③ < ④."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"deadlines must run ① < ② < ③ < ④: {detail}")


class DeadlineInPast(WorkflowError):
    def __init__(self, phase: Phase, new: datetime, now: datetime) -> None:
        self.phase = phase
        super().__init__(
            f"the new {phase.mark} deadline {new.isoformat()} is not after now ({now.isoformat()})"
        )


class PhaseClosed(WorkflowError):
    """The phase is over: its bundles or mails have gone out."""

    def __init__(self, phase: Phase, state: RoundState) -> None:
        self.phase = phase
        self.state = state
        super().__init__(f"phase {phase.mark} is already closed (the round is {state.value})")


class NotEveryoneReplied(WorkflowError):
    """Early closing needs every reply in; `missing` names who has not replied."""

    def __init__(self, phase: Phase, missing: Iterable[str]) -> None:
        self.phase = phase
        self.missing = tuple(sorted(missing))
        super().__init__(
            f"phase {phase.mark} cannot close early: no reply yet from {', '.join(self.missing)}"
        )


class NothingToClose(WorkflowError):
    def __init__(self, state: RoundState) -> None:
        self.state = state
        super().__init__(
            f"a round that is {state.value} has no members' phase to close early "
            "(departments' phases close by themselves once every item is answered)"
        )


class RoundNotReady(WorkflowError):
    """`open_round` found the round incomplete; `problems` lists what to fix."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("the round cannot be opened: " + "; ".join(self.problems))


class CannotDelegate(WorkflowError):
    def __init__(self, member: str, why: str) -> None:
        self.member = member
        super().__init__(f"the decision cannot be delegated to {member}: {why}")
