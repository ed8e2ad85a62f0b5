"""From a workflow action to queued mail: recipients, views, text, bytes, outbox.

Each recipient gets a mail of its own (a token of its own in Reply-To and Message-ID),
queued under the key ``<action key>><recipient>`` in the same transaction that marks the
action applied: a crash leaves both or neither, and a repeat queues nothing twice.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import IO, TYPE_CHECKING, Any

from mailflow.domain import Phase, Verdict
from mailflow.outbound import views as v
from mailflow.outbound.compose import (
    CRLF,
    SharedBody,
    StreamedBody,
    attachment_start,
    compose_parts,
    multipart_end,
    multipart_head,
    tail_offset,
)
from mailflow.outbound.model import OutgoingAttachment, OutgoingMail, SharedTail
from mailflow.outbound.render import RenderedMail, RenderStream, render_mail
from mailflow.parsing.answer_sheet import write_answer_sheet_to
from mailflow.routing import PartyKind, PartyRef, make_message_id, make_token, plus_address
from mailflow.services import mail_stream
from mailflow.services.context import Services
from mailflow.services.mail_stream import Streamed, Whole
from mailflow.services.mail_views import (
    BundleItems,
    PhaseIds,
    RoundItems,
    committee_info,
    consultations,
    round_info,
)
from mailflow.store import directory as parties
from mailflow.store import outbox as outbox_repo
from mailflow.store import outbox_parts
from mailflow.store import pending as pending_repo
from mailflow.store import workflow as repo
from mailflow.store.models import Department, Round
from mailflow.workflow import actions as act
from mailflow.workflow.facts import DecisionFact

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

ViewFor = Callable[[v.Recipient], v.MailView]
AttachmentsFor = Callable[[v.MailView], tuple[OutgoingAttachment, ...]]


@dataclasses.dataclass(frozen=True)
class Written:
    """An attachment written into a file as its mail is stored (`RoundMail.queue`): a
    department's answer sheet of thousands of rows is never held as bytes."""

    filename: str
    content_type: str
    write: Callable[[IO[bytes]], None]


WrittenFor = Callable[[v.MailView], Written]

# Stands for the recipient's name in a text rendered once for many (a private-use
# character: no name or template contains it).
_NAME_MARK = "\ue000"

# A shared tail shorter than this stays in each mail's own row: a part of its own would
# save less than the lookup and the row it costs.
_SHARE_FROM = 16 * 1024

# The last group's view (named by the mark) and its text: held whole with the encoding
# of its shared part, or its head alone with its stored tail.
_Rendered = tuple[tuple[v.MailView, date | None], Whole | Streamed, SharedBody | None]

KIND_OF = {
    act.SendCallForQuestions: "call_for_questions",
    act.SendReminder: "reminder",
    act.SendDepartmentBundle: "department_bundle",
    act.SendDistribution: "distribution",
    act.SendCallForFurther: "call_for_further",
    act.SendChairDigest: "chair_digest",
    act.SendDecisionReask: "decision_reask",
    act.SendDecisionEcho: "decision_echo",
    act.SendResultNotice: "result_notice",
    act.SendDeadlineNotice: "deadline_notice",
    act.SendCancellationNotice: "cancellation_notice",
}


