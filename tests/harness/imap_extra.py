"""Support for fetch tests and the ingestion benchmark: realistic mail, servers, a ready store."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from mailflow.adapters.pymap_embed import ImapEndpoint
from mailflow.config import Imap, Secret, TlsMode
from mailflow.store import db
from mailflow.store.messages import stored_digests
from mailflow.store.models import Committee
from tests.harness.dovecot import DovecotServer
from tests.harness.imap_probe import ImapProbe
from tests.harness.pymap_server import PymapServer

PROCESSED = "processed"
CORPUS = Path(__file__).parent.parent / "fixtures" / "mail" / "corpus"
_LINE_END = re.compile(rb"\r?\n")
_MESSAGE_ID = re.compile(rb"^Message-ID:.*\r\n(?:[ \t].*\r\n)*", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class MailServer:
    """An IMAP server under test and the one account the fetcher reads."""

    kind: str
    endpoint: ImapEndpoint
    probe: Callable[[], ImapProbe]
    # Renumber the mailbox (new UIDVALIDITY); None where the server offers no way to.
    set_uidvalidity: Callable[[int], None] | None

    def settings(self, **overrides: object) -> Imap:
        """Fetcher settings for this server: plain loopback, the `processed` folder."""
        values: dict[str, object] = {
            "host": self.endpoint.host,
            "port": self.endpoint.port,
            "tls": TlsMode.NONE,
            "user": self.endpoint.user,
            "password": Secret(env="MAILFLOW_IMAP_PASSWORD"),
            "processed_folder": PROCESSED,
        }
        values.update(overrides)
        return Imap.model_validate(values)


def on_pymap(pymap: PymapServer) -> MailServer:
    return MailServer("pymap", pymap.endpoint, pymap.probe, None)


def on_dovecot(dovecot: DovecotServer) -> MailServer:
    def renumber(value: int) -> None:
        dovecot.set_uidvalidity(value)

    return MailServer("dovecot", dovecot.endpoint, dovecot.probe, renumber)


@pytest.fixture(params=["pymap", pytest.param("dovecot", marks=pytest.mark.dovecot)])
def mail_server(request: pytest.FixtureRequest) -> Iterator[MailServer]:
    """The committee mailbox on embedded pymap, then on a real Dovecot."""
    if request.param == "pymap":
        yield on_pymap(request.getfixturevalue("pymap_server"))
    else:
        yield on_dovecot(request.getfixturevalue("dovecot_server"))


@dataclass(frozen=True)
class Store:
    """A migrated database with one committee."""

    url: str
    sessions: sessionmaker[Session]
    committee_id: int

    def digests(self) -> list[str]:
        with self.sessions() as session:
            return list(stored_digests(session, self.committee_id))


def prepare_store(url: str) -> Store:
    engine = db.make_engine(url)
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    with db.transaction(sessions) as session:
        committee = Committee(
            key="r2", name="個人情報保護運営審議会", address="shingikai@example.jp"
        )
        session.add(committee)
        session.flush()
        committee_id = committee.id
    return Store(url, sessions, committee_id)


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


_BODIES = (
    "諮問第13号について質問します。\n①個人情報の取扱いについて\n②委託先の管理について\n",
    "特になし\n",
    "子育て応援ギフトセット配布業務委託について意見を申し上げます。\n" * 4,
    "Re: question on consultation 14. The reservation system's log retention?\n",
)
_ENCODINGS = (
    ("iso-2022-jp", "7bit"),
    ("cp932", "base64"),
    ("utf-8", "quoted-printable"),
    ("utf-8", "base64"),
    ("utf-8", "8bit"),
)


def generated_mail(number: int, rng: random.Random, size: int | None = None) -> bytes:
    """A member's reply: Japanese text in one of the charsets members' clients use."""
    charset, cte = _ENCODINGS[number % len(_ENCODINGS)]
    body = _BODIES[number % len(_BODIES)]
    target = size if size is not None else rng.choice((600, 1500, 3000, 8000, 30000))
    while len(body.encode("utf-8")) < target:
        body += f"（{number}）参考資料P.{rng.randint(1, 40)}の記載について確認をお願いします。\n"
    msg = EmailMessage()
    msg["From"] = f"委員{number % 7} <iin{number % 7}@example.jp>"
    msg["To"] = "shingikai@example.jp"
    msg["Subject"] = f"Re: [R2-5] 質疑及び意見 {number}"
    msg["Date"] = format_datetime(datetime(2021, 1, 6, tzinfo=UTC) + timedelta(minutes=number))
    msg["Message-ID"] = f"<{number}.{rng.getrandbits(48):x}@mail.example.jp>"
    if number % 11 == 0:
        html = "<html><body><p>" + body.replace("\n", "<br>") + "</p></body></html>"
        msg.set_content(html, subtype="html", charset="utf-8", cte="base64")
    else:
        msg.set_content(body, charset=charset, cte=cte)
    if number % 13 == 0:
        data = rng.randbytes(min(target, 20000))
        msg.add_attachment(
            data, maintype="application", subtype="octet-stream", filename="回答票.xlsx"
        )
    return crlf(msg.as_bytes())


def crlf(raw: bytes) -> bytes:
    """CRLF line ends, as IMAP servers hand mail back: the stored bytes then match."""
    return _LINE_END.sub(b"\r\n", raw)


def corpus_mail(number: int, paths: Sequence[Path], rng: random.Random) -> bytes:
    """A real client fixture with a fresh Message-ID, so that each copy is a new mail."""
    raw = crlf(paths[number % len(paths)].read_bytes())
    fresh = f"Message-ID: <c{number}.{rng.getrandbits(48):x}@bench.example.jp>\r\n".encode()
    stripped = _MESSAGE_ID.sub(b"", raw, count=1)
    return fresh + stripped


def mixed_mails(count: int, seed: int = 5) -> list[bytes]:
    """`count` distinct mails: the client corpus where present, generated ones besides."""
    rng = random.Random(seed)
    paths = sorted(CORPUS.glob("*.eml"))
    mails: list[bytes] = []
    for number in range(count):
        if paths and number % 2 == 0:
            mails.append(corpus_mail(number, paths, rng))
        else:
            mails.append(generated_mail(number, rng))
    return mails


def append_all(server: MailServer, mails: Sequence[bytes], mailbox: str = "INBOX") -> None:
    probe = server.probe()
    try:
        for raw in mails:
            probe.append(raw, mailbox)
    finally:
        probe.close()


def folder_digests(server: MailServer, mailbox: str) -> list[str]:
    """sha256 of every mail now in `mailbox` (created empty if missing)."""
    probe = server.probe()
    try:
        if mailbox not in probe.mailboxes():
            return []
        if not probe.uids(mailbox):
            return []
        # One FETCH for the whole folder: a SELECT and FETCH per mail costs a Nagle
        # round trip (~40 ms) each on pymap.
        typ, data = probe.conn.uid("FETCH", "1:*", "(BODY.PEEK[])")
        assert typ == "OK", data
        return sorted(sha256(bytes(part[1])) for part in data if isinstance(part, tuple))
    finally:
        probe.close()
