"""A round's log marks, which tell an idle tick whether the round's facts can have moved:
the newest row id of each record they come from, read in one statement, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from mailflow.domain.states import EventKind
from mailflow.store.models import Decision, Event, Item, Message, Round, WorkflowAction
from mailflow.store.workflow import log_marks
from tests.integration.test_outbox_distribution import round_in_answering

AT = datetime(2025, 6, 10, tzinfo=UTC)
SOURCES = (Event, WorkflowAction, Message, Item, Decision)


def test_the_marks_are_each_records_newest_row_of_the_round(
    any_db_url: str, tmp_path: Path
) -> None:
    services = round_in_answering(tmp_path, any_db_url, 25)
    with services.sessions() as s:
        rnd = s.scalars(select(Round)).one()

        def newest() -> tuple[int | None, ...]:
            return tuple(
                s.scalar(select(func.max(t.id)).where(t.round_id == rnd.id)) for t in SOURCES
            )

        before = log_marks(s, rnd.id)
        assert before == newest()
        assert before[2] is not None and before[3] is not None  # the replies and their items
        assert before[4] is None  # no decision yet
        # A row of another round moves nothing; one of this round moves its own mark only.
        s.add(Event(committee_id=rnd.committee_id, round_id=None, at=AT,
                    actor="system", kind=EventKind.RECEIPT_FAILED))  # fmt: skip
        s.flush()
        assert log_marks(s, rnd.id) == before
        s.add(Event(committee_id=rnd.committee_id, round_id=rnd.id, at=AT,
                    actor="system", kind=EventKind.RECEIPT_FAILED))  # fmt: skip
        s.flush()
        after = log_marks(s, rnd.id)
        assert after == newest()
        assert after[0] != before[0] and after[1:] == before[1:]
        s.rollback()
    services.engine.dispose()
