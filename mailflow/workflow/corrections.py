"""Staff corrections of a misread reply, decided before anything is written (訂正・移動).

Each ``decide_*`` function looks at the items as the store holds them and either says
what the correction does (a frozen plan the service applies) or raises
:class:`CorrectionRefused` with one line for staff. Nothing here reads the clock or
the database. Who must be told is part of the plan: the member whose item changed ID,
was split, merged or withdrawn (:class:`ChangeKind`), and all members when an answer
they already received is replaced or removed (:attr:`AnswerChange.notify_members`).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mailflow.domain import Phase
from mailflow.domain.states import ItemState
from mailflow.workflow.errors import WorkflowError

# An item staff may still correct: it is part of the round, or waits for staff.
_OPEN = (ItemState.ACTIVE, ItemState.HELD)


class CorrectionRefused(WorkflowError):
    """A correction that cannot be made as asked; the message says why, in one line."""


class ChangeKind(enum.StrEnum):
    """What a staff correction did to a member's item, as the member is told."""

    PLACED = "placed"  # an item without a consultation got one, and its ID
    MOVED = "moved"  # filed under another consultation, with a new ID
    SPLIT = "split"  # cut in two; the second part has a new ID
    MERGED = "merged"  # joined into another item of the member's
    WITHDRAWN = "withdrawn"  # withdrawn by staff


@dataclass(frozen=True)
class ItemSnapshot:
    """An item as the store holds it, as far as a correction needs to know."""

    name: str  # its public ID, or "item 12" while it has none
    state: ItemState
    phase: Phase
    consultation: str | None  # the consultation's key, such as "13"
    text: str
    author: str | None = None  # the member's key

    @property
    def placed(self) -> bool:
        return self.consultation is not None


@dataclass(frozen=True)
class Placement:
    """Put the item in ``consultation``: the same row (place) or a new one (move)."""

    consultation: str
    new_item: bool


@dataclass(frozen=True)
class Split:
    """The item keeps ``first``; a new item of the same consultation gets ``second``."""

    first: str
    second: str


@dataclass(frozen=True)
class Merge:
    """The first item gets ``text``; the second is kept as ``merged`` into it."""

    text: str


@dataclass(frozen=True)
class AnswerChange:
    """Replace (``new_text``) or remove the active answer; tell members if they had it."""

    new_text: str | None
    notify_members: bool


def _open(item: ItemSnapshot, what: str) -> None:
    if item.state not in _OPEN:
        raise CorrectionRefused(f"{item.name} is {item.state.value}: only an active or held "
                                f"item can be {what}")  # fmt: skip


def _known(target: str, consultations: Sequence[str]) -> str:
    key = target.strip()
    if key not in consultations:
        known = ", ".join(consultations) or "none"
        raise CorrectionRefused(f"--consultation: no consultation {target!r} in the round "
                                f"(it has {known})")  # fmt: skip
    return key


def decide_place(item: ItemSnapshot, target: str, consultations: Sequence[str]) -> Placement:
    """An item read with no consultation is given one (and its ID) in place."""
    _open(item, "placed")
    if item.placed:
        raise CorrectionRefused(
            f"{item.name} is already in consultation {item.consultation}: use `item move`"
        )
    return Placement(_known(target, consultations), new_item=False)


def decide_add(target: str, consultations: Sequence[str], phase: int | None) -> str:
    """An item staff file by hand from a member's mail of ① or ③ (what an attachment
    that could not be read says): the consultation it goes to."""
    if phase not in (Phase.QUESTIONS, Phase.FURTHER):
        raise CorrectionRefused("that mail is no member's reply of ① or ③: no item to file")
    return _known(target, consultations)


def decide_move(item: ItemSnapshot, target: str, consultations: Sequence[str]) -> Placement:
    """An item filed under the wrong consultation gets a new ID in the right one.

    The old ID stays, as ``moved`` to the new one: members and departments were told it.
    """
    _open(item, "moved")
    if not item.placed:
        raise CorrectionRefused(f"{item.name} has no consultation yet: use `item place`")
    key = _known(target, consultations)
    if key == item.consultation:
        raise CorrectionRefused(f"{item.name} is already in consultation {key}")
    return Placement(key, new_item=True)


def decide_split(item: ItemSnapshot, at: str) -> Split:
    """Two items read as one are cut where ``at`` begins (its first occurrence)."""
    _open(item, "split")
    if not item.placed:
        raise CorrectionRefused(f"{item.name} has no consultation yet: place it first")
    mark = at.strip()
    where = item.text.find(mark) if mark else -1
    if where < 0:
        raise CorrectionRefused(f"--at: {mark!r} is not in the text of {item.name}")
    first, second = item.text[:where].strip(), item.text[where:].strip()
    if not first:
        raise CorrectionRefused(
            f"--at: {mark!r} is where {item.name} begins: nothing would be left before it"
        )
    return Split(first, second)


def decide_merge(first: ItemSnapshot, second: ItemSnapshot) -> Merge:
    """One item read as two: the second's text joins the first, which keeps its ID."""
    if first.name == second.name:
        raise CorrectionRefused(f"{first.name} cannot be merged into itself")
    _open(first, "merged")
    _open(second, "merged")
    if not first.placed:
        raise CorrectionRefused(f"{first.name} has no consultation yet: place it first")
    if second.placed and second.consultation != first.consultation:
        raise CorrectionRefused(
            f"{first.name} and {second.name} are in consultations {first.consultation} and "
            f"{second.consultation}: move one first"
        )
    if first.phase is not second.phase:
        raise CorrectionRefused(
            f"{first.name} is a {first.phase.mark} item and {second.name} a "
            f"{second.phase.mark} one: they cannot be one item"
        )
    if first.author != second.author:
        raise CorrectionRefused(f"{first.name} and {second.name} have different authors")
    return Merge(f"{first.text.rstrip()}\n{second.text.strip()}")


def decide_withdraw(item: ItemSnapshot) -> None:
    """Staff withdraw an item (a greeting taken for a question, a duplicate)."""
    _open(item, "withdrawn")


def decide_answer_change(
    item: ItemSnapshot, active_answers: int, new_text: str | None, reached_members: bool
) -> AnswerChange:
    """Replace or remove the item's answer; members are told if they already had it.

    ``active_answers`` counts the item's answers in force; with several (a 補足 added
    to an answer), the latest is the one changed.
    """
    if active_answers == 0:
        raise CorrectionRefused(f"{item.name} has no answer to change")
    if new_text is not None and not new_text.strip():
        raise CorrectionRefused("--text: the new answer is empty")
    return AnswerChange(new_text.strip() if new_text is not None else None, reached_members)


def answer_reached_members(
    phase: Phase,
    answered_at: datetime,
    distributed_at: datetime | None,
    supplements: Sequence[datetime],
) -> bool:
    """Whether members already received this answer.

    Members get the ① items' answers in the ② distribution (those in by its cut,
    ``distributed_at``) and later ones in a supplement (each supplement naming the item,
    with when it went). ③ answers go to the chair's digest, not to members.
    """
    if phase is not Phase.QUESTIONS:
        return False
    if distributed_at is not None and answered_at <= distributed_at:
        return True
    return any(answered_at <= at for at in supplements)


def excerpt(text: str, length: int = 40) -> str:
    """The beginning of an item on one line, for notices and staff lists."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else f"{flat[: length - 1]}…"