class RoundMail:
    """What every mail of one round needs, read once per action."""

    def __init__(self, services: Services, session: Session, rnd: Round) -> None:
        self.services, self.session, self.rnd = services, session, rnd
        self.members = {m.key: m for m in parties.members(session, rnd.committee_id)}
        self.names = {m.id: m.name for m in self.members.values()}
        self.committee = committee_info(services.config)
        self.info = round_info(rnd)
        self.consultations = consultations(session, rnd)
        self.secret = services.config.security.token_secret.reveal().encode()
        self._items: RoundItems | None = None
        self._rendered: _Rendered | None = None
        self._expected: tuple[str, ...] = ()
        self.part_chunk = outbox_parts.CHUNK  # octets per chunk row of a stored tail
        self.stream_from = mail_stream.HOLD  # characters after the name: a tail stored

    def expect(self, names: Iterable[str]) -> None:
        """The names the next group's mails greet: a long text's tail is stored at their
        offsets as it is rendered (another name costs the text rendered again)."""
        self._expected = tuple(names)

    @property
    def items(self) -> RoundItems:
        if self._items is None:
            self._items = RoundItems(self.session, self.rnd, self.names)
        return self._items

    def render(self, view: v.MailView, today: date | None = None) -> RenderedMail:
        """The view's subject and text, rendered once per group of recipients.

        The views of one action differ only in whom they greet (a distribution of
        thousands of items to every member): the text is rendered once with a mark in
        place of the name, and each recipient's name put in.
        """
        return self._render(view, today, stream=False)[0]

    def _alone(self, view: v.MailView, today: date | None) -> RenderedMail:
        conf = self.services.config
        return render_mail(view, conf.committee.language, conf.committee.tz, today)

    def _render(
        self, view: v.MailView, today: date | None, *, stream: bool
    ) -> tuple[RenderedMail, SharedBody | StreamedBody | None]:
        """The view's subject and text, rendered once per group of recipients, and the
        encoding of what follows the name, which every recipient's body shares. With
        ``stream`` (a mail with nothing after its body), a long text's shared part is
        stored as it is rendered (`mail_stream`): the text given is then the mail's own
        part only, before the tail, as `compose_parts` takes it with a `StreamedBody`."""
        to = getattr(view, "recipient", None)
        if not isinstance(to, v.Recipient) or _NAME_MARK in to.name or "\r" in to.name:
            return self._alone(view, today), None
        generic = dataclasses.replace(view, recipient=v.Recipient(_NAME_MARK, to.department))  # type: ignore[arg-type]
        last = self._rendered
        if (
            last is None
            or last[0] != (generic, today)
            or (isinstance(last[1], Streamed) and not stream)
        ):  # one group at a time: memory stays flat
            self._rendered = None
            done: Whole | Streamed | None = None
            if stream:
                names = self._expected if to.name in self._expected else (to.name,)
                done = self._stream(generic, today, names)
            if done is None:
                whole = self._alone(generic, today)
                done = Whole(whole.subject, whole.text)
            shared = None if isinstance(done, Streamed) else SharedBody(
                done.text.rsplit(_NAME_MARK, 1)[-1]
            )  # fmt: skip
            last = self._rendered = ((generic, today), done, shared)
        done, shared = last[1], last[2]
        subject = done.subject.replace(_NAME_MARK, to.name)
        if isinstance(done, Whole):
            return RenderedMail(subject, done.text.replace(_NAME_MARK, to.name)), shared
        head = done.head.replace(_NAME_MARK, to.name)
        if tail_offset(head) not in done.body.tails:  # a name of a length not expected
            more = self._stream(generic, today, (to.name,))
            if not isinstance(more, Streamed):
                raise AssertionError("the same text rendered again came out otherwise")
            done.body.tails.update(more.body.tails)
        return RenderedMail(subject, head), done.body

    def _stream(
        self, view: v.MailView, today: date | None, names: Iterable[str]
    ) -> Whole | Streamed | None:
        conf = self.services.config
        text = RenderStream(view, conf.committee.language, conf.committee.tz, today)
        return mail_stream.render_group(
            self.session, text, _NAME_MARK, names, self.part_chunk, self.stream_from
        )

    def department(self, key: str) -> Department:
        d = repo.department_by_key(self.session, self.rnd.committee_id, key)
        if d is None:
            raise LookupError(f"no department {key!r}")
        return d

    def message_id(self, key: str, party: PartyRef, ask: int | None = None) -> str:
        """The Message-ID of the mail queued under `key` to `party`: the same every time."""
        return self._message_id(key, make_token(self.secret, str(self.rnd.id), party, ask))

    def _message_id(self, key: str, token: str) -> str:
        unique = hashlib.sha256(f"c{self.rnd.committee_id}:{key}".encode()).hexdigest()[:20]
        domain = self.services.config.committee.address.rsplit("@", 1)[1]
        return make_message_id(self.secret, token, unique, domain)

    def queue(
        self,
        *,
        kind: str,
        key: str,
        party: PartyRef,
        name: str,
        addresses: list[str],
        view: v.MailView,
        now: datetime,
        approved: bool,
        attachments: tuple[OutgoingAttachment, ...] = (),
        in_reply_to: str | None = None,
        ask: int | None = None,
        alone: bool = False,
        written: Written | None = None,
    ) -> int:
        """Queue one mail; ``ask`` is the request (pending change, echo) a reply answers,
        carried in its reply token and Message-ID. ``alone``: a mail of its own (a
        receipt), not one of a group sharing its text: rendered and composed whole.
        ``written``: the mail's one attachment, written as the mail is stored
        (`_written`)."""
        conf = self.services.config
        today = now.astimezone(conf.committee.tz).date()
        token = make_token(self.secret, str(self.rnd.id), party, ask)
        message_id = self._message_id(key, token)
        # Round keys such as R2-5 repeat across committees sharing one database.
        key = f"c{self.rnd.committee_id}:{key}"
        mail = OutgoingMail(
            from_name=conf.committee.name,
            from_address=conf.committee.address,
            to=tuple((name, a) for a in addresses[:1]),
            subject="",
            text="",
            message_id=message_id,
            date=now,
            reply_to=plus_address(conf.committee.address, token),
            in_reply_to=in_reply_to,
            references=(in_reply_to,) if in_reply_to else (),
            attachments=attachments,
        )
        if written is not None:
            if attachments:
                raise ValueError("a written attachment is its mail's only one")
            head, subject, rest = self._written(mail, view, today, written)
            mail = dataclasses.replace(mail, subject=subject)
            return self._enqueue(mail, kind, key, head, rest, now, approved)
        rendered, shared = (
            (self._alone(view, today), None)
            if alone
            else self._render(view, today, stream=not attachments)
        )
        mail = dataclasses.replace(mail, subject=rendered.subject, text=rendered.text)
        # The body after the greeting, the same for every recipient at this offset, is
        # stored once (outbox parts); the row keeps the headers and the greeting's lines.
        composed = compose_parts(mail, shared)
        head, shared_tail = composed.head, composed.tail
        if shared_tail is not None and shared_tail.size < _SHARE_FROM:
            head, shared_tail = composed.raw, None
        return self._enqueue(mail, kind, key, head, shared_tail, now, approved)

    def _written(
        self, mail: OutgoingMail, view: v.MailView, today: date, written: Written
    ) -> tuple[bytes, str, SharedTail | None]:
        """A mail with one attachment, stored as it is made: its text's lines, the
        attachment's head and its file's lines and the end go into a part of the mail's
        own as they come (`mail_stream.store_body`, `store_file`); the row keeps the
        headers, known once the text (which sets the subject) is read through (and the
        rest too when it is short, as a short shared tail is). The bytes are `compose`'s
        of the whole text and file."""
        conf = self.services.config
        text = RenderStream(view, conf.committee.language, conf.committee.tz, today)
        att = OutgoingAttachment(written.filename, written.content_type, b"")
        mail = dataclasses.replace(mail, attachments=(att,))
        writer = outbox_parts.PartWriter(self.session, self.part_chunk)
        mail_stream.store_body(writer, text)
        writer.write((attachment_start(mail, att) + CRLF).encode("ascii"))
        with tempfile.TemporaryFile() as data:
            written.write(data)
            data.seek(0)
            mail_stream.store_file(writer, data)
        writer.write((multipart_end(mail) + CRLF).encode("ascii"))
        part_id, tail = writer.close()
        mail = dataclasses.replace(mail, subject=text.subject)
        head = (multipart_head(mail) + CRLF).encode("ascii")
        if tail.size < _SHARE_FROM and part_id == writer.id:  # short: whole in its row
            [rest] = outbox_parts.mail_bytes(self.session, [(b"", part_id)])
            writer.discard()
            return head + rest, text.subject, None
        return head, text.subject, tail

    def _enqueue(
        self, mail: OutgoingMail, kind: str, key: str, head: bytes, tail: SharedTail | None,
        now: datetime, approved: bool,
    ) -> int:  # fmt: skip
        _, created = outbox_repo.enqueue(
            self.session,
            outbox_repo.NewMail(
                committee_id=self.rnd.committee_id,
                kind=kind,
                message_id=mail.message_id,
                recipients=mail.envelope_recipients,
                subject=mail.subject,
                raw=head,
                action_key=key,
                round_id=self.rnd.id,
                shared=tail,
            ),
            now=now,
            approved=approved,
        )
        return 1 if created else 0

    def to_member(
        self, key: str, action_key: str, kind: str, view_for: ViewFor, now: datetime,
        approved: bool, party_kind: PartyKind = PartyKind.MEMBER,
        attachments: tuple[OutgoingAttachment, ...] = (), ask: int | None = None,
    ) -> int:  # fmt: skip
        m = self.members[key]
        addresses = list(m.addresses)
        party = PartyRef(party_kind, str(m.id))
        return self.queue(
            kind=kind, key=act.recipient_key(action_key, key), party=party,
            name=m.name, addresses=addresses, view=view_for(v.Recipient(m.name)), now=now,
            approved=approved, attachments=attachments, ask=ask,
        )  # fmt: skip

    def to_department(
        self, key: str, action_key: str, kind: str, view_for: ViewFor, now: datetime,
        approved: bool, attachments_for: AttachmentsFor | None = None,
        follows: str | None = None, written_for: WrittenFor | None = None,
    ) -> int:  # fmt: skip
        """Queue to a department; `follows` is the action key of the mail this one follows
        (In-Reply-To it, so the department's client threads them and a reply to either
        routes the same way)."""
        d = self.department(key)
        party = PartyRef(PartyKind.DEPARTMENT, str(d.id))
        recipient = v.Recipient(d.name, department=True)
        view = view_for(recipient)
        atts = attachments_for(view) if attachments_for else ()
        written = written_for(view) if written_for else None
        in_reply_to = self.message_id(act.recipient_key(follows, key), party) if follows else None
        return self.queue(
            kind=kind, key=act.recipient_key(action_key, key), party=party,
            name=d.name, addresses=[a.address for a in d.addresses], view=view, now=now,
            approved=approved, attachments=atts, in_reply_to=in_reply_to, written=written,
        )  # fmt: skip


