"""An answer staff removed counted while it stood: the round's timing reads spans, not a time."""

from __future__ import annotations

from datetime import datetime

from mailflow.domain import Phase
from mailflow.domain.states import AnswerState
from mailflow.workflow import AlertKind, Audience, Policy, RoundState
from mailflow.workflow.actions import SendDistribution, SendReminder, StaffAlert
from mailflow.workflow.facts import AnswerSpan, ItemFact
from mailflow.workflow.staff import open_round
from mailflow.workflow.windows import Tick, answers_closed_at

from .world import Item, World, jst, q

QS = Phase.QUESTIONS


def test_an_item_is_answered_only_while_an_answer_stands() -> None:
    removed = AnswerSpan.of(jst(1, 14, 10), AnswerState.REMOVED, jst(1, 14, 12))
    item = ItemFact(q("Q13-01"), QS, jst(1, 7), answers=(removed,))
    assert not item.answered(jst(1, 14, 9)) and item.open_at(jst(1, 14, 9))
    assert item.answered(jst(1, 14, 11)) and not item.open_at(jst(1, 14, 11))
    assert item.open_at(jst(1, 14, 12))  # owed again from the removal on
    assert item.answer_instants == (jst(1, 14, 10), jst(1, 14, 12))
    # Staff replaced it at 12:00: the replacement keeps the arrival, there is no gap.
    old = AnswerSpan.of(jst(1, 14, 10), AnswerState.REPLACED, jst(1, 14, 12))
    new = AnswerSpan.of(jst(1, 14, 10), AnswerState.ACTIVE, jst(1, 14, 12))
    replaced = ItemFact(q("Q13-01"), QS, jst(1, 7), answers=(old, new))
    assert all(replaced.answered(jst(1, 14, h)) for h in (10, 12, 23))


def _round(**kodomo: object) -> World:
    """Q13-01 (kodomo) answered 1/14 10:00, with ``kodomo``'s removal and answer again;
    Q14-01 (hoiku, joho) answered 1/14 15:00."""
    w = World(policy=Policy())
    w.apply(open_round(w.facts, w.deadlines, w.policy, jst(1, 5)), jst(1, 5))
    q13 = Item(q("Q13-01"), QS, jst(1, 7), jst(1, 14, 10), **kodomo)  # type: ignore[arg-type]
    w.reply(jst(1, 7), QS, "ishida", q13)
    w.reply(jst(1, 8), QS, "ueno", Item(q("Q14-01"), QS, jst(1, 8), jst(1, 14, 15)))
    return w


def _closed(w: World, now: datetime) -> datetime | None:
    return answers_closed_at(Tick(w.facts_at(now), w.deadlines, w.policy, now))


def test_a_removal_after_the_close_leaves_the_window_closed() -> None:
    w = _round(removed_at=jst(1, 14, 18))
    assert _closed(w, jst(1, 14, 17)) == jst(1, 14, 15)
    # Read after the removal, the facts still say every answer was in at 15:00.
    assert _closed(w, jst(1, 14, 19)) == jst(1, 14, 15)
    w.run(jst(1, 5, 11), jst(1, 16, 1))
    [(_, dist)] = w.of(SendDistribution)
    assert dist.window_end == jst(1, 14, 15) and dist.pending_ids == ()


def test_a_removal_before_the_close_keeps_the_item_owed() -> None:
    w = _round(removed_at=jst(1, 14, 12))
    assert _closed(w, jst(1, 14, 16)) is None  # Q13-01 was owed again when Q14-01 came
    w.run(jst(1, 5, 11), jst(1, 16, 1))
    reminders = [(t, r.recipients) for t, r in w.of(SendReminder)
                 if r.audience is Audience.DEPARTMENTS]  # fmt: skip
    assert reminders == [(jst(1, 15, 0), ("kodomo",))]
    [unanswered] = [a for _, a in w.of(StaffAlert) if a.kind is AlertKind.UNANSWERED]
    assert unanswered.items == ("Q13-01",)
    [(_, dist)] = w.of(SendDistribution)
    assert dist.pending_ids == (q("Q13-01"),)  # 「回答準備中」


