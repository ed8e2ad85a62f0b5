"""Staff work on rounds: import a round file, list, show, change a deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from mailflow.domain import ConsultationRef, Phase, Role
from mailflow.domain.endofday import end_of_day
from mailflow.domain.roundspec import RoundSpec
from mailflow.domain.states import EventKind
from mailflow.errors import InputError, NotFoundError
from mailflow.services.context import Services
from mailflow.services.round_documents import read_documents
from mailflow.store import db, events
from mailflow.store import rounds as repo
from mailflow.store.models import Consultation, Round, RoundDocument


@dataclass(frozen=True)
class ConsultationView:
    key: str
    number: str
    title: str
    departments: tuple[str, ...]


@dataclass(frozen=True)
class MemberView:
    key: str
    name: str
    role: Role
    absent: bool


@dataclass(frozen=True)
class RoundView:
    """A round as staff see it in `round show`."""

    key: str
    title: str
    fiscal_year: int
    notice_date: date
    state: str
    deadlines: dict[Phase, datetime]
    consultations: tuple[ConsultationView, ...]
    members: tuple[MemberView, ...]


def _check_spec(spec: RoundSpec, services: Services, source: Path | str) -> None:
    conf = services.config
    errs: list[str] = []
    if spec.committee is not None and spec.committee != conf.committee.id:
        errs.append(
            f"{source}: committee: {spec.committee!r} is not this config's committee "
            f"{conf.committee.id!r}"
        )
    known = {d.id for d in conf.departments}
    for i, c in enumerate(spec.consultations):
        for j, d in enumerate(c.departments):
            if d not in known:
                errs.append(
                    f"{source}: consultations[{i}].departments[{j}]: unknown department {d!r}"
                )
    members = {m.id for m in conf.members}
    for i, m in enumerate(spec.absent):
        if m not in members:
            errs.append(f"{source}: absent[{i}]: unknown member {m!r}")
    if errs:
        raise InputError(errs)


def import_round(
    services: Services, spec: RoundSpec, source: Path | str, shown_as: str | None = None
) -> Round:
    """Create the round in draft state; InputError (and nothing written) on any problem.

    ``shown_as`` names the file in the audit log when ``source`` is a temporary copy.
    """
    _check_spec(spec, services, source)
    documents = read_documents(spec.documents, source)
    resolved = spec.resolved_deadlines(services.config.committee.tz, source)
    services.require_schema()
    now = services.clock.now()
    with db.transaction(services.sessions) as s:
        committee = services.committee(s)
        if repo.get(s, committee.id, spec.id) is not None:
            raise InputError([f"{source}: id: round {spec.id!r} exists already"])
        rnd = Round(
            committee_id=committee.id,
            key=spec.id,
            title=spec.title,
            fiscal_year=spec.fiscal_year,
            notice_date=spec.notice_date,
            state="draft",
            created_at=now,
            **{repo.DEADLINE_COLUMNS[p]: when for p, when in resolved.items()},
        )
        s.add(rnd)
        s.flush()
        depts = repo.departments_by_key(s, committee)
        for pos, c in enumerate(spec.consultations):
            s.add(
                Consultation(
                    round_id=rnd.id,
                    key=c.key,
                    number=c.number,
                    title=c.title,
                    position=pos,
                    departments=[depts[d] for d in c.departments],
                )
            )
        members = repo.members_by_key(s, committee)
        for m in spec.absent:
            repo.add_absence(s, rnd, members[m])
        for pos, (name, kind, data) in enumerate(documents):
            s.add(RoundDocument(round_id=rnd.id, position=pos, filename=name,
                                content_type=kind, data=data))  # fmt: skip
        events.record(
            s,
            at=now,
            actor=services.actor,
            kind=EventKind.ROUND_IMPORTED,
            committee_id=committee.id,
            round_id=rnd.id,
            source=shown_as or str(source),
            deadlines={p.name.lower(): d.isoformat() for p, d in resolved.items()},
        )
        return rnd


def list_rounds(services: Services) -> list[RoundView]:
    services.require_schema()
    with db.transaction(services.sessions) as s:
        committee = services.committee(s)
        keys = [r.key for r in repo.list_all(s, committee.id)]
    return [show_round(services, k) for k in keys]


def show_round(services: Services, key: str) -> RoundView:
    services.require_schema()
    with db.transaction(services.sessions) as s:
        committee = services.committee(s)
        rnd = repo.get(s, committee.id, key)
        if rnd is None:
            raise NotFoundError(f"no round {key!r} in committee {services.config.committee.id!r}")
        absent = {a.member_id for a in rnd.absences}
        people = repo.members_by_key(s, committee)
        return RoundView(
            key=rnd.key,
            title=rnd.title,
            fiscal_year=rnd.fiscal_year,
            notice_date=rnd.notice_date,
            state=rnd.state,
            deadlines=repo.deadlines(rnd),
            consultations=tuple(
                ConsultationView(c.key, c.number, c.title, tuple(d.name for d in c.departments))
                for c in rnd.consultations
            ),
            members=tuple(
                MemberView(m.key, m.name, Role(m.role), m.id in absent)
                for m in sorted(people.values(), key=_member_order)
            ),
        )


def _member_order(m: object) -> tuple[int, int]:
    role = getattr(m, "role", "member")
    return ({"chair": 0, "deputy": 1}.get(role, 2), getattr(m, "id", 0))


def parse_when(text: str, services: Services) -> datetime:
    """An ISO date-time with offset, or a bare date meaning the end of that day locally."""
    try:
        if len(text.strip()) == 10:
            return end_of_day(date.fromisoformat(text.strip()), services.config.committee.tz)
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError([f"WHEN: not an ISO date or date-time: {text!r}"]) from None
    if when.tzinfo is None:
        raise InputError([f"WHEN: needs a UTC offset (such as {text}+09:00) or a bare date"])
    return when


def consultation_refs(services: Services, key: str) -> list[ConsultationRef]:
    view = show_round(services, key)
    return [ConsultationRef(c.key, c.number, c.title) for c in view.consultations]


def import_uploaded_round(
    services: Services, filename: str, data: bytes, documents: list[tuple[str, bytes]]
) -> str:
    """Import a round file sent from the console, with the documents it names.

    The files are written to a private temporary folder (documents are read only from
    the round file's own folder) and every problem is named by the uploaded file's name
    and key, as `check-config` words them. Returns the new round's key.
    """
    import tempfile

    from mailflow.domain.roundspec import load_round_spec

    label = Path(filename).name or "round.toml"
    with tempfile.TemporaryDirectory(prefix="mailflow-upload-") as tmp:
        folder = Path(tmp)
        path = folder / label
        path.write_bytes(data)
        for name, content in documents:
            if Path(name).name:
                (folder / Path(name).name).write_bytes(content)
        try:
            spec = load_round_spec(path)
            rnd = import_round(services, spec, path, shown_as=label)
        except InputError as exc:
            raise InputError(p.replace(str(path), label) for p in exc.problems) from None
        return rnd.key
