"""What members have been shown of each ① item's answer, and the supplements that follow.

The ② distribution shows an item with the answers that had arrived by its cut and still
stood when it was written (a mail shows answers in force), else 「回答準備中」. After it,
an item's answer goes to members in a supplement (回答の追加送付) once it is answered and
what members hold is out of date: the distribution (or the digest) showed it pending,
or an answer they had was withdrawn by staff (`answer remove`, of which they were told)
and the department has answered anew. Answers are spans that are never erased, so what
members were shown can be read back from the facts at any later tick.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mailflow.domain import ItemId, Phase
from mailflow.workflow.actions import (
    Action,
    SendDistribution,
    distribution_key,
    supplement_times,
    supplemented,
)
from mailflow.workflow.facts import ItemFact
from mailflow.workflow.windows import Tick, answers_closed_at, bundled


def shown_pending(
    items: Sequence[ItemFact], cut: datetime, written: datetime
) -> tuple[ItemFact, ...]:
    """Items a mail cut at `cut` and written at `written` shows as 「回答準備中」.

    No answer that arrived by the cut still stood when the mail was written. Written at
    the cut, these are the items owed an answer then; written later (a tick was missed),
    an answer staff removed in between is not shown either, so the item is pending.
    """
    return tuple(
        i
        for i in items
        if i.needs_answer
        and not any(s.since <= cut and (s.until is None or s.until > written) for s in i.answers)
    )


def _withdrawn_since(item: ItemFact, since: datetime) -> datetime | None:
    """The first instant from `since` on at which staff's removal left the item unanswered."""
    ends = sorted(s.until for s in item.answers if s.until is not None and s.until >= since)
    return next((at for at in ends if item.open_at(at)), None)


def supplements(t: Tick) -> list[Action]:
    """The answers members have not had yet, in one supplement per tick that has some.

    An item shown pending goes once it is answered, as before; one whose answer members
    had (in the distribution or a supplement) goes again only after staff withdrew that
    answer and the department answered anew. A staff replacement leaves no gap in the
    item's answers (members get 回答の訂正のお知らせ), so it is no cause for a supplement.
    """
    closed = answers_closed_at(t)
    if closed is None:
        return []
    f = t.facts
    written = f.issued_when(distribution_key(t.tag)) or closed
    items = bundled(f, Phase.QUESTIONS)
    pending = {i.item_id for i in shown_pending(items, closed, written)}
    sent = supplemented(f.issued, t.tag)
    times = supplement_times(f.issued_at, t.tag)
    due: list[ItemId] = []
    renewed: list[tuple[ItemId, datetime]] = []
    for i in items:
        if not i.answered(t.now):
            continue
        ident = str(i.item_id)
        if ident not in sent:
            if i.item_id in pending:
                due.append(i.item_id)
                continue
            told = [written]
        else:
            told = times.get(ident, [])
            if not told:
                continue  # when it went is unknown: never twice
        withdrawn = _withdrawn_since(i, max(told))
        if withdrawn is not None:
            due.append(i.item_id)
            renewed.append((i.item_id, withdrawn))
    if not due:
        return []
    return [
        SendDistribution(
            t.tag, f.present_members, t.now, tuple(due), (), t.policy.anonymous, True,
            tuple(renewed),
        )
    ]  # fmt: skip
