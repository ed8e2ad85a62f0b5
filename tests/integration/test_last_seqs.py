"""A reply's consultations' last item numbers (`intake.last_seqs`): right for any number
of consultations, on SQLite and PostgreSQL, and read from the end of the index, so that
their cost does not grow with the items a round holds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

from mailflow.services.context import Services
from mailflow.store import db
from mailflow.store import intake as repo
from mailflow.store.models import Consultation, Item, Round
from tests.integration.test_process_groups import _services


def _filled(services: Services, per_consultation: int) -> tuple[int, list[int]]:
    """The seed round with `per_consultation` items numbered 1… in its first consultation
    and 3 in its second; its id and its consultations' ids."""
    with db.transaction(services.sessions) as s:
        round_id = s.scalars(select(Round.id)).one()
        cons = list(s.scalars(select(Consultation.id).order_by(Consultation.position)))
        rows = [(cons[0], n) for n in range(1, per_consultation + 1)] + [
            (cons[1], n) for n in (1, 2, 3)
        ]
        s.execute(
            insert(Item),
            [
                {"round_id": round_id, "consultation_id": cid, "seq": seq, "phase": 1,
                 "kind": "question", "text": f"問{seq}", "public_id": f"T{cid}-{seq}",
                 "received_at": datetime(2021, 1, 6, tzinfo=UTC)}
                for cid, seq in rows
            ],
        )  # fmt: skip
    return round_id, cons


def test_last_numbers_for_any_number_of_consultations(tmp_path: Path, any_db_url: str) -> None:
    services = _services(tmp_path, any_db_url)
    round_id, (first, second) = _filled(services, 12)
    unknown = [10_000 + n for n in range(70)]  # past one read's 64 keys; none has items
    with db.reading(services.sessions) as s:
        assert repo.last_seqs(s, round_id, [second, first]) == {first: 12, second: 3}
        assert repo.last_seqs(s, round_id, [second]) == {second: 3}
        assert repo.last_seqs(s, round_id, []) == {}
        many = repo.last_seqs(s, round_id, [*unknown, first, second])
    assert many == {**dict.fromkeys(unknown, 0), first: 12, second: 3}


def _steps(services: Services, round_id: int, consultations: list[int]) -> int:
    """SQLite's virtual-machine steps the read takes (its progress handler, every step)."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    with db.reading(services.sessions) as s:
        raw = s.connection().connection.driver_connection
        assert raw is not None
        raw.set_progress_handler(count, 1)
        try:
            repo.last_seqs(s, round_id, consultations)
        finally:
            raw.set_progress_handler(None, 1)
    return steps


def test_the_read_does_not_grow_with_the_round(tmp_path: Path, sqlite_url: str) -> None:
    small = _services(tmp_path / "small", sqlite_url.replace("mailflow.db", "small.db"))
    large = _services(tmp_path / "large", sqlite_url.replace("mailflow.db", "large.db"))
    few = _steps(small, *_filled(small, 10))
    many = _steps(large, *_filled(large, 5_000))
    # A `max` that walked the consultation's items took thousands of steps more here.
    assert many <= few + 20, (few, many)
