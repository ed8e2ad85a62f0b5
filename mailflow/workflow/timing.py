"""Time judgements of a round: end-of-day deadlines, lateness by arrival, reminder times.

Why the committee's timezone matters: staff write a deadline as a date (1月13日), and
members read it as the end of that day where the committee sits (Asia/Tokyo). Stored
as an aware datetime, 2021-01-13 23:59:59.999999+09:00 is 14:59 UTC; comparing naive
server-local times instead would move the cut-off by nine hours on a UTC host.
Lateness is judged by when the mail reached our server (到達主義), never by the Date
header the sender's client wrote.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta

from mailflow.domain import Phase
from mailflow.workflow.errors import NaiveDatetime
from mailflow.workflow.facts import Deadlines, LatePolicy, Policy


def is_late(received_at: datetime, phase: Phase, deadlines: Deadlines) -> bool:
    """True if a reply for `phase` reached us after the phase's hard cut-off."""
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise NaiveDatetime("the arrival time", received_at)
    return received_at > deadlines.cutoff(phase)


class Arrival(enum.StrEnum):
    """How an arriving item is filed."""

    ON_TIME = "on_time"
    LATE_ACCEPTED = "late_accepted"  # marked late, still goes into the phase's bundle
    LATE_FOLLOWUP = "late_followup"  # marked late, accepted at arrival, sent in a follow-up
    LATE_HELD = "late_held"  # marked late, waits for staff

    @property
    def held(self) -> bool:
        return self is Arrival.LATE_HELD


def judge_arrival(
    received_at: datetime,
    phase: Phase,
    deadlines: Deadlines,
    policy: Policy,
    *,
    bundle_sent: bool,
) -> Arrival:
    """File an item of phase ① or ③ by its arrival time and the committee's late policy.

    `bundle_sent` is whether the bundle of the phase that would carry the item (its
    departments') has already gone out.  Under `LatePolicy.ACCEPT` the committee chose
    to take late mail, so a late item is accepted at its arrival either way: into the
    bundle while it has not gone, else in a follow-up bundle to its departments (the
    phase machine sends every item that joined after its bundle went, see
    `steps.followups`); holding it for staff would only leave it unsent.  Under
    `LatePolicy.HOLD_FOR_STAFF` it waits for staff whether or not the bundle has gone.
    """
    if not is_late(received_at, phase, deadlines):
        return Arrival.ON_TIME
    if policy.late is LatePolicy.HOLD_FOR_STAFF:
        return Arrival.LATE_HELD
    return Arrival.LATE_FOLLOWUP if bundle_sent else Arrival.LATE_ACCEPTED


def reminder_offset_due(
    due: datetime, offsets_longest_first: tuple[timedelta, ...], now: datetime
) -> timedelta | None:
    """The reminder offset whose time has come at `now`, or None.

    Only the nearest offset already reached counts: a daemon that was down through the
    two-day mark and wakes after the one-day mark sends one reminder, not two, and none
    once the soft date has passed.
    """
    if now >= due:
        return None
    reached = [o for o in offsets_longest_first if now >= due - o]
    return reached[-1] if reached else None


def iso_duration(delta: timedelta) -> str:
    """An ISO 8601 duration such as ``P2D`` or ``P1DT12H``, for stable action keys."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = "".join(f"{v}{u}" for v, u in ((hours, "H"), (minutes, "M"), (secs, "S")) if v)
    body = (f"{days}D" if days else "") + (f"T{clock}" if clock else "")
    return f"{sign}P{body or '0D'}"


def stamp(at: datetime) -> str:
    """A compact UTC timestamp for action keys, the same whatever zone `at` is in."""
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
