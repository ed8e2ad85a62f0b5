"""Workflow scenarios of the seed round through real SMTP: dates moved, phases closed early,
reminders, a silent department, a half-decided chair, late mail and corrections by reply.

Each test drives the CLI with --now as staff would, sends every queued mail through
aiosmtpd, builds replies from the bytes that arrived there as the member's client would,
and checks the mails that went out and the records.
"""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select

from mailflow.cli import _register
from mailflow.cli.app import cli
from mailflow.parsing.mime import decode
from mailflow.store.db import make_engine
from mailflow.store.models import Answer, Event, Item, ItemCorrection, Message, Round
from tests.harness.clients import STYLES, gmail
from tests.harness.smtp_server import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
JST = ZoneInfo("Asia/Tokyo")
MEMBERS = ("aoki", "ishida", "ueno", "eto", "okada", "kato", "kimura")
STAFF = "joho-kokai@city.example.jp"
_register()


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2021, month, day, hour, minute, tzinfo=JST)


class World:
    """The example committee with its policy set per test, its mail hub and its people."""

    def __init__(self, tmp: Path, smtp: SmtpServer, policy: str, absent: str) -> None:
        self.tmp, self.smtp, self.n = tmp, smtp, 0
        text = (ROOT / "examples/committee-r2-5.toml").read_text("utf-8")
        text = text.replace('data_dir = "../data/example"', 'data_dir = "data"')
        text = text.replace("[policy]\n", f"[policy]\n{policy}\n")
        text += f'\n[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\ntls = "none"\n'
        self.conf = tmp / "committee.toml"
        self.conf.write_text(text, "utf-8")
        data = tomllib.loads(text)
        people = [*data["members"], *data["departments"]]
        self.addr = {p["id"]: p["addresses"][0] for p in people}
        self.names = {p["id"]: p["name"] for p in people}
        rnd = (ROOT / "examples/round-r2-5.toml").read_text("utf-8")
        self.round_file = tmp / "round.toml"
        shutil.copytree(ROOT / "examples/documents", tmp / "documents", dirs_exist_ok=True)
        self.round_file.write_text(rnd.replace("absent = []", f"absent = [{absent}]"), "utf-8")

    def run(self, when: datetime, *args: str, code: int = 0) -> str:
        r = CliRunner().invoke(cli, ["--config", str(self.conf), "--now", when.isoformat(), *args])
        assert r.exit_code == code, r.stderr + r.stdout
        return r.stdout + r.stderr

    def send(self, when: datetime) -> None:
        self.run(when, "outbox", "send")

    def tick(self, when: datetime) -> str:
        out = self.run(when, "tick")
        self.send(when)
        return out

    def mails(self, who: str, words: str = "") -> list[bytes]:
        addr = self.addr.get(who, who)
        return [
            m.raw
            for m in self.smtp.received
            if addr in m.rcpt_tos and words in decode(m.raw).subject
        ]

    def text(self, raw: bytes) -> str:
        return decode(raw).body

    def reply(self, who: str, text: str, when: datetime, to: bytes, style: str = "gmail") -> str:
        return self.ingest(STYLES[style](to, self.names[who], self.addr[who], text, when), when)

    def ingest(self, raw: bytes, when: datetime) -> str:
        self.n += 1
        path = self.tmp / f"in-{self.n:03d}.eml"
        path.write_bytes(raw)
        return self.run(when, "ingest", str(path))

    def rows(self, stmt: Any) -> Sequence[Any]:
        engine = make_engine(f"sqlite:///{self.tmp / 'data' / 'mailflow.db'}")
        with engine.connect() as c:
            return c.execute(stmt).all()

    def items(self) -> dict[str, tuple[str, str, bool]]:
        rows = self.rows(select(Item.public_id, Item.text, Item.state, Item.late))
        return {r.public_id: (r.text, r.state, r.late) for r in rows if r.public_id}

    def events(self, kind: str) -> Sequence[Any]:
        return self.rows(select(Event).where(Event.kind == kind).order_by(Event.id))

    def state(self) -> str:
        return str(self.rows(select(Round.state))[0].state)

    def opened(self) -> dict[str, bytes]:
        """Round opened on the seed's notice date; each present member's call for questions."""
        self.run(at(1, 5), "round", "open", "R2-5")
        self.send(at(1, 5))
        return {who: m[0] for who in MEMBERS if (m := self.mails(who, "質疑及び意見"))}