def test_the_departments_answer_after_a_removal_counts() -> None:
    w = _round(removed_at=jst(1, 14, 12), answered_again_at=jst(1, 15, 9))
    w.run(jst(1, 5, 11), jst(1, 15, 12))
    assert _closed(w, jst(1, 15, 12)) == jst(1, 15, 9)
    assert RoundState.DISTRIBUTED in w.states()
    [(_, dist)] = w.of(SendDistribution)
    assert dist.pending_ids == () and dist.window_end == jst(1, 15, 9)


def _supplements(w: World) -> list[tuple[datetime, SendDistribution]]:
    return [(t, d) for t, d in w.of(SendDistribution) if d.supplement]


def test_a_new_answer_after_members_lost_the_old_one_follows_as_a_supplement_once() -> None:
    # Members had Q13-01's answer in the distribution of 1/14 15:00; staff withdrew it.
    w = _round(removed_at=jst(1, 16, 12), answered_again_at=jst(1, 17, 9, 30))
    w.run(jst(1, 5, 11), jst(1, 19, 0))
    [(_, dist)] = [(t, d) for t, d in w.of(SendDistribution) if not d.supplement]
    assert dist.pending_ids == ()
    [(t, supplement)] = _supplements(w)
    assert t == jst(1, 17, 10) and supplement.item_ids == (q("Q13-01"),)
    assert supplement.renewed == ((q("Q13-01"), jst(1, 16, 12)),)
    assert supplement.window_end == t  # the new answer, not the withdrawn one, is read
    assert supplement.key == "R2-5:distribution:2:supplement:Q13-01@20210116T030000Z"


def test_every_withdrawal_of_an_answer_members_had_is_followed_by_its_own_supplement() -> None:
    w = _round()
    q14 = w.items[1]
    q14.answered_at = jst(1, 18, 10)  # after ②'s date: the distribution marks it pending
    q14.removed_at = jst(1, 18, 12)
    q14.later = ((jst(1, 19, 9, 30), jst(1, 19, 11)), (jst(1, 19, 15, 30), None))
    w.run(jst(1, 5, 11), jst(1, 20, 0))
    [(_, dist)] = [(t, d) for t, d in w.of(SendDistribution) if not d.supplement]
    assert dist.pending_ids == (q("Q14-01"),)
    sent = [(t, d.item_ids, d.renewed) for t, d in _supplements(w)]
    assert sent == [
        (jst(1, 18, 10), (q("Q14-01"),), ()),
        (jst(1, 19, 10), (q("Q14-01"),), ((q("Q14-01"), jst(1, 18, 12)),)),
        (jst(1, 19, 16), (q("Q14-01"),), ((q("Q14-01"), jst(1, 19, 11)),)),
    ]
    assert len({d.key for _, d in _supplements(w)}) == 3


def test_a_distribution_written_after_a_removal_marks_the_item_pending() -> None:
    # Every answer was in at 1/14 12:30, but no tick ran until 14:00; staff removed
    # Q13-01's answer at 13:00 in between.
    w = _round(removed_at=jst(1, 14, 13), answered_again_at=jst(1, 15, 9))
    w.items[1].answered_at = jst(1, 14, 12, 30)
    w.run(jst(1, 5, 11), jst(1, 14, 12))
    w.tick(jst(1, 14, 14))
    [(_, dist)] = w.of(SendDistribution)
    assert dist.window_end == jst(1, 14, 12, 30)
    assert dist.pending_ids == (q("Q13-01"),)  # the mail shows no answer for it: 「回答準備中」
    w.tick(jst(1, 15, 10))
    [(_, supplement)] = _supplements(w)
    # Members were shown it pending, never the withdrawn answer: a plain supplement.
    assert supplement.item_ids == (q("Q13-01"),) and supplement.renewed == ()


def test_a_replaced_answer_leaves_no_gap_and_sends_no_supplement() -> None:
    w = _round(removed_at=jst(1, 16, 12), later=((jst(1, 14, 10), None),))
    w.run(jst(1, 5, 11), jst(1, 19, 0))
    assert _supplements(w) == []
