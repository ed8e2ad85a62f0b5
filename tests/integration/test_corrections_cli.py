"""`mailflow item place|move|split|merge|withdraw` and `answer replace|remove` on the seed
round in a real database: what each writes, audits and queues, and one line with exit 2
for every mistake in the command."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.services.context import Services
from mailflow.store import db
from mailflow.store.models import Answer, Item, Outbox, Round, WorkflowAction
from tests.integration import test_items_cli as base

# The seed round in a fresh database, the CLI at a fixed time, as `item show|edit` use.
services, _secret = base.services, base._secret
run, item, events = base.run, base.item, base.events


def outbox(services: Services, kind: str) -> list[Outbox]:
    with db.transaction(services.sessions) as s:
        rows = list(s.scalars(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id)))
        for r in rows:
            s.expunge(r)
        return rows


def unplaced(services: Services, text: str) -> int:
    """An item of 上野委員 read with no consultation, as intake files one."""
    with db.transaction(services.sessions) as s:
        rnd = s.scalars(select(Round)).one()
        ueno = s.get(Item, 3)  # Q13-03 is 上野委員's
        assert ueno is not None
        row = Item(
            round_id=rnd.id, member_id=ueno.member_id, phase=1, kind="question", text=text,
            state="active", received_at=datetime(2021, 1, 11, 3, tzinfo=UTC),
        )  # fmt: skip
        s.add(row)
        s.flush()
        return row.id


def test_place_gives_an_id_tells_the_member_and_leaves_status(
    services: Services, tmp_path: Path
) -> None:
    pk = unplaced(services, "病児保育の予約取消しはいつまでできるのか。")
    r = run(tmp_path, "status", "R2-5")
    assert f"{pk}  上野 節夫  ①  「病児保育の予約取消しはいつまでできるのか。」" in r.stdout
    r = run(tmp_path, "item", "place", str(pk), "--consultation", "14", "--why", "予約の話")
    assert r.exit_code == 0, r.output
    assert f"item {pk} placed in 14 as Q14-16" in r.stdout and "1 mail(s) queued" in r.stdout
    assert "案件未定" not in run(tmp_path, "status", "R2-5").stdout
    (ev,) = events(services, "item_placed")
    assert ev.actor == "staff:narumi" and ev.reason == "予約の話" and ev.detail["new"] == "Q14-16"
    (mail,) = outbox(services, "correction_notice")
    body = mail.raw.decode("ascii")
    assert mail.subject.startswith("[R2-5] ") and "Q14-16" not in mail.subject
    from email import message_from_bytes, policy

    text = message_from_bytes(mail.raw, policy=policy.default).get_body().get_content()  # type: ignore[union-attr]
    assert "[Q14-16] の番号で受け付けました" in text and "上野 節夫 様" in text
    assert "@" not in text and body


def test_move_leaves_the_old_id_pointing_to_the_new(services: Services, tmp_path: Path) -> None:
    r = run(tmp_path, "item", "move", "Q13-07", "--consultation", "14", "--why", "第14号の件")
    assert r.exit_code == 0, r.output
    assert "Q13-07 moved to Q14-16" in r.stdout
    shown = run(tmp_path, "item", "show", "Q13-07").stdout
    assert "moved  question" in shown and "moved to Q14-16" in shown
    new = run(tmp_path, "item", "show", "Q14-16").stdout
    assert "made by staff from Q13-07" in new and "active" in new
    assert item(services, "Q14-16").text == item(services, "Q13-07").text
    export = json.loads(run(tmp_path, "export", "R2-5", "--format", "json").stdout)
    old = next(i for i in export["items"] if i["id"] == "Q13-07")
    assert old["state"] == "moved" and old["moved_to"] == "Q14-16"
    assert next(i for i in export["items"] if i["id"] == "Q14-16")["origin"] == "Q13-07"
    (mail,) = outbox(services, "correction_notice")
    assert mail.state == "approved"


def test_split_and_merge_keep_the_first_id(services: Services, tmp_path: Path) -> None:
    text = item(services, "Q14-03").text  # 「…利用率を伺う。また、申込数…」
    r = run(tmp_path, "item", "split", "Q14-03", "--at", "また、", "--why", "二つの質問")
    assert r.exit_code == 0, r.output
    assert "Q14-03 split: the second part is Q14-16" in r.stdout
    first, second = item(services, "Q14-03"), item(services, "Q14-16")
    assert first.text == "病児保育の受け入れ枠に対し、事業の利用率を伺う。"
    assert second.text.startswith("また、申込数") and first.text + second.text == text
    assert second.state == "active" and second.placed_at is not None
    r = run(tmp_path, "item", "merge", "Q14-03", "Q14-16", "--why", "やはり一つ")
    assert r.exit_code == 0, r.output
    assert item(services, "Q14-16").state == "merged"
    assert item(services, "Q14-03").text == f"{first.text}\n{second.text}"
    assert len(outbox(services, "correction_notice")) == 2  # one per change, to the author


def test_withdraw_by_staff_is_audited_and_the_item_leaves_the_minutes(
    services: Services, tmp_path: Path
) -> None:
    r = run(tmp_path, "item", "withdraw", "Q14-02", "--why", "挨拶文を項目と読んだ")
    assert r.exit_code == 0, r.output
    assert item(services, "Q14-02").state == "withdrawn"
    minutes = run(tmp_path, "minutes", "R2-5", "--format", "md").stdout
    assert "何社くらいあるのか" not in minutes
    (ev,) = [e for e in events(services, "item_withdrawn") if e.detail.get("by_staff")]
    assert ev.reason == "挨拶文を項目と読んだ"


def test_answer_replace_after_the_distribution_tells_every_present_member(
    services: Services, tmp_path: Path
) -> None:
    with db.transaction(services.sessions) as s:
        rnd = s.scalars(select(Round)).one()
        rnd.state = "collecting_further"
        at = datetime(2021, 1, 15, 9, tzinfo=UTC)
        s.add(WorkflowAction(round_id=rnd.id, key="R2-5:distribution:2", applied_at=at))
    r = run(tmp_path, "answer", "replace", "Q14-01", "--text", "近隣では3市が導入済みです。",
            "--why", "所管課から訂正の連絡")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "answer to Q14-01 replaced; 7 member(s) told" in r.stdout
    mails = outbox(services, "answer_correction")
    assert len(mails) == 7
    with db.transaction(services.sessions) as s:
        answers = s.scalars(
            select(Answer).join(Item).where(Item.public_id == "Q14-01").order_by(Answer.id)
        ).all()
        assert [a.state for a in answers] == ["replaced", "active"]
        assert answers[0].replaced_by_id == answers[1].id
        assert answers[1].received_at == answers[0].received_at  # the windows stay as they were
    minutes = run(tmp_path, "minutes", "R2-5", "--format", "md").stdout
    assert "近隣では3市が導入済みです。" in minutes
    export = json.loads(run(tmp_path, "export", "R2-5", "--format", "json").stdout)
    states = [a["state"] for a in export["answers"] if a["item"] == "Q14-01"]
    assert states == ["replaced", "active"]


def test_answer_remove_before_any_distribution_tells_nobody(
    services: Services, tmp_path: Path
) -> None:
    r = run(tmp_path, "answer", "remove", "Q14-02", "--why", "古い回答")
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == "answer to Q14-02 removed"
    assert outbox(services, "answer_correction") == []
    r = run(tmp_path, "answer", "remove", "Q14-02", "--why", "もう一度")
    assert r.exit_code == 2 and "Q14-02 has no answer to change" in r.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["item", "move", "Q13-99", "--consultation", "14", "--why", "x"], "no item Q13-99"),
        (["item", "move", "Q13-01", "--consultation", "15", "--why", "x"],
         "no consultation '15' in the round (it has 13, 14)"),
        (["item", "move", "Q13-01", "--consultation", "14", "--why", " "],
         "--why: give the reason"),
        (["item", "place", "Q13-01", "--consultation", "14", "--why", "x"],
         "already in consultation 13: use `item move`"),
        (["item", "split", "Q13-01", "--at", "存在しない語", "--why", "x"], "is not in the text"),
        (["item", "merge", "Q13-01", "Q14-01", "--why", "x"], "move one first"),
        (["item", "withdraw", "X-1", "--why", "x"], "neither an item ID"),
        (["answer", "replace", "Q13-25", "--text", "t", "--why", "x"], "has no answer to change"),
        (["answer", "replace", "Q13-01", "--text", "t", "--why", "x", "--round", "R9-9"],
         "no item Q13-01 in round R9-9"),
    ],
)  # fmt: skip
def test_mistakes_exit_2_with_one_line_and_change_nothing(
    services: Services, tmp_path: Path, args: list[str], says: str
) -> None:
    r = run(tmp_path, *args)
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0]
    assert "Traceback" not in r.output
    assert outbox(services, "correction_notice") == []
    assert item(services, "Q13-01").state == "active"


def test_no_correction_once_the_minutes_are_published(services: Services, tmp_path: Path) -> None:
    with db.transaction(services.sessions) as s:
        s.scalars(select(Round)).one().state = "minutes_published"
    r = run(tmp_path, "item", "withdraw", "Q13-01", "--why", "遅すぎる")
    assert r.exit_code == 2
    assert r.stderr.strip() == "error: round R2-5 is minutes_published: its record is closed"
    assert item(services, "Q13-01").state == "active"


def test_a_quiet_round_wakes_to_alert_an_item_read_with_no_consultation(
    services: Services,
) -> None:
    from mailflow.services.workflow import tick

    with db.transaction(services.sessions) as s:  # decided: nothing falls due any more
        rnd = s.scalars(select(Round)).one()
        rnd.state = "decided"
    tick(services)
    tick(services)  # nothing new: the round is quiet and not read again
    assert rnd.id in services.quiet_rounds
    pk = unplaced(services, "病児保育の予約取消しはいつまでできるのか。")
    tick(services)  # the new row moved the round's marks: read again, alerted once
    key = f"R2-5:alert:unplaced_item:item-{pk}"
    with db.transaction(services.sessions) as s:
        keys = list(s.scalars(select(WorkflowAction.key).where(WorkflowAction.key == key)))
    assert keys == [key]
