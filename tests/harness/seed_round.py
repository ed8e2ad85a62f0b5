"""The seed round R2-5 in the store: every item, answer, follow-up and decision of the minutes.

Written through the store models directly (intake has its own tests), so that the minutes,
the export and the demo can be checked against the published minutes word for word. The
texts are the seed's, verbatim except where a page break of the published file split a
word in two. Which member asked what is not published; the builder spreads the items over
the example committee's members in a fixed order. The texts live in mailflow.demo.seed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailflow.clock import FixedClock
from mailflow.config import Database, load_config
from mailflow.demo.seed import CONDITION, DECISION_TEXT, SECRETARY, SEED, SeedAnswer, SeedItem
from mailflow.domain.roundspec import load_round_spec
from mailflow.services.context import Services
from mailflow.services.rounds import import_round
from mailflow.store import db
from mailflow.store import rounds as rounds_repo
from mailflow.store.directory import sync_committee
from mailflow.store.models import Answer, Decision, Item
from mailflow.wiring import PORTS

ROOT = Path(__file__).resolve().parents[2]
COMMITTEE_FILE = ROOT / "examples" / "committee-r2-5.toml"
ROUND_FILE = ROOT / "examples" / "round-r2-5.toml"
EXPECTED_MINUTES_MD = ROOT / "tests" / "fixtures" / "minutes" / "r2-5.expected.md"


def kind_of(text: str) -> str:
    """question / opinion / request, as the parser would call the seed's items."""
    last = text.strip().splitlines()[-1].rstrip("。 ")
    if re.search(r"(求める|要望する|お願いしたい|されたい|記載すること|提案する|こと)$", last):
        return "request"
    if re.search(r"(か|かがか|伺う)$", last):
        return "question"
    return "opinion"


@dataclass(frozen=True)
class SeedRound:
    """What the builder wrote: the round key and the public IDs per consultation."""

    key: str
    item_ids: dict[str, tuple[str, ...]]


def seed_services(data_dir: Path, database_url: str | None = None, **minutes: object) -> Services:
    """Services for the example committee on a fresh database at the newest schema.

    ``minutes`` overrides keys of the config's ``[minutes]`` (e.g. ``anonymous=False``).
    MAILFLOW_TOKEN_SECRET must be set (the example config reads it).
    """
    conf = load_config(COMMITTEE_FILE)
    update: dict[str, object] = {"data_dir": data_dir}
    if database_url is not None:
        update["database"] = Database(url=database_url)
    if minutes:
        update["minutes"] = conf.minutes.model_copy(update=minutes)
    data_dir.mkdir(parents=True, exist_ok=True)
    services = Services(
        config=conf.model_copy(update=update),
        clock=FixedClock(datetime(2021, 2, 1, 10, 0, tzinfo=UTC)),
        actor="staff:test",
        ports=PORTS,
    )
    db.upgrade(services.engine)
    return services


def build_seed_round(services: Services) -> SeedRound:
    """Import round R2-5 when missing, then write the seed's records into it."""
    spec = load_round_spec(ROUND_FILE)
    with db.transaction(services.sessions) as s:
        committee = sync_committee(s, services.config)
        exists = rounds_repo.get(s, committee.id, spec.id) is not None
    if not exists:
        import_round(services, spec, ROUND_FILE)
    tz = services.config.committee.tz
    ids: dict[str, list[str]] = {}
    with db.transaction(services.sessions) as s:
        committee = sync_committee(s, services.config)
        rnd = rounds_repo.get(s, committee.id, spec.id)
        assert rnd is not None
        members = [m for m in rounds_repo.members_by_key(s, committee).values()]
        members.sort(key=lambda m: m.id)
        depts = rounds_repo.departments_by_key(s, committee)
        chair = next(m for m in members if m.role == "chair")
        writer = _Writer(s, rnd.id, members, depts, tz)
        for cons in rnd.consultations:
            writer.consultation = cons
            for seed in SEED[cons.key]:
                writer.item(seed, None)
            ids[cons.key] = tuple(writer.written.pop(cons.key, []))
            s.add(
                Decision(
                    round_id=rnd.id,
                    consultation_id=cons.id,
                    verdict="approve_with_conditions",
                    conditions=CONDITION,
                    text=f"○「{cons.title}」について、諮問どおり行うことを「可」とする。\n"
                    + DECISION_TEXT,
                    state="confirmed",
                    decided_by_member_id=chair.id,
                    received_at=datetime(2021, 1, 26, 15, 0, tzinfo=tz),
                )
            )
    return SeedRound(spec.id, {k: tuple(v) for k, v in ids.items()})


class _Writer:
    """Writes items in the seed's order, numbering them per consultation as intake does."""

    def __init__(self, session, round_id, members, depts, tz) -> None:  # type: ignore[no-untyped-def]
        self.s = session
        self.round_id = round_id
        self.members = members
        self.depts = depts
        self.consultation = None  # type: ignore[var-annotated]
        self.count = 0
        self.written: dict[str, list[str]] = {}
        self.tz = tz

    def item(self, seed: SeedItem, parent: Item | None) -> None:
        cons = self.consultation
        assert cons is not None
        seq = len(self.written.setdefault(cons.key, [])) + 1
        public_id = f"Q{cons.key}-{seq:02d}"
        member = self.members[self.count % len(self.members)]
        self.count += 1
        day = 10 if seed.phase == 1 else 18  # before D1 (1/13) and before D3 (1/20)
        at = datetime(2021, 1, day, 9, 0, tzinfo=self.tz) + timedelta(minutes=self.count)
        row = Item(
            round_id=self.round_id,
            consultation_id=cons.id,
            member_id=member.id,
            phase=seed.phase,
            seq=seq,
            public_id=public_id,
            kind=kind_of(seed.text),
            text=seed.text,
            parent_item_id=parent.id if parent is not None else None,
            state="active",
            position=0,
            received_at=at,
        )
        self.s.add(row)
        self.s.flush()
        self.written[cons.key].append(public_id)
        for n, ans in enumerate(seed.answers):
            dept_key = ans.department or cons.departments[0].key
            self.s.add(
                Answer(
                    item_id=row.id,
                    department_id=None if ans.secretariat else self.depts[dept_key].id,
                    by_secretariat=ans.secretariat,
                    author_label=SECRETARY if ans.secretariat else None,
                    phase=2 if seed.phase == 1 else 3,
                    text=ans.text,
                    received_at=at + timedelta(days=3, minutes=n),
                )
            )
        self.s.flush()
        for child in seed.follow_ups:
            self.item(child, row)


def normalise(text: str) -> str:
    """Whitespace-insensitive form for comparing minutes: one line per non-blank line."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def proceedings_part(markdown: str) -> str:
    """The 会議経過 of a Markdown rendering, from its heading to 以上."""
    start = markdown.index("## 会議経過")
    end = markdown.index("\n以上", start) + len("\n以上")
    return markdown[start:end]


__all__ = [
    "SECRETARY",
    "SEED",
    "SeedAnswer",
    "SeedItem",
    "kind_of",
    "normalise",
    "proceedings_part",
]
