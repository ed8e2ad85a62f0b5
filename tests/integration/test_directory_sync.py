"""The config's committee, members and departments mirrored into the store, writing only changes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, event, select

from mailflow.config import load_config
from mailflow.store import db
from mailflow.store.directory import sync_committee
from mailflow.store.models import Member, MemberAddress

ROOT = Path(__file__).resolve().parents[2]


def _writes(engine: Engine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, params, context, many):  # type: ignore[no-untyped-def]
        if statement.split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement)

    return seen


def test_an_unchanged_config_writes_nothing_and_changes_are_applied(engine: Engine) -> None:
    db.upgrade(engine)
    conf = load_config(ROOT / "examples/committee-r2-5.toml")
    sessions = db.session_factory(engine)
    with db.transaction(sessions) as s:
        sync_committee(s, conf)
    writes = _writes(engine)
    with db.transaction(sessions) as s:
        sync_committee(s, conf)
    assert writes == []

    # an address moves from one member to another, and a member leaves
    members = list(conf.members)
    moved = members[2].addresses[1]
    members[1] = members[1].model_copy(update={"addresses": [*members[1].addresses, moved]})
    members[2] = members[2].model_copy(update={"addresses": members[2].addresses[:1]})
    gone = members.pop()
    changed = conf.model_copy(update={"members": members})
    with db.transaction(sessions) as s:
        sync_committee(s, changed)
    with db.transaction(sessions) as s:
        owner = s.scalar(
            select(Member.key).join(MemberAddress).where(MemberAddress.address == moved)
        )
        assert owner == members[1].id
        assert s.scalar(select(Member.active).where(Member.key == gone.id)) is False
        first = s.scalars(
            select(MemberAddress.address)
            .join(Member)
            .where(Member.key == members[1].id)
            .order_by(MemberAddress.id)
        ).first()
        assert first == members[1].addresses[0]
