"""Stored times come back aware and in UTC, the same instant, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import Column, Engine, Integer, MetaData, Table, insert, select, text

from mailflow.store.types import UtcDateTime

JST = timezone(timedelta(hours=9))


def _table() -> tuple[MetaData, Table]:
    meta = MetaData()
    return meta, Table(
        "times", meta, Column("id", Integer, primary_key=True), Column("at", UtcDateTime)
    )


def test_times_read_back_as_the_same_instant_in_utc(engine: Engine) -> None:
    meta, times = _table()
    meta.create_all(engine)
    written = [
        datetime(2025, 6, 2, 9, 0, tzinfo=JST),
        datetime(2025, 6, 2, 0, 0, 0, 123456, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5))),
        None,
    ]
    with engine.begin() as conn:
        conn.execute(insert(times), [{"id": n, "at": at} for n, at in enumerate(written)])
        if engine.dialect.name == "postgresql":  # values come back in the session's zone
            conn.execute(text("SET LOCAL TIME ZONE 'Asia/Tokyo'"))
        read = [at for _id, at in conn.execute(select(times).order_by(times.c.id))]
    assert read == written
    assert all(at.tzinfo is UTC for at in read if at is not None)


def test_sqlite_text_in_other_forms_is_still_read(sqlite_url: str) -> None:
    # What SQLAlchemy writes is read in one call; text another tool wrote (an offset, a
    # bare date) goes the usual way and means the same instant.
    from mailflow.store.db import make_engine

    engine = make_engine(sqlite_url)
    meta, times = _table()
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO times (id, at) VALUES (1, '2025-06-02 09:00:00+09:00'), "
                 "(2, '2025-06-02'), (3, '2025-06-02 00:00:00.000000')")
        )  # fmt: skip
        read = [at for _id, at in conn.execute(select(times).order_by(times.c.id))]
    engine.dispose()
    assert read == [datetime(2025, 6, 2, tzinfo=UTC)] * 3
    assert all(at.tzinfo is UTC for at in read)