def _round_of(services: Services, session: Session, rnd: Round) -> RoundMail:
    """The round's mail context, shared by the actions of one unit of work: a tick that
    sends ten departments their bundles reads the round's items once, not ten times
    (the actions queue mail; none of them changes items or answers). Reading each
    department's alone held less in the bundle tick (144 against 148 MiB at 30,000
    items) but cost 0.6 s more of it and left the distribution's peak no lower."""
    shared: dict[int, RoundMail] = session.info.setdefault("mailing_rounds", {})
    r = shared.get(rnd.id)
    if r is None or r.rnd is not rnd or r.services is not services:
        r = shared[rnd.id] = RoundMail(services, session, rnd)
    return r


def forget_round(session: Session) -> None:
    """After an action that changes the round (state, deadlines, decider): read it anew."""
    session.info.pop("mailing_rounds", None)


def deliver(
    services: Services, session: Session, rnd: Round, action: act.Mail, now: datetime,
    *, approval: bool,
) -> int:  # fmt: skip
    """Queue the mails of one action; returns how many were newly queued."""
    r = _round_of(services, session, rnd)
    return _SENDERS[type(action)](r, action, KIND_OF[type(action)], now, not approval)


def _call_for_questions(
    r: RoundMail, action: act.SendCallForQuestions, kind: str, now: datetime, ok: bool
) -> int:
    docs = tuple(
        OutgoingAttachment(d.filename, d.content_type, d.data)
        for d in repo.documents_of(r.session, r.rnd.id)
    )
    names = tuple(d.filename for d in docs)
    c, info = r.committee, r.info
    return sum(
        r.to_member(key, action.key, kind,
                    lambda to: v.CallForQuestions(to, c, info, r.consultations, names),
                    now, ok, attachments=docs)
        for key in action.recipients
    )  # fmt: skip


