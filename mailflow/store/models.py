"""SQLAlchemy models: every entity of docs/design.md "Data", with the constraints that hold."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from mailflow.domain.states import (
    AnswerState,
    CorrectionAction,
    DecisionState,
    EventKind,
    HeldDocumentState,
    ItemState,
    MessageState,
    OutboxState,
    PendingState,
    check_in,
)
from mailflow.store.types import UtcDateTime
from mailflow.workflow.state import RoundState

# Named constraints so that Alembic migrations can alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class Committee(Base):
    """A council or advisory committee (審議会) and its mailbox."""

    __tablename__ = "committee"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8), default="ja")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tokyo")
    # Moved by the database (triggers, migration 0014) whenever a row routing and filing
    # read about the committee changes: its people, addresses, rounds and consultations.
    # Random, not counted, so a cache keyed on it cannot confuse two states.
    directory_mark: Mapped[int] = mapped_column(
        BigInteger, default=lambda: secrets.randbits(52), server_default="0"
    )


class Member(Base):
    """A committee member (委員); role chair (会長), deputy (会長職務代理) or member."""

    __tablename__ = "member"
    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    addresses: Mapped[list[MemberAddress]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="MemberAddress.id"
    )

    __table_args__ = (
        UniqueConstraint("committee_id", "key"),
        CheckConstraint("role IN ('chair', 'deputy', 'member')", name="role"),
    )


class MemberAddress(Base):
    __tablename__ = "member_address"
    __table_args__ = (UniqueConstraint("committee_id", "address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    address: Mapped[str] = mapped_column(String(254))  # normalised, lower-case
    member: Mapped[Member] = relationship(back_populates="addresses")


class Department(Base):
    """A responsible department (所管課)."""

    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("committee_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    addresses: Mapped[list[DepartmentAddress]] = relationship(
        back_populates="department", cascade="all, delete-orphan", order_by="DepartmentAddress.id"
    )


class DepartmentAddress(Base):
    __tablename__ = "department_address"
    __table_args__ = (UniqueConstraint("committee_id", "address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    address: Mapped[str] = mapped_column(String(254))
    department: Mapped[Department] = relationship(back_populates="addresses")


class Round(Base):
    """One round of written deliberation (開催回), such as R2-5, with its four deadlines."""

    __tablename__ = "round"
    __table_args__ = (
        UniqueConstraint("committee_id", "key"),
        CheckConstraint(check_in("state", RoundState), name="state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"), index=True)
    key: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    notice_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(32), default="draft")
    questions_due: Mapped[datetime]
    answers_due: Mapped[datetime]
    further_due: Mapped[datetime]
    decision_due: Mapped[datetime]
    decider_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    # When departments owe answers to the ③ items; None: the engine's default.
    responses_due: Mapped[datetime | None]
    # Phases staff closed early (everyone had replied): {"1": "2021-01-12T09:00:00+00:00"}.
    closed_early: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    consultations: Mapped[list[Consultation]] = relationship(
        back_populates="round", order_by="Consultation.position"
    )
    absences: Mapped[list[RoundAbsence]] = relationship(cascade="all, delete-orphan")


class RoundDocument(Base):
    """A document staff supply for the round (諮問書 …), attached to the call for questions."""

    __tablename__ = "round_document"
    __table_args__ = (UniqueConstraint("round_id", "filename"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class RoundAbsence(Base):
    """A member absent for this round (欠席委員): gets no mail, is listed as absent."""

    __tablename__ = "round_absence"
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)


class Consultation(Base):
    """A consultation (諮問案件), e.g. 令和2年度諮問第13号, and its key "13" used in item IDs."""

    __tablename__ = "consultation"
    __table_args__ = (UniqueConstraint("round_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    key: Mapped[str] = mapped_column(String(16))
    number: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer)
    round: Mapped[Round] = relationship(back_populates="consultations")
    departments: Mapped[list[Department]] = relationship(
        secondary="consultation_department", order_by="Department.id"
    )


class ConsultationDepartment(Base):
    __tablename__ = "consultation_department"
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), primary_key=True)


class Message(Base):
    """An inbound mail, raw bytes kept; its processing state and where it was routed."""

    __tablename__ = "message"
    __table_args__ = (
        # Message-ID, or sha256 of the raw bytes when there is none (docs/design.md "Lessons").
        UniqueConstraint("committee_id", "dedupe_key"),
        UniqueConstraint("committee_id", "mailbox", "uidvalidity", "uid"),
        Index("ix_message_state", "committee_id", "state"),
        CheckConstraint(check_in("state", MessageState), name="state"),
        # A sender's recent mail (rate limit, receipt echoes): only that sender's rows.
        Index("ix_message_member_received", "committee_id", "member_id", "received_at"),
        Index("ix_message_department_received", "committee_id", "department_id", "received_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"))
    dedupe_key: Mapped[str] = mapped_column(String(1000))
    # Looked up through dedupe_key (Message-ID or sha256); no index of their own, which
    # would cost two more B-tree updates per stored mail for no query.
    message_id: Mapped[str | None] = mapped_column(String(998))
    sha256: Mapped[str] = mapped_column(String(64))
    mailbox: Mapped[str | None] = mapped_column(String(200))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column(BigInteger)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default="stored")
    classification: Mapped[str | None] = mapped_column(String(16))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id"), index=True)
    sender_kind: Mapped[str | None] = mapped_column(String(16))  # member|department|chair
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    phase: Mapped[int | None] = mapped_column(Integer)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    quarantine_reason: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    # When mailflow first read it into its round (a reprocess keeps it, a new round
    # resets it): an item read after its bundle left joins the round then.
    first_processed_at: Mapped[datetime | None]
    # When the staff digest last listed it as waiting; a new failure clears it, so the
    # next digest tells staff again. A mail held again after being told is not listed
    # again (the intake line says it was held).
    reported_at: Mapped[datetime | None]


class Item(Base):
    """A member's question, opinion or request (質疑・意見), with its public ID such as Q13-03."""

    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("round_id", "public_id"),
        # The next number of a consultation (MAX(seq)) is one index seek, whatever the round holds.
        Index("ix_item_round_consultation_seq", "round_id", "consultation_id", "seq"),
        CheckConstraint("kind IN ('question', 'opinion', 'request')", name="kind"),
        CheckConstraint("phase IN (1, 3)", name="phase"),
        CheckConstraint(check_in("state", ItemState), name="state"),
        CheckConstraint(
            "moved_to_id IS NOT NULL OR state NOT IN ('moved', 'merged')", name="moved_to"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    phase: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int | None] = mapped_column(Integer)
    public_id: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    published_text: Mapped[str | None] = mapped_column(Text)  # staff wording for the minutes
    reference: Mapped[str | None] = mapped_column(String(200))
    parent_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="active")
    staff_edited: Mapped[bool] = mapped_column(Boolean, default=False)
    source_message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime]
    # Staff corrections (`mailflow item place|move|split|merge`): where a moved or merged
    # item now lives, the item a moved or split-off one was made from, and when staff
    # placed the item in its consultation (it joins the round then, as an accepted one).
    moved_to_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    origin_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    placed_at: Mapped[datetime | None]
    # When staff last released it from held (`mailflow item accept`): it joins then.
    accepted_at: Mapped[datetime | None]


