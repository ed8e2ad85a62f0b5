"""Shared by the outbox tests: a committee config on a real database, mails to queue."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from mailflow.clock import FixedClock
from mailflow.config import Config, parse_config
from mailflow.outbound.model import OutgoingMail
from mailflow.routing import PartyKind, PartyRef
from mailflow.routing.token import make_message_id, make_token, plus_address
from mailflow.services.context import Services
from mailflow.store import db
from mailflow.store.models import Outbox
from mailflow.store.outbox_parts import mail_bytes
from mailflow.wiring import PORTS

JST = timezone(timedelta(hours=9))
SECRET_ENV = "MAILFLOW_TEST_OUTBOX_SECRET"
SECRET = "outbox-test-secret-0123456789abcdef"
COMMITTEE = "shingikai@city.example.jp"
START = datetime(2021, 1, 13, 10, 0, tzinfo=JST)


def config_toml(
    db_url: str,
    smtp_port: int,
    *,
    approval: str = "auto",
    cap: int = 20,
    tls: str = "none",
    ca_file: Path | None = None,
) -> str:
    ca_line = "" if ca_file is None else f'ca_file = "{ca_file}"'
    return f"""
data_dir = "data"
[committee]
id = "r2"
name = "東村山市個人情報保護運営審議会"
address = "{COMMITTEE}"
staff_alerts = ["soumu@city.example.jp"]
[[members]]
id = "aoki"
name = "青木和子"
role = "chair"
addresses = ["aoki@example.jp"]
[[members]]
id = "ishida"
name = "石田直樹"
addresses = ["ishida@example.jp"]
[smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "{tls}"
{ca_line}
[database]
url = "{db_url}"
[policy]
approval = "{approval}"
auto_replies_per_address_per_day = {cap}
[security]
token_secret = {{ env = "{SECRET_ENV}" }}
"""


def make_config(db_url: str, smtp_port: int, **options: Any) -> Config:
    """The validated config of `config_toml` (same options)."""
    import tomllib

    data = tomllib.loads(config_toml(db_url, smtp_port, **options))
    return parse_config(data, "test.toml").resolve_paths(Path.cwd())


def make_services(config: Config, at: datetime = START) -> Services:
    services = Services(config=config, clock=FixedClock(at), actor="staff:test", ports=PORTS)
    db.upgrade(services.engine)
    return services


def mail(
    n: int, to: str = "ishida@example.jp", *, name: str = "石田直樹", subject: str | None = None
) -> OutgoingMail:
    """A mail as the workflow writes one: token in Reply-To and Message-ID."""
    secret = SECRET.encode()
    token = make_token(secret, "1", PartyRef(PartyKind.MEMBER, "2"))
    return OutgoingMail(
        from_name="個人情報保護運営審議会 事務局",
        from_address=COMMITTEE,
        to=((name, to),),
        subject=subject or f"[R2-5] 受付のお知らせ（{n}）",
        text=f"{name}様\n\n①のご意見を受け付けました。番号 {n}\n",
        message_id=make_message_id(secret, token, f"{n}-t", "city.example.jp"),
        date=START,
        reply_to=plus_address(COMMITTEE, token),
    )


def queued_bytes(services: Services) -> list[bytes]:
    """Every outbox mail's bytes in the order queued, read as the sender reads them."""
    from sqlalchemy import select

    with services.sessions() as s:
        rows = s.execute(select(Outbox.raw, Outbox.part_id).order_by(Outbox.id)).all()
        return mail_bytes(s, [(raw, part_id) for raw, part_id in rows])
