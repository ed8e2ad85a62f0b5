"""The seed round end to end: staff commands, real SMTP out, real IMAP in.

The clock moves with --now through the seed's schedule (notice 1/5, D1 1/13, D2 1/15,
D3 1/20, D4 1/27). Every mail that leaves goes through aiosmtpd; every reply is built
from the bytes that arrived there, as the member's client would write it, delivered
into the committee mailbox (pymap) with its arrival time, and read by `mailflow fetch`.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from mailflow.cli import _register
from mailflow.cli.app import cli
from mailflow.demo.clients import xlsx_answer
from mailflow.parsing.mime import decode
from mailflow.store.db import make_engine
from mailflow.store.models import Answer, Decision, Item, Outbox, Round
from tests.e2e import seed_round as seed
from tests.harness.clients import STYLES, gmail
from tests.harness.pymap_server import PymapServer
from tests.harness.smtp_server import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
JST = ZoneInfo("Asia/Tokyo")
_register()


class Round25:
    """The committee's staff, its mail hub (aiosmtpd) and its people, for one test."""

    def __init__(self, tmp: Path, smtp: SmtpServer, imap: PymapServer | None = None) -> None:
        self.tmp, self.smtp, self.imap = tmp, smtp, imap
        text = (ROOT / "examples/committee-r2-5.toml").read_text("utf-8")
        text = text.replace('data_dir = "../data/example"', 'data_dir = "data"')
        text += f'\n[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\ntls = "none"\n'
        if imap is not None:
            os.environ["MAILFLOW_E2E_IMAP_PASSWORD"] = imap.endpoint.password
            text += (
                f'\n[imap]\nhost = "127.0.0.1"\nport = {imap.port}\ntls = "none"\n'
                f'user = "{imap.user}"\npassword = {{ env = "MAILFLOW_E2E_IMAP_PASSWORD" }}\n'
                'processed_folder = "processed"\nquarantine_folder = "quarantine"\n'
            )
        self.conf = tmp / "committee.toml"
        self.conf.write_text(text, "utf-8")
        import tomllib

        data = tomllib.loads(text)
        self.addr = {m["id"]: m["addresses"][0] for m in data["members"]}
        self.addr |= {d["id"]: d["addresses"][0] for d in data["departments"]}
        self.names = {m["id"]: m["name"] for m in data["members"]}
        self.names |= {d["id"]: d["name"] for d in data["departments"]}
        self.n = 0

    def run(self, when: datetime, *args: str) -> str:
        r = CliRunner().invoke(
            cli,
            ["--config", str(self.conf), "--now", when.isoformat(), *args],
            catch_exceptions=False,
        )
        assert r.exit_code == 0, r.stderr + r.stdout
        return r.stdout

    def tick_and_send(self, when: datetime) -> str:
        out = self.run(when, "tick")
        self.run(when, "outbox", "send")
        return out

    def inbox(self, who: str, kind_words: str = "") -> list[bytes]:
        return [
            m.raw
            for m in self.smtp.received
            if self.addr[who] in m.rcpt_tos and kind_words in decode(m.raw).subject
        ]

    def reply(self, who: str, style: str, text: str, when: datetime, to: bytes) -> str:
        raw = STYLES[style](to, self.names[who], self.addr[who], text, when)
        return self.ingest(raw, when)

    def ingest(self, raw: bytes, when: datetime) -> str:
        if self.imap is not None:
            probe = self.imap.probe()
            try:
                probe.append(raw, arrived=when)
            finally:
                probe.close()
            return self.run(when, "fetch")
        self.n += 1
        path = self.tmp / f"in-{self.n:03d}.eml"
        path.write_bytes(raw)
        return self.run(when, "ingest", str(path))

    def rows(self, stmt):  # type: ignore[no-untyped-def]
        engine = make_engine(f"sqlite:///{self.tmp / 'data' / 'mailflow.db'}")
        with engine.connect() as c:
            return c.execute(stmt).all()


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2021, month, day, hour, minute, tzinfo=JST)