class ItemCorrection(Base):
    """A member's own 訂正 or 取消 of their item by reply, as applied: a reprocessed
    original mail gets it back (`services.corrections.reapply`)."""

    __tablename__ = "item_correction"
    __table_args__ = (CheckConstraint(check_in("action", CorrectionAction), name="action"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"))  # the mail saying so
    action: Mapped[str] = mapped_column(String(16))
    new_text: Mapped[str | None] = mapped_column(Text)  # a correction's text
    at: Mapped[datetime]


class Answer(Base):
    """A department's (or the secretariat's) answer to an item; never without its item."""

    __tablename__ = "answer"
    __table_args__ = (
        CheckConstraint("department_id IS NOT NULL OR by_secretariat", name="author"),
        CheckConstraint(check_in("state", AnswerState), name="state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    by_secretariat: Mapped[bool] = mapped_column(Boolean, default=False)
    author_label: Mapped[str | None] = mapped_column(String(100))  # e.g. 情報公開係長
    phase: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    published_text: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="active")
    staff_edited: Mapped[bool] = mapped_column(Boolean, default=False)
    source_message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"), index=True)
    received_at: Mapped[datetime]
    # `mailflow answer replace|remove`: the answer that took this one's place, and when
    # staff changed it; the old text stays for the export.
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("answer.id"))
    corrected_at: Mapped[datetime | None]


class HeldDocument(Base):
    """An attachment read as a member's reply that could not be read: held for staff, who
    read it themselves and file its items by hand (`mailflow item add`)."""

    __tablename__ = "held_document"
    __table_args__ = (
        UniqueConstraint("message_id", "filename"),
        CheckConstraint(check_in("state", HeldDocumentState), name="state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    filename: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class Decision(Base):
    """The chair's decision (答申) on one consultation: 可 / 条件付き可 / 否, and conditions."""

    __tablename__ = "decision"
    __table_args__ = (
        CheckConstraint(
            "verdict IN ('approve', 'approve_with_conditions', 'reject', 'unclear')",
            name="verdict",
        ),
        CheckConstraint(check_in("state", DecisionState), name="state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    verdict: Mapped[str] = mapped_column(String(32))
    conditions: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # pending|confirmed|superseded
    decided_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    source_message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    received_at: Mapped[datetime]


class Outbox(Base):
    """An outbound mail with its final bytes, written before it is sent (transactional outbox)."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(check_in("state", OutboxState), name="state"),
        Index("ix_outbox_state", "state", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    action_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    recipients: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(998))
    # The mail's own bytes; when ``part_id`` is set, the shared part's bytes follow them
    # (`store.outbox_parts.mail_bytes` reads the two as one).
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    part_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_part.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    approved_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(100))
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class OutboxPart(Base):
    """Bytes that end many outbox mails alike (a distribution's body after each member's
    greeting), stored once and named by their SHA-256; the bytes are in chunks."""

    __tablename__ = "outbox_part"
    __table_args__ = (CheckConstraint("size >= 0", name="size"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)


class OutboxPartChunk(Base):
    """One piece of a part's bytes, in order of ``seq``: bounded, so that no one value
    of the database is as large as the part (at most `outbox_parts.CHUNK` octets)."""

    __tablename__ = "outbox_part_chunk"
    part_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_part.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class WorkflowAction(Base):
    """A workflow action already applied, by its idempotency key: never applied twice."""

    __tablename__ = "workflow_action"
    __table_args__ = (UniqueConstraint("round_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"))
    key: Mapped[str] = mapped_column(String(300))
    applied_at: Mapped[datetime]


class DeliveryFailure(Base):
    """A bounce: mail to this address failed (permanently or not); staff are told."""

    __tablename__ = "delivery_failure"
    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"))
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), index=True)
    address: Mapped[str] = mapped_column(String(254))
    permanent: Mapped[bool] = mapped_column(Boolean)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    at: Mapped[datetime]


class MailboxState(Base):
    """Where IMAP sync stands for one mailbox: UIDVALIDITY, the last UID committed, and
    the last UID moved or flagged on the server (every committed mail at or below it)."""

    __tablename__ = "mailbox_state"
    __table_args__ = (UniqueConstraint("committee_id", "mailbox"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"))
    mailbox: Mapped[str] = mapped_column(String(200))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    # Mail is committed and acted on in UID order, so one number says what is still owed
    # (acted_uid < uid ≤ last_uid) where a flag per message cost a page write per mail.
    acted_uid: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Lease(Base):
    """Exactly one poller per mailbox (docs/design.md "Lessons"): who holds it, until when."""

    __tablename__ = "lease"
    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]


class Event(Base):
    """The audit log: every outcome, transition and staff action, with who and why."""

    __tablename__ = "event"
    __table_args__ = (
        # A round's events of one kind: the audit page filters by both.
        Index("ix_event_round_kind", "round_id", "kind"),
        CheckConstraint(check_in("kind", EventKind), name="kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int | None] = mapped_column(ForeignKey("committee.id"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PendingChange(Base):
    """A change to a round's record that waits for its party's reply (確認待ち).

    ``change``: what one stored mail would change (``changes``: corrections, answers,
    decisions) when it did not prove its sender; applied when the party replies to
    our request at their registered address. ``decision_echo``: the decision as echoed
    to the decider (``echo_key``, the echo's action key), confirmed by a reply to that
    echo. The row's id rides in the reply token of the mail that asks.
    """

    __tablename__ = "pending_change"
    __table_args__ = (
        CheckConstraint("kind IN ('change', 'decision_echo')", name="kind"),
        CheckConstraint(check_in("state", PendingState), name="state"),
        CheckConstraint("party_kind IN ('member', 'department', 'chair')", name="party_kind"),
        CheckConstraint(
            "(kind = 'change' AND message_id IS NOT NULL)"
            " OR (kind = 'decision_echo' AND echo_key IS NOT NULL)",
            name="subject",
        ),
        UniqueConstraint("message_id"),
        UniqueConstraint("round_id", "echo_key"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"))
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    party_kind: Mapped[str] = mapped_column(String(16))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    echo_key: Mapped[str | None] = mapped_column(String(300))
    changes: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by_message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))


class StaffAccount(Base):
    """A login of the staff console: ``staff`` act, ``auditor`` only read."""

    __tablename__ = "staff_account"
    __table_args__ = (CheckConstraint("role IN ('staff', 'auditor')", name="role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, PHC string
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]


class StaffSession(Base):
    """A console session: the cookie carries a random token, the row only its hash.

    Kept server-side so that logout, an idle timeout or a disabled account ends it
    for good: a copy of the cookie taken before is refused afterwards.
    """

    __tablename__ = "staff_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_account.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """One console login attempt, for the lockout per login and per client address."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_login_at", "login", "at"),
                      Index("ix_login_attempt_address_at", "address", "at"))  # fmt: skip
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    ok: Mapped[bool] = mapped_column(Boolean)


class Heartbeat(Base):
    """The last time a part of the daemon finished a cycle, and what it saw (/health)."""

    __tablename__ = "heartbeat"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # scheduler:<committee>
    at: Mapped[datetime]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
