"""A distribution to many members: its long body stored once, each row small, the bytes
read back and sent over aiosmtpd exactly as composed, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import dataclasses
import os
import re
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from mailflow.clock import FixedClock
from mailflow.config import parse_config
from mailflow.domain.roundspec import load_round_spec
from mailflow.outbound import views as v
from mailflow.outbound.compose import encode_body
from mailflow.outbound.render import render_mail
from mailflow.parsing.mime import decode
from mailflow.services import outbox as sender
from mailflow.services import previews
from mailflow.services.context import Services
from mailflow.services.mailing import RoundMail
from mailflow.services.rounds import import_round
from mailflow.services.workflow import open_round, tick
from mailflow.store import console as console_repo
from mailflow.store import db
from mailflow.store import outbox as repo
from mailflow.store.models import Consultation, Item, Member, Message, Outbox, OutboxPart, Round
from mailflow.wiring import PORTS
from tests.harness.smtp_server import SmtpServer
from tests.unit.outbound import seed_views

SECRET_ENV = "MAILFLOW_TEST_DISTRIBUTION_SECRET"
OPENED = datetime(2025, 6, 2, 0, 0, tzinfo=UTC)
# Names of three lengths: three offsets in base64's grid, so three parts at most.
NAMES = ["林優", "青木和子", "石田直樹子", "森一", "佐藤花子", "山本太郎丸"] * 4
ITEMS = 300  # a body of some 45 KB: over the size from which a tail is shared
TEXT = "委託先の再委託について、市の承認を得る手続はどのように定められているか伺う。"


def config_toml(db_url: str, smtp_port: int) -> str:
    lines = [
        'data_dir = "data"', "[committee]", 'id = "c1"', 'name = "審査会"',
        'address = "shinsakai@city.example.jp"', 'staff_alerts = ["jimu@city.example.jp"]',
    ]  # fmt: skip
    for n, name in enumerate(NAMES):
        role = "chair" if n == 0 else "member"
        lines += ["[[members]]", f'id = "m{n:02d}"', f'name = "{name}"', f'role = "{role}"',
                  f'addresses = ["iin{n:02d}@example.jp"]']  # fmt: skip
    lines += ["[[departments]]", 'id = "ka"', 'name = "総務課"']
    lines += ['addresses = ["ka@city.example.jp"]']
    lines += ["[smtp]", 'host = "127.0.0.1"', f"port = {smtp_port}", 'tls = "none"']
    lines += ["[database]", f'url = "{db_url}"', "[policy]", 'approval = "auto"']
    lines += ["[security]", f'token_secret = {{ env = "{SECRET_ENV}" }}']
    return "\n".join(lines) + "\n"


ROUND = """id = "R7-2"
committee = "c1"
title = "令和7年度第2回審査会"
fiscal_year = 2025
notice_date = 2025-06-01
absent = []
[deadlines]
questions = 2025-06-20
answers = 2025-06-27
further = 2025-07-04
decision = 2025-07-11
[[consultations]]
key = "101"
number = "令和7年度諮問第101号"
title = "業務委託"
departments = ["ka"]
"""


def round_in_answering(tmp_path: Path, url: str, smtp_port: int) -> Services:
    """The round opened, ITEMS questions stored as processed member replies."""
    os.environ[SECRET_ENV] = "distribution-test-secret-0123456789abcdef"
    data = tomllib.loads(config_toml(url, smtp_port))
    config = parse_config(data, "test.toml").resolve_paths(tmp_path)
    services = Services(config=config, clock=FixedClock(OPENED), actor="staff:test", ports=PORTS)
    db.upgrade(services.engine)
    (tmp_path / "round.toml").write_text(ROUND, "utf-8")
    import_round(services, load_round_spec(tmp_path / "round.toml"), tmp_path / "round.toml")
    open_round(services, "R7-2")
    at = OPENED + timedelta(days=1)
    with services.sessions() as s:
        rnd = s.scalars(select(Round)).one()
        cons = s.scalars(select(Consultation)).one()
        members = s.scalars(select(Member).order_by(Member.id)).all()
        msgs, items = [], []
        for n in range(ITEMS):
            m = members[n % len(members)]
            msgs.append({
                "id": n + 1, "committee_id": rnd.committee_id, "dedupe_key": f"q{n}@x",
                "message_id": f"q{n}@x", "sha256": f"{n:064x}", "size": 1, "raw": b"x",
                "received_at": at, "state": "done", "classification": "normal",
                "round_id": rnd.id, "sender_kind": "member", "member_id": m.id, "phase": 1,
                "late": False, "first_processed_at": at,
            })  # fmt: skip
            items.append({
                "round_id": rnd.id, "consultation_id": cons.id, "member_id": m.id,
                "phase": 1, "seq": n + 1, "public_id": f"Q101-{n + 1:03d}", "kind": "question",
                "text": f"{TEXT}（{n}）", "source_message_id": n + 1, "received_at": at,
            })  # fmt: skip
        s.execute(insert(Message), msgs)
        s.execute(insert(Item), items)
        s.commit()
    if services.engine.dialect.name == "postgresql":  # the ids above were given, not drawn
        with services.engine.begin() as conn:
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('message', 'id'), max(id)) FROM message"
            )
    return services


def body_as_composed(raw: bytes) -> bool:
    """The body after the headers is the base64 of its own text as `compose` writes it."""
    head, body = raw.split(b"\r\n\r\n", 1)
    text = base64.b64decode(re.sub(rb"\s", b"", body)).decode("utf-8")
    return b"Content-Transfer-Encoding: base64" in head and (
        body == (encode_body(text) + "\r\n").encode("ascii")
    )


async def test_a_distribution_stores_its_body_once_and_sends_every_mail_whole(
    any_db_url: str, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    services = round_in_answering(tmp_path, any_db_url, smtp_server.port)
    services.clock.set(datetime(2025, 6, 28, 1, tzinfo=UTC))  # past the answers deadline
    tick(services)

    with services.sessions() as s:
        rows = s.scalars(
            select(Outbox).where(Outbox.kind == "distribution").order_by(Outbox.id)
        ).all()
        # The department's bundle (300 items and their sheet) is a part of its own.
        named = select(Outbox.part_id).where(Outbox.kind == "distribution")
        parts = s.scalars(select(OutboxPart).where(OutboxPart.id.in_(named))).all()
        calls = (Outbox.kind != "distribution", Outbox.kind != "department_bundle")
        short = s.scalars(select(Outbox.part_id).where(*calls)).all()
        stored = [repo.raw_bytes(s, r.id) for r in rows]
    assert len(rows) == len(NAMES)
    assert 1 <= len(parts) <= 3 and all(p.size > 40_000 for p in parts)  # one per offset
    assert {r.part_id for r in rows} == {p.id for p in parts}
    assert short and set(short) == {None}  # the calls: short bodies stay in their rows
    assert all(len(r.raw) < 3000 for r in rows)  # headers and the greeting's lines
    for n, raw in enumerate(stored):
        assert body_as_composed(raw)
        body = decode(raw).body
        assert body.startswith(NAMES[n]) and f"{TEXT}（{ITEMS - 1}）" in body
    # Staff's preview (`outbox show`, the console) and a dry run's list read the same bytes.
    entry, shown = previews.outbox_mail(services, rows[-1].id)
    assert shown.text == decode(stored[-1]).body and entry.id == rows[-1].id
    with services.sessions() as s:
        after = console_repo.outbox_after(s, rows[0].round_id or 0, rows[0].id - 1)
    assert [raw for _, raw in after][: len(stored)] == stored  # queued one after another
    whole = sum(len(b) for b in stored)
    assert sum(len(r.raw) for r in rows) + sum(p.size for p in parts) < whole / 5

    before = len(smtp_server.received)
    report = await sender.send_due(services, services.clock.now(), 1000)
    assert report.failed == 0
    got = {m.message_id: m.raw for m in smtp_server.received[before:]}
    assert [got[r.message_id] for r in rows] == stored  # byte for byte what was composed
    services.engine.dispose()


def test_a_text_rendered_once_for_many_is_each_ones_text(tmp_path: Path) -> None:
    """`RoundMail.render` (once per group, each name put in) against `render_mail` of
    each recipient's own view, for every kind of mail, names of several lengths, the
    groups taken in turn."""
    services = round_in_answering(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", 25)
    conf = services.config.committee
    with services.sessions() as s:
        r = RoundMail(services, s, s.scalars(select(Round)).one())
        for view in seed_views.all_views():
            to = getattr(view, "recipient", None)
            if not isinstance(to, v.Recipient):
                continue
            for name in ("林優", "青木 和子", "Ishida Naoki 石田直樹"):
                own = dataclasses.replace(view, recipient=v.Recipient(name, to.department))
                assert r.render(own) == render_mail(own, conf.language, conf.tz), view.kind