@pytest.fixture
def make_world(tmp_path: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", "e2e-secret-0123456789abcdef-0123456789")
    monkeypatch.setenv("MAILFLOW_STAFF", "suzuki")

    def make(policy: str = "", absent: str = "") -> World:
        w = World(tmp_path, smtp_server, policy, absent)
        w.run(at(1, 4), "db", "upgrade")
        w.run(at(1, 4), "round", "import", str(w.round_file))
        return w

    return make


Q13 = "諮問第13号について\n・ギフト引換券には有効期限があるのか。"
Q14 = "諮問第14号について\n・利用登録はあらかじめ必要か。"
Q13_AND_14 = (
    "諮問第13号について\n● 配布予測数はいくつか。\n● 引換券に有効期限はあるのか。\n\n"
    "諮問第14号について\n● 利用登録はあらかじめ必要か。"
)


def test_deadline_change_tells_everyone_and_rearms_reminders(make_world) -> None:  # type: ignore[no-untyped-def]
    w = make_world()
    calls = w.opened()
    w.reply("ishida", Q13, at(1, 6), calls["ishida"])
    out = w.run(
        at(1, 8), "round", "set-deadline", "R2-5", "questions", "2021-01-14", "--why", "委員の依頼"
    )
    assert "7 notice(s)" in out, out
    w.send(at(1, 8))
    for who in MEMBERS:
        [notice] = w.mails(who, "期限変更")
        assert "1月14日（木）" in decode(notice).subject and "1月14日（木）" in w.text(notice)
    [ev] = w.events("deadline_changed")
    assert ev.actor == "staff:suzuki" and ev.reason == "委員の依頼"
    assert ev.detail["old"].startswith("2021-01-13") and ev.detail["new"].startswith("2021-01-14")
    # the old D1's two-day mark (1/11 end of day) has passed: no reminder for the old date
    w.tick(at(1, 12, 10))
    assert w.mails("ueno", "締切") == []
    # two days before the new D1, the reminder names the new date, to the silent only
    w.tick(at(1, 13, 10))
    w.tick(at(1, 13, 11))
    for who in MEMBERS:
        got = w.mails(who, "締切")
        assert len(got) == (0 if who == "ishida" else 1), who
    assert "1月14日（木）" in w.text(w.mails("ueno", "締切")[0])
    assert w.state() == "collecting_questions"


def test_early_closing_sends_the_bundles_at_once(make_world) -> None:  # type: ignore[no-untyped-def]
    w = make_world()
    calls = w.opened()
    for day, who in enumerate(MEMBERS[:-1], start=6):
        w.reply(who, Q13 if day % 2 else Q14, at(1, day), calls[who])
    refused = w.run(at(1, 9), "round", "close-early", "R2-5", "--why", "全員回答", code=2)
    assert "kimura" in refused
    w.reply("kimura", "特になし", at(1, 10), calls["kimura"], "thunderbird")
    w.run(at(1, 10, 12), "round", "close-early", "R2-5", "--why", "全員回答")
    w.send(at(1, 10, 12))
    assert w.state() == "answering"
    [kodomo] = w.mails("kodomo-hoken-kyufu")
    [hoiku] = w.mails("hoiku-yochien")
    assert "[Q13-01]" in w.text(kodomo) and "[Q14-01]" in w.text(hoiku)
    assert "有効期限" in w.text(kodomo) and "Q14" not in w.text(kodomo)
    [ev] = w.events("phase_closed_early")
    assert ev.actor == "staff:suzuki" and ev.detail["phase"] == 1


def test_reminders_go_once_to_the_silent_only(make_world) -> None:  # type: ignore[no-untyped-def]
    w = make_world(absent='"kato"')
    calls = w.opened()
    assert "kato" not in calls and len(calls) == 6
    w.reply("ishida", Q13, at(1, 6), calls["ishida"])
    w.reply("kimura", "特になし", at(1, 7), calls["kimura"], "thunderbird")
    for hour in (10, 11, 12):
        w.tick(at(1, 12, hour))  # two days before D1
    w.reply("ueno", Q14, at(1, 12, 15), calls["ueno"], "outlook")
    for hour in (10, 18, 23):
        w.tick(at(1, 13, hour))  # one day before D1
    got = {who: len(w.mails(who, "締切")) for who in MEMBERS}
    assert got == {
        "aoki": 2, "eto": 2, "okada": 2, "ueno": 1, "ishida": 0, "kimura": 0, "kato": 0,
    }  # fmt: skip
    assert "1月13日（水）" in w.text(w.mails("okada", "締切")[0])


def _questions_to_bundles(w: World) -> None:
    calls = w.opened()
    w.reply("ishida", Q13_AND_14, at(1, 6), calls["ishida"])
    w.reply("kimura", "特になし", at(1, 7), calls["kimura"], "thunderbird")
    w.tick(at(1, 14, 9))
    assert set(w.items()) == {"Q13-01", "Q13-02", "Q14-01"}


def _answer(w: World, dept: str, text: str, when: datetime) -> None:
    bundle = w.mails(dept)[-1]
    w.ingest(gmail(bundle, w.names[dept], w.addr[dept], text, when), when)


@pytest.mark.parametrize("policy", ["send_pending", "wait"])
def test_a_department_that_never_answers(make_world, policy: str) -> None:  # type: ignore[no-untyped-def]
    w = make_world(f'unanswered_at_distribution = "{policy}"')
    _questions_to_bundles(w)
    _answer(w, "hoiku-yochien", "[Q14-01]\n回答：利用登録は必要となる。", at(1, 14, 15))
    w.tick(at(1, 15, 9))  # one day before D2: only the silent department is reminded
    [reminder] = w.mails("kodomo-hoken-kyufu", "] 回答のお願い")
    assert "[Q13-01]" in w.text(reminder) and "[Q13-02]" in w.text(reminder)
    assert w.mails("hoiku-yochien", "] 回答のお願い") == []
    assert w.mails("joho-seisaku", "] 回答のお願い") == []
    w.tick(at(1, 16, 9))  # D2 has passed
    alert = w.mails(STAFF)[-1]  # this cycle's digest (① closed with members silent came before)
    assert "Q13-01" in w.text(alert) and "Q13-02" in w.text(alert)
    dist = w.mails("okada", "回答")
    if policy == "send_pending":
        assert w.state() == "collecting_further"
        [d] = [m for m in dist if "回答のお願い" not in decode(m).subject]
        body = w.text(d)
        assert "回答準備中" in body and "利用登録は必要となる" in body and "[Q13-01]" in body
        return
    assert dist == [] and w.state() == "answering"
    _answer(
        w, "kodomo-hoken-kyufu", "[Q13-01]\n回答：1,100件。\n\n[Q13-02]\n回答：設定する。",
        at(1, 16, 11),
    )  # fmt: skip
    w.tick(at(1, 16, 12))
    [d] = w.mails("okada", "回答")
    assert "回答準備中" not in w.text(d) and "1,100件" in w.text(d)


@pytest.mark.parametrize("style", ["gmail", "outlook"])
def test_names_signed_under_the_last_item_or_answer_are_not_stored(  # type: ignore[no-untyped-def]
    make_world, style: str
) -> None:
    w = make_world()
    calls = w.opened()
    # The member signs 「委員：石田」 under the last question, the department its name and
    # the person in charge under the last answer; neither writes a closing 以上.
    w.reply("ishida", f"{Q13_AND_14}\n委員：石田", at(1, 6), calls["ishida"], style)
    w.tick(at(1, 14, 9))
    assert w.items()["Q14-01"][0] == "利用登録はあらかじめ必要か。"
    answer = "[Q13-01]\n回答：1,100件を見込んでいる。\n\n[Q13-02]\n回答：有効期限を設定する。"
    bundle = w.mails("kodomo-hoken-kyufu")[-1]
    signed = f"{answer}\n子ども保健・給付課　山田"
    w.reply("kodomo-hoken-kyufu", signed, at(1, 14, 15), bundle, style)
    stored = w.rows(select(Item.public_id, Answer.text).join(Item, Item.id == Answer.item_id))
    assert dict(stored) == {"Q13-01": "1,100件を見込んでいる。", "Q13-02": "有効期限を設定する。"}


def test_a_department_signing_with_an_alias_from_the_config(make_world) -> None:  # type: ignore[no-untyped-def]
    w = make_world()
    text = w.conf.read_text("utf-8").replace(
        'name = "子ども保健・給付課"\n', 'name = "子ども保健・給付課"\naliases = ["給付課"]\n', 1
    )
    assert "aliases" in text
    w.conf.write_text(text, "utf-8")
    calls = w.opened()
    w.reply("ishida", Q13_AND_14, at(1, 6), calls["ishida"])
    w.tick(at(1, 14, 9))
    bundle = w.mails("kodomo-hoken-kyufu")[-1]
    answer = "[Q13-01]\n回答：1,100件を見込んでいる。\n\n[Q13-02]\n回答：有効期限を設定する。"
    w.reply("kodomo-hoken-kyufu", f"{answer}\n給付課　山田", at(1, 14, 15), bundle)
    stored = w.rows(select(Item.public_id, Answer.text).join(Item, Item.id == Answer.item_id))
    assert dict(stored) == {"Q13-01": "1,100件を見込んでいる。", "Q13-02": "有効期限を設定する。"}


def test_a_chair_who_decides_one_of_two(make_world) -> None:  # type: ignore[no-untyped-def]
    w = make_world()
    calls = w.opened()
    for who in MEMBERS:
        w.reply(who, "特になし", at(1, 6), calls[who], "thunderbird")
    w.tick(at(1, 14, 9))
    w.tick(at(1, 21, 9))  # ② and ③ pass without items: the digest goes to the chair
    [digest] = w.mails("aoki", "とりまとめ") or w.mails("aoki", "答申")
    w.reply("aoki", "諮問第13号：可", at(1, 22), digest)
    w.tick(at(1, 22, 12))
    [reask] = w.mails("aoki", "再度")
    asked, understood = w.text(reask).split("なお、次の諮問案件の答申は受け付けております。")
    assert "諮問第14号" in asked and "諮問第13号" not in asked
    # the decided one is restated, so the chair sees the whole decision
    assert "令和2年度諮問第13号 子育て応援ギフトセット配布業務委託：「可」" in understood
    assert "諮問第14号 病児保育" not in understood.split("答申欄")[0]
    alert = w.mails(STAFF)[-1]  # this cycle's digest (③ closing without replies came before)
    assert "青木 和子の答申が明確でない諮問案件：14（再確認を依頼済み）" in w.text(alert)
    assert w.state() == "awaiting_decision"
    w.reply("aoki", "諮問第14号：可", at(1, 23), reask)
    w.tick(at(1, 23, 12))
    echo = w.mails("aoki")[-1]
    assert "諮問第13号" in w.text(echo) and "諮問第14号" in w.text(echo)
    assert w.state() == "awaiting_decision"
    w.reply("aoki", "確認しました。", at(1, 23, 13), echo)
    w.tick(at(1, 23, 14))
    assert w.state() == "decided"
    assert w.mails("kato", "答申")


@pytest.mark.parametrize("late_mail", ["accept", "hold"])
def test_a_late_reply(make_world, late_mail: str) -> None:  # type: ignore[no-untyped-def]
    w = make_world(f'late_mail = "{late_mail}"')
    calls = w.opened()
    w.reply("ishida", Q13, at(1, 6), calls["ishida"])
    out = w.reply("okada", Q14, at(1, 14, 0, 30), calls["okada"], "iphone_html")
    assert "late" in out
    w.send(at(1, 14, 0, 31))
    [receipt] = w.mails("okada", "受け付け")
    assert "期限（1月13日（水））の後に届きました" in w.text(receipt)
    _, state, late = w.items()["Q14-01"]
    assert late and state == ("held" if late_mail == "hold" else "active")
    if late_mail == "hold":
        w.run(at(1, 14, 8), "item", "accept", "Q14-01", "--why", "事務局判断")
        assert w.items()["Q14-01"][1] == "active"
    w.tick(at(1, 14, 9))
    [hoiku] = w.mails("hoiku-yochien")
    assert "[Q14-01]" in w.text(hoiku) and "利用登録" in w.text(hoiku)


NEW_Q13_01 = "配布予測数は何件で、その根拠は何か。"


def test_corrections_by_reply_to_the_receipt(make_world) -> None:  # type: ignore[no-untyped-def]
    w = make_world()
    calls = w.opened()
    w.reply("ishida", Q13_AND_14, at(1, 6), calls["ishida"])
    w.reply("ueno", Q14, at(1, 6, 11), calls["ueno"], "outlook")
    w.send(at(1, 6, 12))
    [receipt] = w.mails("ishida", "受け付け")
    old_q13_01 = w.items()["Q13-01"][0]
    # someone else's item: nothing changes, staff are told
    out = w.reply("ueno", "訂正 [Q13-01]\n別の文。", at(1, 7), w.mails("ueno", "受け付け")[0])
    assert "nothing recognised" in out and w.items()["Q13-01"][0] == old_q13_01
    [refused] = w.events("correction_refused")
    assert refused.detail["item"] == "Q13-01" and refused.reason == "not_author"
    # the author corrects one item and withdraws another, from a carrier phone
    text = f"訂正 [Q13-01]\n{NEW_Q13_01}\n\n取消 [Q14-01]\n\nよろしくお願いします。\n石田"
    out = w.reply("ishida", text, at(1, 8), receipt, "docomo")
    assert "corrected Q13-01" in out and "withdrawn Q14-01" in out, out
    items = w.items()
    assert items["Q13-01"][:2] == (NEW_Q13_01, "active") and items["Q14-01"][1] == "withdrawn"
    assert set(items) == {"Q13-01", "Q13-02", "Q14-01", "Q14-02"}  # no new items were made
    [ev] = w.events("item_corrected")
    assert ev.detail["old"] == old_q13_01 and ev.detail["new"] == NEW_Q13_01
    assert ev.actor == "member:ishida" and w.events("item_withdrawn")[0].detail["item"] == "Q14-01"
    # each is kept as a row of its own, with the mail that said so
    pks = {r.public_id: r.id for r in w.rows(select(Item.public_id, Item.id))}
    kept = w.rows(
        select(ItemCorrection.item_id, ItemCorrection.action, ItemCorrection.new_text,
               ItemCorrection.message_id, ItemCorrection.at).order_by(ItemCorrection.id)
    )  # fmt: skip
    assert [tuple(r[:3]) for r in kept] == [
        (pks["Q13-01"], "corrected", NEW_Q13_01), (pks["Q14-01"], "withdrawn", None),
    ]  # fmt: skip
    assert {r.message_id for r in kept} == {ev.message_id} and kept[0].at == at(1, 8)
    w.send(at(1, 8, 1))
    [confirm] = w.mails("ishida", "訂正・取消")
    body = w.text(confirm)
    assert "[Q13-01]（訂正後）" in body and NEW_Q13_01 in body and "[Q14-01]" in body
    # staff edited Q13-02: the author's correction of it is a conflict, the edit stands
    w.run(at(1, 9), "item", "edit", "Q13-02", "--text", "事務局の文。", "--why", "表記")
    w.reply("ishida", "訂正 [Q13-02]\n有効期限は何か月か。", at(1, 9, 1), confirm)
    assert w.events("correction_conflict")[0].detail["item"] == "Q13-02"
    assert w.items()["Q13-02"][0] != "有効期限は何か月か。"
    # a reprocessed original keeps the correction and the withdrawal: they are read from
    # their rows, not from the audit log (whose copies are taken away here to show it)
    engine = make_engine(f"sqlite:///{w.tmp / 'data' / 'mailflow.db'}")
    with engine.begin() as c:
        c.execute(delete(Event).where(Event.kind.in_(("item_corrected", "item_withdrawn"))))
    w.run(at(1, 10), "reprocess", "--round", "R2-5")
    items = w.items()
    assert items["Q13-01"][0] == NEW_Q13_01 and items["Q14-01"][1] == "withdrawn"
    assert w.events("item_corrected") == [] and len(w.rows(select(ItemCorrection.id))) == 2
    # the bundles carry the corrected text and not the withdrawn item
    w.tick(at(1, 14, 9))
    kodomo = w.text(w.mails("kodomo-hoken-kyufu")[0])
    assert NEW_Q13_01 in kodomo and old_q13_01 not in kodomo
    hoiku = w.text(w.mails("hoiku-yochien")[0])
    # ueno's Q14-02 asks the same as the withdrawn Q14-01: it is there once
    assert "[Q14-02]" in hoiku and hoiku.count("利用登録はあらかじめ必要か") == 1
    # after the bundle went out a correction is held for staff, the text stays
    w.reply("ishida", "訂正 [Q13-01]\nもう一度直したい。", at(1, 14, 10), confirm)
    [held] = w.events("correction_held")
    assert held.detail["new"] == "もう一度直したい。" and w.items()["Q13-01"][0] == NEW_Q13_01


LATE_Q13 = "諮問第13号について\n・専門職15名はどのような仕事をするのか。"
BUNDLE = "質疑及び意見への回答のお願い"  # the subject of a bundle and of its follow-up


def _late_question_held(w: World, calls: dict[str, bytes], when: datetime) -> bytes:
    """okada's question after the bundles went out: held (Q13-02); returns the first bundle."""
    [bundle] = w.mails("kodomo-hoken-kyufu", BUNDLE)
    w.reply("okada", LATE_Q13, when, calls["okada"], "outlook")
    assert w.items()["Q13-02"][1:] == ("held", True)
    return bundle


def test_a_reply_after_an_early_distribution_is_a_further_opinion(make_world) -> None:  # type: ignore[no-untyped-def]
    w = make_world()
    calls = w.opened()
    w.reply("ishida", Q13, at(1, 6), calls["ishida"])
    w.tick(at(1, 14, 9))  # ① closed: kodomo gets Q13-01
    _answer(w, "kodomo-hoken-kyufu", "[Q13-01]\n回答：有効期限を設定する。", at(1, 14, 10))
    w.tick(at(1, 14, 11))  # every answer in before D2: ② is distributed at once
    assert w.state() == "collecting_further"
    # okada writes before D2 (1/15) but after ② reached the members: a ③ opinion.
    w.reply("okada", LATE_Q13, at(1, 14, 12), calls["okada"], "outlook")
    [row] = w.rows(select(Item.phase, Item.late, Item.state).where(Item.public_id == "Q13-02"))
    assert (row.phase, row.late, row.state) == (3, False, "active")
    w.tick(at(1, 14, 13))
    assert len(w.mails("kodomo-hoken-kyufu", BUNDLE)) == 1  # no ① follow-up
    assert not any("late" in w.text(m) for m in w.mails(STAFF))

    # The department's receipt in ② owes nothing it has not been sent (Q13-02 is ③'s).
    _answer(w, "kodomo-hoken-kyufu", "[Q13-01]\n補足：有効期限は半年とする。", at(1, 14, 14))
    w.send(at(1, 14, 14))
    receipt = w.text(w.mails("kodomo-hoken-kyufu", "ご回答を受け付けました")[-1])
    assert "Q13-02" not in receipt and "まだ届いておりません" not in receipt
    # In ③, with Q13-02 sent, the receipt quotes the ③ responses date, not ②'s.
    w.tick(at(1, 21, 9))
    assert "Q13-02" in w.text(w.mails("kodomo-hoken-kyufu")[-1])
    _answer(w, "kodomo-hoken-kyufu", "[Q13-01]\n補足：引換は区内で行う。", at(1, 21, 10))
    w.send(at(1, 21, 10))
    receipt = w.text(w.mails("kodomo-hoken-kyufu", "ご回答を受け付けました")[-1])
    assert "まだ届いておりません。\n1月22日（金）までにお送りください。\n・[Q13-02]" in receipt


@pytest.mark.parametrize("accepted", ["before_distribution", "after_distribution"])
def test_a_late_question_accepted_after_the_bundle_reaches_its_department(  # type: ignore[no-untyped-def]
    make_world, accepted: str
) -> None:
    w = make_world('late_mail = "hold"')
    calls = w.opened()
    w.reply("ishida", Q13, at(1, 6), calls["ishida"])
    w.tick(at(1, 14, 9))  # ① closed: kodomo gets Q13-01
    if accepted == "after_distribution":
        # The late question comes while ② is open; being held, it keeps ② from no one.
        bundle = _late_question_held(w, calls, at(1, 14, 9, 30))
        _answer(w, "kodomo-hoken-kyufu", "[Q13-01]\n回答：有効期限を設定する。", at(1, 14, 10))
        w.tick(at(1, 14, 11))  # every answer in before D2: ② is distributed at once
        assert w.state() == "collecting_further"
    else:
        bundle = _late_question_held(w, calls, at(1, 14, 12))
    w.tick(at(1, 14, 13))
    assert w.mails("kodomo-hoken-kyufu", BUNDLE) == [bundle]  # nothing while it is held
    alert = w.text(w.mails(STAFF)[-1])
    held = "期限後に届いた Q13-02 を保留しています。受け付けると子ども保健・給付課へ追加送付します"
    assert held in alert
    assert ("その回答は委員へ追加送付します" in alert) is (accepted == "after_distribution")

    when = at(1, 14, 14) if accepted == "before_distribution" else at(1, 15, 9)
    w.run(when, "item", "accept", "Q13-02", "--why", "事務局判断")
    w.tick(when.replace(minute=30))
    w.tick(when.replace(minute=45))  # a second tick sends nothing again
    first, followup = w.mails("kodomo-hoken-kyufu", BUNDLE)
    assert first == bundle
    head, fu, orig = decode(followup), w.text(followup), decode(first)
    assert "追加の質疑及び意見への回答のお願い" in head.subject
    assert "追加のご質問をお送りします" in fu and "貴課の所管分（1件）" in fu
    assert "\n[Q13-02]\n" in fu and "専門職15名" in fu and "\n[Q13-01]\n" not in fu
    assert head.header("Reply-To") == orig.header("Reply-To")  # the department's own token
    assert head.header("In-Reply-To") == f"<{orig.message_id}>"
    due = "1月15日（金）" if accepted == "before_distribution" else "1月22日（金）"
    assert f"{due}までにご回答" in fu
    assert w.mails("hoiku-yochien") == []  # not its consultation

    # The department answers by replying to the follow-up; the answer is recorded.
    answer_at = when.replace(hour=16)
    w.reply("kodomo-hoken-kyufu", "[Q13-02]\n回答：妊婦面接を担う。", answer_at, followup)
    if accepted == "before_distribution":
        w.reply("kodomo-hoken-kyufu", "[Q13-01]\n回答：有効期限を設定する。", answer_at, first)
    assert "妊婦面接を担う" in w.run(answer_at, "item", "show", "Q13-02")
    w.tick(answer_at.replace(hour=17))
    dist = [m for m in w.mails("ueno", "回答") if "回答のお願い" not in decode(m).subject]
    if accepted == "before_distribution":
        [d] = dist  # ② waited for the accepted question and closed with its answer
        body = w.text(d)
        assert "妊婦面接を担う" in body and "有効期限を設定する" in body
        assert "回答準備中" not in body and "追加送付" not in decode(d).subject
    else:
        first_dist, supplement = dist
        assert "Q13-02" not in w.text(first_dist)
        assert "追加送付" in decode(supplement).subject
        body = w.text(supplement)
        assert "[Q13-02]" in body and "妊婦面接を担う" in body and "[Q13-01]" not in body
        assert w.state() == "collecting_further"  # the closed window did not reopen


@pytest.mark.parametrize("late_mail", ["accept", "hold"])
def test_a_late_question_after_the_bundle_reaches_its_department_once(  # type: ignore[no-untyped-def]
    make_world, late_mail: str
) -> None:
    # "accept" (the default): the committee takes late mail, so nobody has to release
    # it; "hold": staff accept it. Either way it goes once, reprocessing or not.
    w = make_world(f'late_mail = "{late_mail}"')
    calls = w.opened()
    w.reply("ishida", Q13, at(1, 6), calls["ishida"])
    w.tick(at(1, 14, 9))  # ① closed: kodomo gets Q13-01
    [bundle] = w.mails("kodomo-hoken-kyufu", BUNDLE)
    out = w.reply("okada", LATE_Q13, at(1, 14, 12), calls["okada"], "outlook")
    assert "late" in out
    if late_mail == "accept":
        assert w.items()["Q13-02"][1:] == ("active", True)
        assert w.events("item_accepted") == []  # no staff action at all
    else:
        assert w.items()["Q13-02"][1:] == ("held", True)
        w.run(at(1, 14, 12, 30), "item", "accept", "Q13-02", "--why", "事務局判断")
    accepted_at = select(Item.accepted_at).where(Item.public_id == "Q13-02")
    accepted_then = None if late_mail == "accept" else at(1, 14, 12, 30)
    assert w.rows(accepted_at)[0].accepted_at == accepted_then
    w.tick(at(1, 14, 13))
    first, followup = w.mails("kodomo-hoken-kyufu", BUNDLE)
    assert first == bundle
    head, fu = decode(followup), w.text(followup)
    assert "追加の質疑及び意見への回答のお願い" in head.subject
    assert "\n[Q13-02]\n" in fu and "専門職15名" in fu and "\n[Q13-01]\n" not in fu
    assert "1月15日（金）までにご回答" in fu
    assert head.header("In-Reply-To") == f"<{decode(first).message_id}>"
    assert w.mails("hoiku-yochien") == []  # not its consultation
    if late_mail == "accept":  # nothing waits for staff: no held-item alert
        assert not any("item held" in w.text(m) for m in w.mails(STAFF))

    # Re-running every stored mail keeps the item where it is and sends nothing again.
    w.run(at(1, 14, 14), "reprocess", "--round", "R2-5")
    assert w.items()["Q13-02"][1:] == ("active", True)
    assert w.rows(accepted_at)[0].accepted_at == accepted_then
    w.tick(at(1, 14, 15))
    assert w.mails("kodomo-hoken-kyufu", BUNDLE) == [first, followup]
    accepted = w.rows(select(Event.id).where(Event.kind.in_(("item_accepted", "item_rejected"))))
    assert len(accepted) == (0 if late_mail == "accept" else 1)

    # The department answers by replying to each mail; ② goes with both answers.
    w.reply("kodomo-hoken-kyufu", "[Q13-02]\n回答：妊婦面接を担う。", at(1, 14, 16), followup)
    w.reply("kodomo-hoken-kyufu", "[Q13-01]\n回答：有効期限を設定する。", at(1, 14, 16), first)
    assert "妊婦面接を担う" in w.run(at(1, 14, 16), "item", "show", "Q13-02")
    w.tick(at(1, 14, 17))
    [dist] = [m for m in w.mails("ueno", "回答") if "回答のお願い" not in decode(m).subject]
    body = w.text(dist)
    assert "[Q13-02]" in body and "妊婦面接を担う" in body and "有効期限を設定する" in body
    assert "回答準備中" not in body and "追加送付" not in decode(dist).subject
    assert w.state() == "collecting_further"


def test_hold_spares_mail_within_the_grace_and_reprocess_keeps_a_rejection(make_world) -> None:  # type: ignore[no-untyped-def]
    w = make_world('late_mail = "hold"\ngrace = "12h"')
    calls = w.opened()
    w.reply("ishida", Q13, at(1, 6), calls["ishida"])
    # after 1/13 but within the grace: marked late for the member, yet not held
    w.reply("okada", Q14, at(1, 14, 0, 30), calls["okada"], "iphone_html")
    assert w.items()["Q14-01"][1:] == ("active", True)
    w.tick(at(1, 14, 12, 30))  # the hard cut-off (1/14 12:00) has passed: bundles go
    [hoiku] = w.mails("hoiku-yochien", BUNDLE)
    assert "[Q14-01]" in w.text(hoiku)
    # past the hard cut-off it is held; staff reject it, and a reprocess keeps that
    w.reply("kato", LATE_Q13, at(1, 14, 13), calls["kato"], "outlook")
    assert w.items()["Q13-02"][1:] == ("held", True)
    w.run(at(1, 14, 13, 30), "item", "reject", "Q13-02", "--why", "期限後のため")
    w.run(at(1, 14, 14), "reprocess", "--round", "R2-5")
    items = w.items()
    assert items["Q13-02"][1] == "rejected" and items["Q14-01"][1] == "active"
    w.tick(at(1, 14, 15))
    [kodomo] = w.mails("kodomo-hoken-kyufu", BUNDLE)
    assert "[Q13-02]" not in w.text(kodomo)


def test_a_question_mailed_at_the_deadline_but_read_after_the_bundle_follows_it(  # type: ignore[no-untyped-def]
    make_world, pymap_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Mailed at 23:50 on ①'s due date, so on time; but mailflow reads the mailbox only
    # after the bundles have gone (the server was slow, or the daemon was down). It must
    # not fall between the bundle, which had left, and lateness, which it is not.
    w = make_world()
    endpoint = pymap_server.endpoint
    monkeypatch.setenv("MAILFLOW_IMAP_PASSWORD", endpoint.password)
    w.conf.write_text(
        w.conf.read_text("utf-8")
        + f'\n[imap]\nhost = "{endpoint.host}"\nport = {endpoint.port}\ntls = "none"\n'
        + f'user = "{endpoint.user}"\npassword = {{ env = "MAILFLOW_IMAP_PASSWORD" }}\n'
        + 'after_processing = "flag"\n',
        "utf-8",
    )
    calls = w.opened()
    w.reply("ishida", Q13, at(1, 6), calls["ishida"])
    w.tick(at(1, 14, 9))  # ① closed: kodomo gets Q13-01
    [bundle] = w.mails("kodomo-hoken-kyufu", BUNDLE)

    mailed = datetime(2021, 1, 13, 23, 50, tzinfo=JST)
    raw = STYLES["outlook"](calls["okada"], w.names["okada"], w.addr["okada"], LATE_Q13, mailed)
    probe = pymap_server.probe()
    try:
        probe.append(raw, arrived=mailed)
    finally:
        probe.close()
    out = w.run(at(1, 14, 9, 30), "fetch")
    assert "stored 1" in out and "done 1" in out
    assert w.items()["Q13-02"][1:] == ("active", False)  # on time, not late

    w.tick(at(1, 14, 10))
    first, followup = w.mails("kodomo-hoken-kyufu", BUNDLE)
    assert first == bundle and "\n[Q13-02]\n" not in w.text(first)
    assert "追加" in decode(followup).subject
    assert "\n[Q13-02]\n" in w.text(followup) and "\n[Q13-01]\n" not in w.text(followup)
    w.tick(at(1, 14, 11))
    assert len(w.mails("kodomo-hoken-kyufu", BUNDLE)) == 2  # once
    # When it was first read is the mail's own column; reading it again keeps it, and
    # the follow-up stays the only one.
    read = select(Message.first_processed_at).join(Item, Item.source_message_id == Message.id)
    assert w.rows(read.where(Item.public_id == "Q13-02"))[0].first_processed_at == at(1, 14, 9, 30)
    w.run(at(1, 14, 12), "reprocess", "--round", "R2-5")
    assert w.rows(read.where(Item.public_id == "Q13-02"))[0].first_processed_at == at(1, 14, 9, 30)
    w.tick(at(1, 14, 13))
    assert len(w.mails("kodomo-hoken-kyufu", BUNDLE)) == 2