def _reminder(r: RoundMail, action: act.SendReminder, kind: str, now: datetime, ok: bool) -> int:
    c, info = r.committee, r.info

    def reminder(to: v.Recipient) -> v.MailView:
        owed = r.items.owed(to.name, 1 if action.phase is Phase.ANSWERS else 3, r.consultations)
        return v.Reminder(to, c, info, action.phase, action.deadline, action.audience, owed)

    n = 0
    for key in action.recipients:
        if action.audience is act.Audience.DEPARTMENTS:
            n += r.to_department(key, action.key, kind, reminder, now, ok)
        else:
            pk = PartyKind.CHAIR if action.audience is act.Audience.DECIDER else PartyKind.MEMBER
            n += r.to_member(key, action.key, kind, reminder, now, ok, pk)
    return n


def _distribution(
    r: RoundMail, action: act.SendDistribution, kind: str, now: datetime, ok: bool
) -> int:
    c, info = r.committee, r.info
    # The action's IDs as they are (the engine's): strings of them would be held, one per
    # item, while every member's mail is queued.
    grouped = r.items.by_consultation(action.item_ids, upto=action.window_end)
    pending = grouped.pending
    renewed = tuple(str(i) for i, _ in action.renewed)
    r.expect(r.members[key].name for key in action.recipients)
    return sum(
        r.to_member(key, action.key, kind, lambda to: v.Distribution(
            to, c, info, grouped, pending, action.supplement,
            not action.anonymous, renewed), now, ok)
        for key in action.recipients
    )  # fmt: skip


