"""The minutes (会議録) of a round, from the store: the view model and its three renderings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from mailflow.domain import Role, Verdict
from mailflow.errors import InputError, NotFoundError
from mailflow.minutes import (
    Attendee,
    ConsultationLine,
    MinutesView,
    Proceedings,
    ResponderGroup,
    wording,
)
from mailflow.minutes.tree import AnswerRecord, ItemRecord, build_items
from mailflow.render import render
from mailflow.services.context import Services
from mailflow.store import db
from mailflow.store import minutes as repo
from mailflow.store import rounds as rounds_repo
from mailflow.store.models import Answer, Consultation, Decision, Item, Member, Round
from mailflow.workflow.decisions import decision_in_force

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Format = Literal["html", "md", "txt"]
FORMATS: tuple[Format, ...] = ("html", "md", "txt")


def current_decision(decisions: Sequence[Decision], consultation_id: int) -> Decision | None:
    """The decision in force on one consultation (workflow.decisions), from stored rows."""
    ordered = sorted(decisions, key=lambda d: (d.received_at, d.id))
    in_force = decision_in_force(
        ordered, lambda d: d.consultation_id, superseded=lambda d: d.state == "superseded"
    )
    return in_force.get(consultation_id)


def _verdict(decision: Decision | None) -> Verdict | None:
    if decision is None:
        return None
    verdict = Verdict(decision.verdict)
    return None if verdict is Verdict.UNCLEAR else verdict


class RoundMail:
    """The rows of one round, loaded once and read by each part of the minutes."""

    def __init__(self, s: Session, services: Services, rnd: Round) -> None:
        self.services = services
        self.rnd = rnd
        self.members = rounds_repo.members_by_id(s, rnd.committee_id)
        self.departments = repo.departments_by_id(s, rnd.committee_id)
        self.items = repo.items_of_round(s, rnd.id)
        self.answers = repo.answers_of_round(s, rnd.id)
        self.decisions = repo.decisions_of_round(s, rnd.id)
        self.replies = repo.member_replies(s, rnd.id)
        self.absent = {a.member_id for a in rnd.absences}
        order = {m.id: i for i, m in enumerate(services.config.members)}
        # The committee's own order of its members (config), as the seed lists them.
        self.member_order = sorted(
            self.members.values(), key=lambda m: (order.get(m.key, len(order)), m.id)
        )

    def label(self, member: Member) -> str:
        return f"{member.name}{Role(member.role).title_ja}"

    def attendee(self, member: Member) -> Attendee:
        return Attendee(member.name, Role(member.role).title_ja)

    def secretariat_label(self, answer: Answer) -> str | None:
        if not answer.by_secretariat:
            return None
        return answer.author_label or self.services.config.committee.secretariat

    def item_record(self, item: Item) -> ItemRecord:
        author = self.members.get(item.member_id) if item.member_id is not None else None
        return ItemRecord(
            id=item.id,
            public_id=item.public_id or "",
            phase=item.phase,
            seq=item.seq or 0,
            text=item.text,
            published_text=item.published_text,
            parent_id=item.parent_item_id,
            state=item.state,
            author=self.label(author) if author is not None else "委員",
        )

    def answer_record(self, a: Answer) -> AnswerRecord:
        return AnswerRecord(
            a.id,
            a.item_id,
            a.text,
            a.published_text,
            a.state,
            a.received_at,
            self.secretariat_label(a),
        )

    @cached_property
    def answer_records(self) -> dict[int, list[AnswerRecord]]:
        """Every answer's record by its item: built once, not again for each consultation."""
        out: dict[int, list[AnswerRecord]] = defaultdict(list)
        for a in self.answers:
            out[a.item_id].append(self.answer_record(a))
        return out

    def proceedings(self, c: Consultation, anonymous: bool) -> Proceedings:
        items = [
            self.item_record(i) for i in self.items if i.consultation_id == c.id and i.public_id
        ]
        answers = [a for i in items for a in self.answer_records.get(i.id, ())]
        decision = current_decision(self.decisions, c.id)
        verdict = _verdict(decision)
        depts = tuple(d.name for d in c.departments)
        return Proceedings(
            number=c.number,
            title=c.title,
            decision_line=wording.decision_line(c.title, verdict),
            answered_by_line=wording.answered_by_line(depts),
            items=build_items(items, answers, anonymous=anonymous),
            closing=wording.closing_line(verdict, decision.conditions if decision else None),
        )

    def responders(self) -> tuple[ResponderGroup, ...]:
        """回答者一覧: who wrote in which phase, names only (docs/design.md "Lessons")."""
        members: dict[int, set[int]] = {1: set(), 3: set()}
        for member_id, phase in self.replies:
            members[phase].add(member_id)
        by_id = {i.id: i for i in self.items}
        for i in self.items:
            if i.member_id is not None and i.state != "withdrawn" and i.phase in members:
                members[i.phase].add(i.member_id)
        answerers: dict[int, set[str]] = {2: set(), 3: set()}
        for a in self.answers:
            if a.state != "active" or a.item_id not in by_id or a.phase not in answerers:
                continue
            if a.department_id is not None and a.department_id in self.departments:
                answerers[a.phase].add(f"d{a.department_id}")
            elif a.by_secretariat:
                answerers[a.phase].add("secretariat")
        deciders = {
            d.decided_by_member_id
            for d in self.decisions
            if d.state != "superseded" and d.decided_by_member_id is not None
        }
        groups = []
        for label, phase, who in wording.RESPONDER_LABELS:
            if who == "member":
                names = [self.label(m) for m in self.member_order if m.id in members[phase]]
            elif who == "decider":
                names = [self.label(m) for m in self.member_order if m.id in deciders]
            else:
                names = self.answerer_names(answerers[phase])
            groups.append(ResponderGroup(label, tuple(names)))
        return tuple(groups)

    def answerer_names(self, keys: set[str]) -> list[str]:
        names = [d.name for d_id, d in sorted(self.departments.items()) if f"d{d_id}" in keys]
        if "secretariat" in keys:
            names.append(self.services.config.committee.secretariat)
        return names

    def period_end(self) -> date:
        tz = self.services.config.committee.tz
        decided = [
            d.received_at.astimezone(tz).date() for d in self.decisions if d.state != "superseded"
        ]
        return max(decided) if decided else self.rnd.decision_due.astimezone(tz).date()


