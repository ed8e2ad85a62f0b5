"""Every action the engine can emit has its words for staff."""

from __future__ import annotations

import typing
from datetime import UTC, datetime, timedelta

from mailflow.domain import ItemId, Phase
from mailflow.workflow import actions as act
from mailflow.workflow.describe import _TABLE, describe


def test_every_action_type_is_in_the_table() -> None:
    assert set(typing.get_args(act.Action)) == set(_TABLE)


def test_a_follow_up_bundle_names_the_department() -> None:
    a = act.SendDepartmentBundle(
        "R2-5",
        Phase.QUESTIONS,
        "kodomo",
        datetime(2021, 1, 13, tzinfo=UTC),
        (ItemId.parse("Q13-07"),),
        datetime(2021, 1, 15, tzinfo=UTC),
        followup=True,
    )
    assert describe(a, {"kodomo": "子ども保健・給付課"}) == "① 子ども保健・給付課へ追加送付（1 件）"
    r = act.SendReminder(
        "R2-5", Phase.FURTHER, act.Audience.MEMBERS, ("a", "b"), timedelta(days=1),
        datetime(2021, 1, 20, tzinfo=UTC),
    )  # fmt: skip
    assert describe(r, {}) == "③ 督促: 2 名"


def test_every_action_type_is_applied_and_every_mail_sent_by_a_table() -> None:
    from mailflow.services.mailing import _SENDERS
    from mailflow.services.workflow import _APPLY

    assert set(_APPLY) == set(typing.get_args(act.Action))
    assert set(_SENDERS) == set(typing.get_args(act.Mail))