@pytest.fixture
def world(
    tmp_path: Path,
    smtp_server: SmtpServer,
    pymap_server: PymapServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Round25:
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", "e2e-secret-0123456789abcdef-0123456789")
    probe = pymap_server.probe()
    try:
        probe.create("processed")
        probe.create("quarantine")
    finally:
        probe.close()
    w = Round25(tmp_path, smtp_server, pymap_server)
    w.run(at(1, 4), "db", "upgrade")
    w.run(at(1, 4), "round", "import", str(ROOT / "examples/round-r2-5.toml"))
    return w


def test_the_seed_round_from_call_to_result(world: Round25) -> None:
    w = world
    # ① staff open the round: a call for questions to each of the seven members
    out = w.run(at(1, 5), "round", "open", "R2-5")
    assert "7 mail(s) queued" in out
    w.run(at(1, 5), "outbox", "send")
    calls = {
        who: w.inbox(who, "質疑及び意見") for who in w.names if who in w.addr and "-" not in who
    }
    assert all(len(m) == 1 for m in calls.values()), {k: len(v) for k, v in calls.items()}
    call_text = decode(calls["ishida"][0]).body
    assert "1月13日（水）" in call_text and "諮問第13号" in call_text and "諮問第14号" in call_text
    docs = {a.filename: a.data for a in decode(calls["ishida"][0]).attachments}
    for name in ("諮問書_第13号_見本.pdf", "諮問書_第14号_見本.pdf"):
        assert docs[name] == (ROOT / "examples/documents" / name).read_bytes()
        assert name in call_text  # the mail names what it carries

    # members reply in their own clients
    for day, (who, (style, text)) in enumerate(seed.QUESTIONS.items(), start=6):
        out = w.reply(who, style, text, at(1, day), calls[who][0])
        assert "done 1," in out, out
    items = w.rows(select(Item.public_id, Item.text, Item.late).order_by(Item.id))
    ids = [i.public_id for i in items]
    assert ids == ["Q13-01", "Q13-02", "Q13-03", "Q14-01", "Q14-02", "Q13-04", "Q14-03"], ids
    assert items[0].text.startswith("諮問書P. 3「5 コンピュータ")
    # a late question (after D1, before the bundles went out)
    who, style, text = seed.LATE
    out = w.reply(who, style, text, at(1, 14, 0, 30), calls[who][0])
    assert "done 1," in out
    assert w.rows(select(Item.late).where(Item.public_id == "Q14-04"))[0].late
    w.run(at(1, 14, 0, 31), "outbox", "send")
    status = w.run(at(1, 14, 0, 32), "status", "R2-5")
    rows = {line.split("│")[1].strip(): line for line in status.splitlines() if "│" in line}
    assert "✓" in rows["木村 久雄"].split("│")[3]  # 特になし is a reply
    assert "✓" in rows["青木 和子"].split("│")[3]  # the late reply counts too
    assert "質疑・意見 8 件" in status and "遅延 1" in status
    receipts = w.inbox("ishida", "受け付け")
    assert len(receipts) == 1
    rtext = decode(receipts[0]).body
    assert "[Q13-01]" in rtext and "[Q13-02]" in rtext
    assert w.inbox("kimura", "受け付け"), "特になし gets a receipt too"

    # after D1 the questions are bundled per department, with an answer sheet
    w.tick_and_send(at(1, 14, 9))
    kodomo = w.inbox("kodomo-hoken-kyufu")
    hoiku = w.inbox("hoiku-yochien")
    joho = w.inbox("joho-seisaku")
    assert len(kodomo) == 1 and len(hoiku) == 1 and len(joho) == 1
    ktext = decode(kodomo[0]).body
    for qid in ("Q13-01", "Q13-02", "Q13-03", "Q13-04"):
        assert f"[{qid}]" in ktext
    assert "Q14-01" not in ktext
    assert any(a.filename and a.filename.endswith(".xlsx") for a in decode(kodomo[0]).attachments)

    # departments answer: under the markers, by the .xlsx sheet, and as an ID list
    k_text = "\n\n".join(
        f"[{q}]\n回答：{seed.ANSWERS[q]}" for q in ("Q13-01", "Q13-02", "Q13-03", "Q13-04")
    )
    w.ingest(
        gmail(
            kodomo[0],
            w.names["kodomo-hoken-kyufu"],
            w.addr["kodomo-hoken-kyufu"],
            k_text + "\n\n子ども保健・給付課",
            at(1, 14, 15),
        ),
        at(1, 14, 15),
    )
    w.ingest(
        xlsx_answer(
            hoiku[0],
            w.names["hoiku-yochien"],
            w.addr["hoiku-yochien"],
            {q: seed.ANSWERS[q] for q in ("Q14-01", "Q14-02")},
            at(1, 14, 16),
        ),
        at(1, 14, 16),
    )
    j_text = "\n".join(f"{q}：{seed.ANSWERS[q]}" for q in ("Q14-03", "Q14-04"))
    w.ingest(
        gmail(joho[0], w.names["joho-seisaku"], w.addr["joho-seisaku"], j_text, at(1, 14, 17)),
        at(1, 14, 17),
    )
    answered = {
        r.public_id for r in w.rows(select(Item.public_id).join(Answer, Answer.item_id == Item.id))
    }
    assert answered == set(seed.ANSWERS), answered
    w.run(at(1, 14, 18), "outbox", "send")
    for dept, ids in (
        ("kodomo-hoken-kyufu", ("Q13-01", "Q13-02", "Q13-03", "Q13-04")),
        ("hoiku-yochien", ("Q14-01", "Q14-02")),  # by the .xlsx sheet
        ("joho-seisaku", ("Q14-03", "Q14-04")),
    ):
        [ack] = w.inbox(dept, "ご回答を受け付けました")
        body = decode(ack).body
        assert all(f"[{q}]" in body for q in ids), (dept, body)

    # ② everything is in: the Q&A goes to all members together, with the call for ③
    w.tick_and_send(at(1, 15, 9))
    dist = w.inbox("okada", "回答")
    assert dist, [decode(m.raw).subject for m in w.smtp.received if w.addr["okada"] in m.rcpt_tos]
    dtext = decode(dist[-1]).body
    for q, a in seed.ANSWERS.items():
        assert f"[{q}]" in dtext and a[:20] in dtext
    assert "@" not in dtext.split("事務局")[0]  # no addresses of members in the Q&A

    # ③ a follow-up on [Q13-01], answered by its department
    who, style, text = seed.FOLLOW_UP
    further_call = w.inbox(who)[-1]
    out = w.reply(who, style, text, at(1, 18), further_call)
    follow = w.rows(select(Item.public_id, Item.phase, Item.parent_item_id).where(Item.phase == 3))
    assert len(follow) == 1 and follow[0].parent_item_id is not None, out
    w.tick_and_send(at(1, 21, 9))
    bundle3 = w.inbox("kodomo-hoken-kyufu")[-1]
    fid = follow[0].public_id
    assert f"[{fid}]" in decode(bundle3).body
    w.ingest(
        gmail(
            bundle3,
            w.names["kodomo-hoken-kyufu"],
            w.addr["kodomo-hoken-kyufu"],
            f"[{fid}]\n回答：{seed.FOLLOW_UP_ANSWER}",
            at(1, 21, 15),
        ),
        at(1, 21, 15),
    )

    # ④ the digest goes to the chair, who decides; the decision is echoed and confirmed
    w.tick_and_send(at(1, 22, 9))
    digest = w.inbox("aoki")[-1]
    assert "諮問第13号" in decode(digest).body
    w.reply("aoki", "gmail", seed.DECISION, at(1, 23), digest)
    w.tick_and_send(at(1, 23, 12))
    echo = w.inbox("aoki")[-1]
    assert "条件付き可" in decode(echo).body
    w.reply("aoki", "gmail", "確認しました。", at(1, 23, 13), echo)
    w.tick_and_send(at(1, 23, 14))
    decisions = w.rows(select(Decision.verdict, Decision.state, Decision.conditions))
    assert {(d.verdict, d.state) for d in decisions} == {("approve_with_conditions", "confirmed")}
    assert all(
        "仕様書への追記等指摘事項の実施をお願いし" in (d.conditions or "") for d in decisions
    )
    state = w.rows(select(Round.state))[0].state
    assert state == "decided"
    result = w.inbox("kato")[-1]
    assert "仕様書への追記等指摘事項の実施をお願いし" in decode(result).body
    assert w.inbox("hoiku-yochien")[-1] != hoiku[0]

    # nothing was sent twice, everything was sent
    ids_sent = [m.message_id for m in w.smtp.received]
    assert len(ids_sent) == len(set(ids_sent))
    states = {r.state for r in w.rows(select(Outbox.state))}
    assert states == {"sent"}, states
    # a last tick has nothing left to do
    assert "0 action(s)" in w.run(at(1, 23, 15) + timedelta(minutes=1), "tick")