def minutes_view(services: Services, key: str, *, anonymous: bool | None = None) -> MinutesView:
    """The minutes of round ``key``; ``anonymous`` overrides config ``minutes.anonymous``."""
    services.require_schema()
    conf = services.config
    anon = conf.minutes.anonymous if anonymous is None else anonymous
    with db.transaction(services.sessions) as s:
        committee = services.committee(s)
        rnd = rounds_repo.get(s, committee.id, key)
        if rnd is None:
            raise NotFoundError(f"no round {key!r} in committee {conf.committee.id!r}")
        data = RoundMail(s, services, rnd)
        tz = conf.committee.tz
        return MinutesView(
            round_key=rnd.key,
            title=rnd.title,
            held=wording.HELD_BY_EMAIL,
            attendees=tuple(
                data.attendee(m) for m in data.member_order if m.active and m.id not in data.absent
            ),
            absentees=tuple(data.attendee(m) for m in data.member_order if m.id in data.absent),
            consultations=tuple(
                ConsultationLine(c.number, c.title, tuple(d.name for d in c.departments))
                for c in rnd.consultations
            ),
            method_intro=wording.method_intro(rnd.title, conf.committee.name, rnd.notice_date),
            steps=wording.steps(rounds_repo.deadlines(rnd), tz),
            contact=conf.committee.contact,
            period=wording.period(rnd.notice_date, data.period_end()),
            responders=data.responders(),
            proceedings=tuple(data.proceedings(c, anon) for c in rnd.consultations),
            non_disclosure_note=conf.minutes.non_disclosure_note,
        )


def render_view(view: MinutesView, fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputError([f"--format: {fmt!r} is not one of {', '.join(FORMATS)}"])
    return render(f"minutes/minutes.{fmt}", view=view)


def render_minutes(services: Services, key: str, fmt: str, *, anonymous: bool | None = None) -> str:
    """The minutes of round ``key`` as HTML, Markdown or plain text."""
    return render_view(minutes_view(services, key, anonymous=anonymous), fmt)


def pdf_available(services: Services) -> bool:
    return services.ports.printer.available()


def render_minutes_pdf(services: Services, key: str) -> bytes:
    """The HTML minutes printed by headless Chromium (A4, as the HTML's print style says)."""
    from mailflow.errors import MailflowError
    from mailflow.services.ports import PrintFailure

    html = render_minutes(services, key, "html")
    try:
        return services.ports.printer.print_pdf(html)
    except PrintFailure as exc:
        raise MailflowError(f"the PDF could not be made: {exc}") from None