def _call_for_further(
    r: RoundMail, action: act.SendCallForFurther, kind: str, now: datetime, ok: bool
) -> int:
    c, info = r.committee, r.info
    first = PhaseIds(r.session, r.rnd, 1)  # read per consultation as the text names them
    return sum(
        r.to_member(key, action.key, kind,
                    lambda to: v.CallForFurther(to, c, info, r.consultations, action.deadline,
                                                first), now, ok)
        for key in action.recipients
    )  # fmt: skip


def _chair_digest(
    r: RoundMail, action: act.SendChairDigest, kind: str, now: datetime, ok: bool
) -> int:
    c, info = r.committee, r.info
    # One mail, whose template reads the sections twice: built once.
    grouped = tuple(r.items.by_consultation(action.item_ids, upto=action.window_end))
    return r.to_member(action.recipient, action.key, kind, lambda to: v.ChairDigest(
        to, c, info, grouped, action.deadline, not action.anonymous), now, ok,
        PartyKind.CHAIR)  # fmt: skip


def _decision_reask(
    r: RoundMail, action: act.SendDecisionReask, kind: str, now: datetime, ok: bool
) -> int:
    c, info = r.committee, r.info
    wanted = tuple(ci for ci in r.consultations if ci.key in action.consultations)
    clear = repo.clear_decisions(r.session, r.rnd.id)
    understood = tuple(
        v.DecisionInfo(ci, Verdict(clear[ci.key][0]), clear[ci.key][1])
        for ci in r.consultations
        if ci.key in clear and ci.key not in action.consultations
    )
    return r.to_member(action.recipient, action.key, kind,
                       lambda to: v.DecisionReask(to, c, info, wanted, understood),
                       now, ok, PartyKind.CHAIR)  # fmt: skip


def _decisions(r: RoundMail, decisions: tuple[DecisionFact, ...]) -> tuple[v.DecisionInfo, ...]:
    by_key = {ci.key: ci for ci in r.consultations}
    return tuple(
        v.DecisionInfo(by_key[d.consultation], d.verdict, d.conditions or None)
        for d in decisions
        if d.consultation in by_key
    )


def _decision_echo(
    r: RoundMail, action: act.SendDecisionEcho, kind: str, now: datetime, ok: bool
) -> int:
    c, info, decisions = r.committee, r.info, _decisions(r, action.decisions)
    # Only a reply to this very echo confirms it: its token names the request.
    decider = r.members[action.recipient]
    ask = pending_repo.echo_request(r.session, r.rnd, decider.id, action.key, now).id
    return r.to_member(action.recipient, action.key, kind,
                       lambda to: v.DecisionEcho(to, c, info, decisions),
                       now, ok, PartyKind.CHAIR, ask=ask)  # fmt: skip


