"""A department's bundle stored as it is made: its items read one consultation at a time,
its text's lines, its sheet's and its MIME parts written into an outbox part as they
come; the bytes those of the bundle composed whole, on SQLite and PostgreSQL."""

from __future__ import annotations

import email
import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from mailflow.domain import ItemId, Phase
from mailflow.outbound import views as v
from mailflow.outbound.compose import (
    CRLF,
    attachment_start,
    compose,
    multipart_end,
    multipart_head,
)
from mailflow.outbound.model import OutgoingAttachment, OutgoingMail
from mailflow.outbound.render import answer_sheet_for, answer_sheet_rows, render_mail
from mailflow.parsing.answer_sheet import write_answer_sheet_to
from mailflow.routing import PartyKind, PartyRef
from mailflow.services import mail_stream
from mailflow.services.context import Services
from mailflow.services.mail_views import BundleItems, RoundItems
from mailflow.services.mailing import RoundMail, Written
from mailflow.store import db
from mailflow.store import outbox as repo
from mailflow.store import outbox_parts as parts
from mailflow.store import rounds as rounds_repo
from mailflow.store.models import Department, Item, Outbox, OutboxPartChunk
from tests.harness.seed_round import build_seed_round, seed_services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _seeded(tmp_path: Path, url: str) -> tuple[Services, str]:
    os.environ.setdefault("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    services = seed_services(tmp_path / "data", url)
    return services, build_seed_round(services).key


def _bundles(
    s: Session, services: Services, key: str, upto: int | None = None
) -> tuple[RoundMail, str, v.DepartmentBundle, v.DepartmentBundle]:
    """A department's ① bundle with every ① item of the round (two consultations, some
    items of other departments' consultations too; the first ``upto`` of them), its
    items read per consultation and picked from the round's rows read whole."""
    rnd = rounds_repo.get(s, 1, key)
    assert rnd is not None
    r = RoundMail(services, s, rnd)
    ids = [
        ItemId.parse(p)
        for p in s.scalars(
            select(Item.public_id).where(Item.phase == 1, Item.public_id.is_not(None))
        ).all()
        if p
    ][:upto]
    d = next(iter(r.consultations)).departments[0]
    to = v.Recipient(d, department=True)
    due = services.clock.now() + timedelta(days=7)

    def bundle(items: object) -> v.DepartmentBundle:
        return v.DepartmentBundle(
            to,
            r.committee,
            r.info,
            Phase.QUESTIONS,
            r.consultations,
            items,
            due,  # type: ignore[arg-type]
        )

    lazy = bundle(BundleItems(r.items, ids, upto=None))
    whole = bundle(RoundItems(s, rnd, r.names).selected([str(i) for i in ids], upto=None))
    department = next(k for k, dd in _departments(s).items() if dd == d)
    return r, department, lazy, whole


def _departments(s: Session) -> dict[str, str]:
    return {d.key: d.name for d in s.scalars(select(Department)).all()}


def test_a_bundles_items_read_per_consultation_give_its_text_and_sheet(
    tmp_path: Path, any_db_url: str
) -> None:
    services, key = _seeded(tmp_path, any_db_url)
    conf = services.config.committee
    with db.transaction(services.sessions) as s:
        r, _, lazy, whole = _bundles(s, services, key)
        assert len(lazy.items) == len(whole.items) > 10
        assert list(lazy.items) == list(whole.items)  # round order
        for language in ("ja", "en"):
            assert render_mail(lazy, language, conf.tz) == render_mail(whole, language, conf.tz)
        assert isinstance(lazy.items, BundleItems)
        assert list(lazy.items.sheet_rows()) == list(answer_sheet_rows(whole))
        assert list(answer_sheet_rows(lazy)) == list(answer_sheet_rows(whole))
        out = io.BytesIO()
        write_answer_sheet_to(lazy.items.sheet_rows(), out)
        sheets = [out.getvalue(), answer_sheet_for(whole)]
        books = [openpyxl.load_workbook(io.BytesIO(b)).active for b in sheets]
        cells = [[tuple(c) for c in book.iter_rows(values_only=True)] for book in books]
        assert cells[0] == cells[1] and len(cells[0]) == len(whole.items) + 1
        assert r.items._whole is None  # the round's rows never read whole
        s.rollback()
    services.engine.dispose()


def _queued(
    services: Services, key: str, sheet: bytes, *, written: bool, upto: int | None = None
) -> tuple[bytes, int, int]:
    """The bundle queued with its sheet written as it is stored, or composed whole: the
    stored bytes, the row's own octets and the chunk rows written; rolled back after."""
    with db.transaction(services.sessions) as s:
        r, department, lazy, _ = _bundles(s, services, key, upto)
        r.part_chunk = 4096
        now = services.clock.now()
        name = "回答票_R2-5_①.xlsx"
        if written:
            kw: dict[str, object] = {"written": Written(name, XLSX, lambda out: out.write(sheet))}
        else:
            kw = {"attachments": (OutgoingAttachment(name, XLSX, sheet),)}
        d = r.department(department)
        n = r.queue(
            kind="department_bundle", key="bundle>x",
            party=PartyRef(PartyKind.DEPARTMENT, str(d.id)),
            name=d.name, addresses=[a.address for a in d.addresses], view=lazy, now=now,
            approved=True, in_reply_to="earlier@example.jp", **kw,  # type: ignore[arg-type]
        )  # fmt: skip
        assert n == 1
        row = s.scalars(select(Outbox).where(Outbox.kind == "department_bundle")).one()
        stored = repo.raw_bytes(s, row.id)
        chunks = s.scalar(select(func.count()).select_from(OutboxPartChunk)) or 0
        own = len(row.raw)
        s.rollback()
    return stored, own, chunks


def test_a_bundle_stored_as_it_is_made_is_the_bundle_composed_whole(
    tmp_path: Path, any_db_url: str
) -> None:
    services, key = _seeded(tmp_path, any_db_url)
    with db.reading(services.sessions) as s:
        _, _, _, whole = _bundles(s, services, key)
        sheet = answer_sheet_for(whole) * 3  # a sheet over several chunks
    composed, composed_own, _ = _queued(services, key, sheet, written=False)
    streamed, own, chunks = _queued(services, key, sheet, written=True)
    assert streamed == composed
    assert composed_own == len(composed)  # composed whole: all in its row
    assert own < 2000 and chunks * 4096 >= len(streamed) - own  # headers; the rest in chunks
    assert sheet in _attachment(streamed)
    # A short bundle stays whole in its row, as a short shared tail does: no part kept.
    composed, _, _ = _queued(services, key, b"x" * 100, written=False, upto=2)
    streamed, own, chunks = _queued(services, key, b"x" * 100, written=True, upto=2)
    assert streamed == composed and own == len(streamed) and chunks == 0
    services.engine.dispose()


def _attachment(raw: bytes) -> bytes:
    msg = email.message_from_bytes(raw)
    [att] = [p for p in msg.walk() if p.get_content_type() == XLSX]
    data = att.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


TEXTS = ["", "a", "一行\n", "末尾にCR\r", "\r\n" * 3, "長い行。" * 500]
DATA = [b"", b"x", bytes(range(256)) * 300]


def test_a_text_and_a_file_stored_in_pieces_are_as_composed(tmp_path: Path) -> None:
    """Every part of a mail with an attachment, written piece by piece, is the same as
    `compose` writes, also for an empty text or file (a CRLF alone)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    db.upgrade(engine)
    for text in TEXTS:
        for data in DATA:
            mail = OutgoingMail(
                from_name="審査会", from_address="a@example.jp", to=(("課", "b@example.jp"),),
                subject="件名", text=text, message_id="<m@example.jp>",
                date=datetime(2025, 6, 1, tzinfo=UTC),
                attachments=(OutgoingAttachment("a.bin", "application/octet-stream", data),),
            )  # fmt: skip
            with Session(engine) as s:
                writer = parts.PartWriter(s, 1000)
                mail_stream.store_body(writer, (text[i : i + 7] for i in range(0, len(text), 7)))
                body_id, body = writer.close()
                writer = parts.PartWriter(s, 1000)
                mail_stream.store_file(writer, io.BytesIO(data))
                file_id, _ = writer.close()
                lines, file_lines = parts.mail_bytes(s, [(b"", body_id), (b"", file_id)])
                s.rollback()
            [att] = mail.attachments
            pieces = [
                (multipart_head(mail) + CRLF).encode("ascii"), lines,
                (attachment_start(mail, att) + CRLF).encode("ascii"), file_lines,
                (multipart_end(mail) + CRLF).encode("ascii"),
            ]  # fmt: skip
            assert b"".join(pieces) == compose(mail), (text[:10], len(data))
            assert body.size == len(lines)
    engine.dispose()
