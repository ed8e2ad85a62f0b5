"""The pure decisions of staff corrections: what each does, and what each refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mailflow.domain import Phase
from mailflow.domain.states import ItemState
from mailflow.workflow.corrections import (
    CorrectionRefused,
    Placement,
    answer_reached_members,
    decide_answer_change,
    decide_merge,
    decide_move,
    decide_place,
    decide_split,
    decide_withdraw,
    excerpt,
)
from mailflow.workflow.corrections import ItemSnapshot as Snap

CONS = ("41", "42")


def snap(name: str = "Q41-02", consultation: str | None = "41", text: str = "", *,
         state: ItemState = ItemState.ACTIVE, phase: Phase = Phase.QUESTIONS,
         author: str | None = "m3") -> Snap:  # fmt: skip
    text = text or "公園の遊具の点検周期を伺いたい。"
    return Snap(name, state, phase, consultation, text, author)


def test_place_gives_an_unplaced_item_its_consultation_in_place() -> None:
    plan = decide_place(snap("item 7", None), " 42 ", CONS)
    assert plan == Placement("42", new_item=False)


@pytest.mark.parametrize(
    ("item", "target", "says"),
    [
        (snap(), "42", "already in consultation 41: use `item move`"),
        (snap("item 7", None), "43", "no consultation '43' in the round (it has 41, 42)"),
        (snap("item 7", None, state=ItemState.WITHDRAWN), "42", "item 7 is withdrawn"),
    ],
)
def test_place_refuses_what_it_cannot_do(item: Snap, target: str, says: str) -> None:
    with pytest.raises(CorrectionRefused, match=says.replace("(", r"\(").replace(")", r"\)")):
        decide_place(item, target, CONS)


def test_move_makes_a_new_item_in_another_consultation() -> None:
    assert decide_move(snap(), "42", CONS) == Placement("42", new_item=True)
    with pytest.raises(CorrectionRefused, match="already in consultation 41"):
        decide_move(snap(), "41", CONS)
    with pytest.raises(CorrectionRefused, match="no consultation yet: use `item place`"):
        decide_move(snap("item 7", None), "42", CONS)
    with pytest.raises(CorrectionRefused, match="Q41-02 is moved"):
        decide_move(snap(state=ItemState.MOVED), "42", CONS)


def test_a_held_item_may_be_moved_and_stays_held_for_staff_to_accept() -> None:
    assert decide_move(snap(state=ItemState.HELD), "42", CONS).new_item


def test_split_cuts_where_the_text_begins_and_trims_both_halves() -> None:
    text = "駐輪場の照明はいつ直りますか。\nまた、案内板の文字が小さいと感じます。"
    plan = decide_split(snap(text=text), "また、")
    assert plan.first == "駐輪場の照明はいつ直りますか。"
    assert plan.second == "また、案内板の文字が小さいと感じます。"


@pytest.mark.parametrize(
    ("at", "says"),
    [("砂場", "is not in the text"), ("公園の", "nothing would be left before it"),
     ("  ", "is not in the text")],
)  # fmt: skip
def test_split_refuses_a_cut_outside_or_at_the_start(at: str, says: str) -> None:
    with pytest.raises(CorrectionRefused, match=says):
        decide_split(snap(), at)


def test_merge_joins_the_second_text_to_the_first() -> None:
    first = snap("Q41-02", text="遊具の点検周期は何か月ですか。")
    second = snap("Q41-03", text="  また点検記録は公開されますか。 ")
    assert decide_merge(first, second).text == (
        "遊具の点検周期は何か月ですか。\nまた点検記録は公開されますか。"
    )
    # an unplaced piece of the same member may join a placed item
    assert decide_merge(first, snap("item 9", None)).text.endswith("伺いたい。")


@pytest.mark.parametrize(
    ("second", "says"),
    [
        (snap("Q41-02"), "cannot be merged into itself"),
        (snap("Q42-01", "42"), "are in consultations 41 and 42: move one first"),
        (snap("Q41-05", phase=Phase.FURTHER), "a ① item and Q41-05 a ③ one"),
        (snap("Q41-04", author="m5"), "have different authors"),
        (snap("Q41-04", state=ItemState.REJECTED), "Q41-04 is rejected"),
    ],
)
def test_merge_refuses_items_that_cannot_be_one(second: Snap, says: str) -> None:
    with pytest.raises(CorrectionRefused, match=says):
        decide_merge(snap("Q41-02"), second)


def test_withdraw_takes_open_items_only() -> None:
    decide_withdraw(snap(state=ItemState.HELD))
    with pytest.raises(CorrectionRefused, match="is merged"):
        decide_withdraw(snap(state=ItemState.MERGED))


def test_answer_change_needs_an_answer_and_a_text() -> None:
    change = decide_answer_change(snap(), 1, "  点検は半年ごとです。 ", reached_members=True)
    assert change.new_text == "点検は半年ごとです。" and change.notify_members
    assert decide_answer_change(snap(), 2, None, reached_members=False).new_text is None
    with pytest.raises(CorrectionRefused, match="has no answer to change"):
        decide_answer_change(snap(), 0, "x", reached_members=False)
    with pytest.raises(CorrectionRefused, match="the new answer is empty"):
        decide_answer_change(snap(), 1, " ", reached_members=False)


T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_an_answer_reached_members_in_the_distribution_or_a_supplement() -> None:
    later = T0 + timedelta(days=1)
    assert answer_reached_members(Phase.QUESTIONS, T0, distributed_at=later, supplements=())
    assert not answer_reached_members(Phase.QUESTIONS, later, distributed_at=T0, supplements=())
    assert answer_reached_members(
        Phase.QUESTIONS, later, distributed_at=T0, supplements=(later + timedelta(hours=1),)
    )
    assert not answer_reached_members(Phase.QUESTIONS, T0, distributed_at=None, supplements=())
    # ③ answers go to the chair's digest, not to members
    assert not answer_reached_members(Phase.FURTHER, T0, distributed_at=later, supplements=())


def test_excerpt_is_one_line_and_short() -> None:
    assert excerpt("一行目\n  二行目") == "一行目 二行目"
    assert excerpt("あ" * 50, 10) == "あ" * 9 + "…"
