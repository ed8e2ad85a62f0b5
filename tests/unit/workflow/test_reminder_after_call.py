"""A round opened inside the reminder window: no reminder with the call, the next one after it."""

from __future__ import annotations

from mailflow.workflow import Policy, advance, assume, staff
from mailflow.workflow.actions import SendCallForQuestions, SendReminder
from tests.unit.workflow.world import SEED_DEADLINES, jst, seed_facts


def test_the_first_reminder_is_the_next_one_due_after_the_call() -> None:
    policy = Policy()  # reminders two days and one day before D1 (1/13 end of day)
    opened_at = jst(1, 12, 9)  # inside the two-day window, before the one-day mark
    actions = staff.open_round(seed_facts(), SEED_DEADLINES, policy, opened_at)
    assert any(isinstance(a, SendCallForQuestions) for a in actions)
    assert not any(isinstance(a, SendReminder) for a in actions)
    facts = assume(seed_facts(), actions, opened_at)
    # The same tick again, and an hour later: still no two-day reminder.
    assert advance(facts, SEED_DEADLINES, policy, opened_at) == []
    assert advance(facts, SEED_DEADLINES, policy, jst(1, 12, 10)) == []
    # At the one-day mark the reminder goes, to the members who have not replied.
    [reminder] = advance(facts, SEED_DEADLINES, policy, jst(1, 13, 0, 1))
    assert isinstance(reminder, SendReminder)
    assert reminder.offset.days == 1 and len(reminder.recipients) == 7


def test_a_round_opened_in_the_last_window_sends_no_reminder_at_all() -> None:
    policy = Policy()
    opened_at = jst(1, 13, 9)  # past the one-day mark: no reminder is due after the call
    actions = staff.open_round(seed_facts(), SEED_DEADLINES, policy, opened_at)
    assert not any(isinstance(a, SendReminder) for a in actions)
    facts = assume(seed_facts(), actions, opened_at)
    assert advance(facts, SEED_DEADLINES, policy, jst(1, 13, 20)) == []
