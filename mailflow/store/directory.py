"""Keeping the committee, its members and departments in the database in step with the config."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow import config as cfg
from mailflow.store.models import (
    Committee,
    Department,
    DepartmentAddress,
    Member,
    MemberAddress,
)


def sync_committee(session: Session, conf: cfg.Config) -> Committee:
    """Upsert the committee and its people by their config ids; returns the committee row.

    Members and departments that left the config stay in the database (their past
    items and answers refer to them) but are marked inactive.
    """
    c = conf.committee
    committee = session.scalar(select(Committee).where(Committee.key == c.id))
    if committee is None:
        committee = Committee(key=c.id, name=c.name, address=c.address)
        session.add(committee)
    committee.name, committee.address = c.name, c.address
    committee.language, committee.timezone = c.language, c.timezone
    session.flush()

    members = {
        m.key: m for m in session.scalars(select(Member).where(Member.committee_id == committee.id))
    }
    for m in members.values():
        m.active = False
    # Clear addresses first so that an address moving between two people never
    # collides with the unique constraint half-way through.
    for addr in session.scalars(
        select(MemberAddress).where(MemberAddress.committee_id == committee.id)
    ):
        session.delete(addr)
    for addr2 in session.scalars(
        select(DepartmentAddress).where(DepartmentAddress.committee_id == committee.id)
    ):
        session.delete(addr2)
    session.flush()
    for mc in conf.members:
        row = members.get(mc.id)
        if row is None:
            row = Member(committee_id=committee.id, key=mc.id, name=mc.name, role=mc.role.value)
            session.add(row)
        row.name, row.role, row.active = mc.name, mc.role.value, True
        session.flush()
        for a in mc.addresses:
            session.add(MemberAddress(committee_id=committee.id, member_id=row.id, address=a))

    depts = {
        d.key: d
        for d in session.scalars(select(Department).where(Department.committee_id == committee.id))
    }
    for dc in conf.departments:
        drow = depts.get(dc.id)
        if drow is None:
            drow = Department(committee_id=committee.id, key=dc.id, name=dc.name)
            session.add(drow)
        drow.name = dc.name
        session.flush()
        for a in dc.addresses:
            session.add(
                DepartmentAddress(committee_id=committee.id, department_id=drow.id, address=a)
            )
    session.flush()
    return committee
