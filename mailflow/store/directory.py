"""Keeping the committee, its members and departments in the database in step with the config."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, bindparam, event, select
from sqlalchemy.orm import Session

from mailflow import config as cfg
from mailflow.store import db
from mailflow.store.models import (
    Committee,
    Department,
    DepartmentAddress,
    Member,
    MemberAddress,
)


def committee_pk(session: Session, key: str) -> int | None:
    """The row id of the committee with this config id, if it has been stored."""
    return session.scalar(select(Committee.id).where(Committee.key == key))


def sync_committee(session: Session, conf: cfg.Config) -> Committee:
    """Upsert the committee and its people by their config ids; returns the committee row.

    Every command calls this, so it writes only what differs: an unchanged config costs
    a few reads and takes no write lock. Members and departments that left the config
    stay in the database (their items and answers refer to them), marked inactive.
    """
    session.info.get(_MARKS_MEMO, {}).clear()  # what follows may move the marks
    c = conf.committee
    committee = session.scalar(select(Committee).where(Committee.key == c.id))
    if committee is None:
        committee = Committee(key=c.id, name=c.name, address=c.address)
        session.add(committee)
        session.flush()
    _set(committee, name=c.name, address=c.address, language=c.language, timezone=c.timezone)

    members = {
        m.key: m for m in session.scalars(select(Member).where(Member.committee_id == committee.id))
    }
    depts = {
        d.key: d
        for d in session.scalars(select(Department).where(Department.committee_id == committee.id))
    }
    for key, m in members.items():
        if m.active and conf.member(key) is None:
            m.active = False
    for mc in conf.members:
        row = members.get(mc.id)
        if row is None:
            row = Member(committee_id=committee.id, key=mc.id, name=mc.name, role=mc.role.value)
            session.add(row)
            session.flush()
            members[mc.id] = row
        _set(row, name=mc.name, role=mc.role.value, active=True)
    for dc in conf.departments:
        drow = depts.get(dc.id)
        if drow is None:
            drow = Department(committee_id=committee.id, key=dc.id, name=dc.name)
            session.add(drow)
            session.flush()
            depts[dc.id] = drow
        _set(drow, name=dc.name)

    want_m = {(members[m.id].id, a) for m in conf.members for a in m.addresses}
    want_d = {(depts[d.id].id, a) for d in conf.departments for a in d.addresses}
    have_m = list(
        session.scalars(select(MemberAddress).where(MemberAddress.committee_id == committee.id))
    )
    have_d = list(
        session.scalars(
            select(DepartmentAddress).where(DepartmentAddress.committee_id == committee.id)
        )
    )
    stale: list[MemberAddress | DepartmentAddress] = [
        a for a in have_m if (a.member_id, a.address) not in want_m
    ]
    stale += [a for a in have_d if (a.department_id, a.address) not in want_d]
    # Removed first, so an address moving between two people never meets itself.
    for old in stale:
        session.delete(old)
    if stale:
        session.flush()
    kept_m = {(a.member_id, a.address) for a in have_m}
    kept_d = {(a.department_id, a.address) for a in have_d}
    # In config order: a party's first address is where its mail goes.
    for mc in conf.members:
        member_pk = members[mc.id].id
        for address in mc.addresses:
            if (member_pk, address) not in kept_m:
                session.add(
                    MemberAddress(committee_id=committee.id, member_id=member_pk, address=address)
                )
    for dept_id, address in [(depts[d.id].id, a) for d in conf.departments for a in d.addresses]:
        if (dept_id, address) in kept_d:
            continue
        session.add(
            DepartmentAddress(committee_id=committee.id, department_id=dept_id, address=address)
        )
    session.flush()
    return committee


@dataclass
class SyncMemo:
    """Which config a process last synced, and its committee's id (shared by its services)."""

    config: cfg.Config | None = None
    committee_id: int | None = None


def committee_of(session: Session, conf: cfg.Config, memo: SyncMemo) -> Committee:
    """The committee's row, synced with ``conf`` once per process rather than per call.

    A process's config does not change under it; syncing 200 members and their
    addresses again on every console page cost ~20 ms. The memo is set only once the
    sync's transaction has committed, so a rolled-back sync is done again.
    """
    if memo.config is conf and memo.committee_id is not None:
        row = session.scalar(_COMMITTEE, {"id": memo.committee_id})
        if row is not None and row.key == conf.committee.id:
            return row
    row = sync_committee(session, conf)
    committee_id = row.id

    def remember(_session: Session) -> None:
        memo.config, memo.committee_id = conf, committee_id

    event.listen(session, "after_commit", remember, once=True)
    return row


def _set(row: object, **values: object) -> None:
    # Assigning an equal value would still mark the row dirty and cost an UPDATE.
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def committee_language(session: Session, committee_id: int) -> str:
    """The language the committee's staff read ("ja" or "en")."""
    row = session.get(Committee, committee_id)
    return row.language if row is not None else "ja"


@dataclass(frozen=True)
class Party:
    """A member or department as plain data: what routing and mailing read per mail."""

    id: int
    key: str
    name: str
    role: str  # a member's role; "department" for a department
    active: bool
    addresses: tuple[str, ...]


