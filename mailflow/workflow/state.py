"""The states of a round (開催回) and the only transitions allowed between them."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Final

from mailflow.domain import Phase
from mailflow.workflow.errors import InvalidTransition


class RoundState(enum.StrEnum):
    """Where a round stands; each value is what the store writes and the audit log shows."""

    DRAFT = "draft"  # configured by staff, nothing sent yet
    COLLECTING_QUESTIONS = "collecting_questions"  # ① members mail 質疑及び意見 until D1
    ANSWERING = "answering"  # ② departments answer the ① bundles until D2
    DISTRIBUTED = "distributed"  # ② all questions and answers sent 一括して全員に
    COLLECTING_FURTHER = "collecting_further"  # ③ members mail further opinions until D3
    RESPONDING = "responding"  # ③ departments answer the ③ items
    AWAITING_DECISION = "awaiting_decision"  # ④ the chair has the digest, 答申 awaited
    DECIDED = "decided"  # every consultation decided and confirmed
    MINUTES_PUBLISHED = "minutes_published"  # 会議録 published; the round is over
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (RoundState.MINUTES_PUBLISHED, RoundState.CANCELLED)

    @property
    def is_open(self) -> bool:
        """True while the round is running: opened, and neither decided nor ended."""
        return self not in (
            RoundState.DRAFT,
            RoundState.DECIDED,
            RoundState.MINUTES_PUBLISHED,
            RoundState.CANCELLED,
        )


_S = RoundState

# Forward only, one step at a time: a tick that finds several deadlines passed walks the
# chain step by step, so the audit log always shows every state the round went through.
_FORWARD: Final = {
    _S.DRAFT: _S.COLLECTING_QUESTIONS,
    _S.COLLECTING_QUESTIONS: _S.ANSWERING,
    _S.ANSWERING: _S.DISTRIBUTED,
    _S.DISTRIBUTED: _S.COLLECTING_FURTHER,
    _S.COLLECTING_FURTHER: _S.RESPONDING,
    _S.RESPONDING: _S.AWAITING_DECISION,
    _S.AWAITING_DECISION: _S.DECIDED,
    _S.DECIDED: _S.MINUTES_PUBLISHED,
}

# A decided round is not cancelled: the 答申 has been given and must reach the minutes.
TRANSITIONS: Final = MappingProxyType(
    {
        s: frozenset(
            ({_FORWARD[s]} if s in _FORWARD else set())
            | ({_S.CANCELLED} if not s.is_final and s is not _S.DECIDED else set())
        )
        for s in RoundState
    }
)
"""For every state, the states it may move to."""

# Which deadline phase a state is waiting on; the phase whose deadline a staff extension
# or an early close of that state concerns.
STATE_PHASE: Final = MappingProxyType(
    {
        _S.COLLECTING_QUESTIONS: Phase.QUESTIONS,
        _S.ANSWERING: Phase.ANSWERS,
        _S.DISTRIBUTED: Phase.ANSWERS,
        _S.COLLECTING_FURTHER: Phase.FURTHER,
        _S.RESPONDING: Phase.FURTHER,
        _S.AWAITING_DECISION: Phase.DECISION,
    }
)

# The state in which each phase's deadline still lies ahead: once a round has moved past
# it, the phase is closed and its deadline can no longer change.
PHASE_OPEN_STATES: Final = MappingProxyType(
    {
        Phase.QUESTIONS: frozenset({_S.DRAFT, _S.COLLECTING_QUESTIONS}),
        Phase.ANSWERS: frozenset({_S.DRAFT, _S.COLLECTING_QUESTIONS, _S.ANSWERING}),
        Phase.FURTHER: frozenset(
            {_S.DRAFT, _S.COLLECTING_QUESTIONS, _S.ANSWERING, _S.DISTRIBUTED, _S.COLLECTING_FURTHER}
        ),
        Phase.DECISION: frozenset(
            {
                _S.DRAFT,
                _S.COLLECTING_QUESTIONS,
                _S.ANSWERING,
                _S.DISTRIBUTED,
                _S.COLLECTING_FURTHER,
                _S.RESPONDING,
                _S.AWAITING_DECISION,
            }
        ),
    }
)


def can_transition(src: RoundState, dst: RoundState) -> bool:
    return dst in TRANSITIONS[src]


def check_transition(src: RoundState, dst: RoundState) -> None:
    """Raise `InvalidTransition` unless `src` → `dst` is in the table."""
    if not can_transition(src, dst):
        raise InvalidTransition(src, dst)


def next_deadline(
    state: RoundState, deadlines: Mapping[Phase, datetime], now: datetime
) -> tuple[Phase, datetime] | None:
    """The deadline staff should watch: the earliest still ahead while the round may
    still move, none once it is decided, its minutes published, or cancelled."""
    if not (state is RoundState.DRAFT or state.is_open):
        return None
    upcoming = sorted((at, ph) for ph, at in deadlines.items() if at > now)
    return (upcoming[0][1], upcoming[0][0]) if upcoming else None