def _to_everyone(
    r: RoundMail, action_key: str, members: tuple[str, ...], departments: tuple[str, ...],
    kind: str, view: ViewFor, now: datetime, ok: bool,
) -> int:  # fmt: skip
    n = sum(r.to_member(key, action_key, kind, view, now, ok) for key in members)
    return n + sum(r.to_department(key, action_key, kind, view, now, ok) for key in departments)


def _result_notice(
    r: RoundMail, action: act.SendResultNotice, kind: str, now: datetime, ok: bool
) -> int:
    c, info, decisions = r.committee, r.info, _decisions(r, action.decisions)
    return _to_everyone(r, action.key, action.members, action.departments, kind,
                        lambda to: v.ResultNotice(to, c, info, decisions), now, ok)  # fmt: skip


def _deadline_notice(
    r: RoundMail, action: act.SendDeadlineNotice, kind: str, now: datetime, ok: bool
) -> int:
    c, info = r.committee, r.info
    return _to_everyone(r, action.key, action.members, action.departments, kind,
                        lambda to: v.DeadlineNotice(to, c, info, action.phase, action.deadline),
                        now, ok)  # fmt: skip


def _cancellation_notice(
    r: RoundMail, action: act.SendCancellationNotice, kind: str, now: datetime, ok: bool
) -> int:
    c, info = r.committee, r.info
    return _to_everyone(r, action.key, action.members, action.departments, kind,
                        lambda to: v.CancellationNotice(to, c, info), now, ok)  # fmt: skip


def _bundle(
    r: RoundMail, action: act.SendDepartmentBundle, kind: str, now: datetime, ok: bool
) -> int:
    """One department's items of a phase, with the .xlsx answer sheet attached; its
    items read one consultation at a time as the text and the sheet reach them, the
    mail stored as it is made (`RoundMail.queue` with a `Written` attachment)."""
    services = r.services
    d = r.department(action.department)
    mine = tuple(ci for ci in r.consultations if d.name in ci.departments)
    items = BundleItems(r.items, action.item_ids, upto=action.window_end)
    if action.followup:  # only the consultations the added items belong to
        mine = tuple(ci for ci in mine if items.has(ci.key)) or mine
    mark = "①" if action.phase is Phase.QUESTIONS else "③"
    suffix = "_追加" if action.followup else ""

    def view(to: v.Recipient) -> v.MailView:
        return v.DepartmentBundle(
            to, r.committee, r.info, action.phase, mine, items, action.deadline,
            services.config.policy.name_askers_to_departments, action.followup,
        )  # fmt: skip

    def sheet(_: v.MailView) -> Written:
        return Written(
            f"回答票_{r.info.tag}_{mark}{suffix}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            # `answer_sheet_rows(bundle)`'s rows, read without the views' other columns.
            lambda out: write_answer_sheet_to(items.sheet_rows(), out),
        )

    # A follow-up threads under the department's bundle it adds to.
    follows = act.bundle_key(r.rnd.key, action.phase, action.department)
    return r.to_department(
        action.department, action.key, kind, view, now, ok,
        follows=follows if action.followup else None, written_for=sheet,
    )  # fmt: skip


# Each mail action → the function that queues its mails (decide, then apply).
_SENDERS: dict[type, Callable[[RoundMail, Any, str, datetime, bool], int]] = {
    act.SendCallForQuestions: _call_for_questions,
    act.SendReminder: _reminder,
    act.SendDepartmentBundle: _bundle,
    act.SendDistribution: _distribution,
    act.SendCallForFurther: _call_for_further,
    act.SendChairDigest: _chair_digest,
    act.SendDecisionReask: _decision_reask,
    act.SendDecisionEcho: _decision_echo,
    act.SendResultNotice: _result_notice,
    act.SendDeadlineNotice: _deadline_notice,
    act.SendCancellationNotice: _cancellation_notice,
}