# What a process has read of each committee's directory, per engine (a test process
# holds many databases), keyed on the committee's `directory_mark`: the database moves
# the mark whenever a row these reads come from changes (migration 0014), so a stale
# entry is never served, whichever process or tool made the change.
_KEPT: WeakKeyDictionary[Engine, dict[tuple[int, str], tuple[int, Any]]] = WeakKeyDictionary()
_KEPT_LIMIT = 512  # entries per engine: a few per committee, and a worker holds ~1,000
# session.info key: the marks read in a unit of work that writes none of these rows.
_MARKS_MEMO = "mailflow.directory_marks"

T = TypeVar("T")


def remember_members(session: Session) -> None:
    """Read each committee's directory mark once in this unit of work: processing a mail
    reads the members for routing, its receipt, the chairs and the signer's name, and
    writes none of them (`sync_committee`, the one writer of members, forgets the marks)."""
    session.info.setdefault(_MARKS_MEMO, {})


_MARK = select(Committee.directory_mark).where(Committee.id == bindparam("id"))
_COMMITTEE = select(Committee).where(Committee.id == bindparam("id"))


def directory_mark(session: Session, committee_id: int) -> int | None:
    """The committee's mark as this unit of work sees it (None: no such committee)."""
    memo: dict[int, int | None] | None = session.info.get(_MARKS_MEMO)
    if memo is not None and committee_id in memo:
        return memo[committee_id]
    mark = db.rows(session, _MARK, {"id": committee_id}).scalar()
    if memo is not None:
        memo[committee_id] = mark
    return mark


def kept(session: Session, committee_id: int, what: str, read: Callable[[], T]) -> T:
    """``read()``, or what it gave last time in this process if the committee's mark has
    not moved since. ``read`` must return data that nothing changes (tuples, frozen
    dataclasses): one value is shared by every unit of work that asks."""
    mark = directory_mark(session, committee_id)
    if mark is None:
        return read()
    engine = session.get_bind().engine
    cache = _KEPT.get(engine)
    if cache is None:
        cache = _KEPT[engine] = {}
    held = cache.get((committee_id, what))
    if held is not None and held[0] == mark:
        return cast(T, held[1])
    value = read()
    if len(cache) >= _KEPT_LIMIT:
        cache.pop(next(iter(cache)))
    cache[(committee_id, what)] = (mark, value)
    return value


def members(session: Session, committee_id: int, *, active_only: bool = False) -> list[Party]:
    """The committee's members with their addresses, in id order, as plain data: read
    when the committee's directory mark has moved, else what this process read before
    (this runs for every mail and every action)."""
    every = _roster(session, committee_id).members
    return [m for m in every if m.active] if active_only else list(every)


def remembered_member(session: Session, member_id: int) -> Party | None:
    """Member ``member_id`` among the committees this unit of work read the mark of."""
    memo: dict[int, int | None] = session.info.get(_MARKS_MEMO, {})
    for committee_id in memo:
        found = _roster(session, committee_id).by_id.get(member_id)
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class _Roster:
    members: tuple[Party, ...]
    by_id: dict[int, Party]


def _roster(session: Session, committee_id: int) -> _Roster:
    def read() -> _Roster:
        every = tuple(_members(session, committee_id, False))
        return _Roster(every, {m.id: m for m in every})

    return kept(session, committee_id, "members", read)


def _members(session: Session, committee_id: int, active_only: bool) -> list[Party]:
    where = [Member.committee_id == committee_id]
    if active_only:
        where.append(Member.active.is_(True))
    rows = session.execute(
        select(Member.id, Member.key, Member.name, Member.role, Member.active)
        .where(*where)
        .order_by(Member.id)
    ).all()
    addresses = _addresses(
        session,
        select(MemberAddress.member_id, MemberAddress.address)
        .where(MemberAddress.committee_id == committee_id)
        .order_by(MemberAddress.id),
    )
    return [
        Party(pk, key, name, role, bool(active), addresses.get(pk, ()))
        for pk, key, name, role, active in rows
    ]


def departments(session: Session, committee_id: int) -> list[Party]:
    """The committee's departments with their addresses, in id order, as plain data (kept
    like the members)."""
    return list(
        kept(session, committee_id, "departments", partial(_departments, session, committee_id))
    )


def _departments(session: Session, committee_id: int) -> tuple[Party, ...]:
    rows = session.execute(
        select(Department.id, Department.key, Department.name)
        .where(Department.committee_id == committee_id)
        .order_by(Department.id)
    ).all()
    addresses = _addresses(
        session,
        select(DepartmentAddress.department_id, DepartmentAddress.address)
        .where(DepartmentAddress.committee_id == committee_id)
        .order_by(DepartmentAddress.id),
    )
    return tuple(
        Party(pk, key, name, "department", True, addresses.get(pk, ())) for pk, key, name in rows
    )


def _addresses(session: Session, query: Any) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    for owner, address in session.execute(query):
        out.setdefault(owner, []).append(address)
    return {k: tuple(v) for k, v in out.items()}
