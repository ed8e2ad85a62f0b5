"""The committee's settings as the phase machine reads them (`[policy]` in the config)."""

from __future__ import annotations

from mailflow.config import Config
from mailflow.workflow import LatePolicy, Policy, UnansweredPolicy


def policy_of(config: Config) -> Policy:
    p = config.policy
    return Policy(
        reminder_offsets=tuple(p.reminder_offsets),
        approval_required=p.approval.value == "staff",
        late=LatePolicy.HOLD_FOR_STAFF if p.late_mail == "hold" else LatePolicy.ACCEPT,
        unanswered=(
            UnansweredPolicy.WAIT_FOR_STAFF
            if p.unanswered_at_distribution == "wait"
            else UnansweredPolicy.MARK_PENDING
        ),
        anonymous=config.minutes.anonymous,
    )
