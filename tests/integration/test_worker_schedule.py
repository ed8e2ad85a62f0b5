"""The worker's own schedule of each committee's polls and ticks, on PostgreSQL.

procrastinate's periodic deferrer works out the cron line of every periodic task each
time it wakes; with two per committee that grew with the committees a worker holds.
The worker now defers them itself under the same periodic ids, at times spread over
each period by committee, so a time deferred by any number of workers is still one job.
"""

from __future__ import annotations

import asyncio
import time
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import text

from mailflow.config import parse_config
from mailflow.services.context import Services
from mailflow.services.worker import (
    POLL,
    TICK,
    QueueWorker,
    Repeat,
    WorkerSettings,
    apply_schema,
    latest_time,
)
from tests.integration.outbox_helpers import SECRET, SECRET_ENV, config_toml, make_services

pytestmark = pytest.mark.postgres

IMAP = """
[imap]
host = "127.0.0.1"
port = 1143
tls = "none"
user = "r2"
password = { env = "MAILFLOW_TEST_IMAP_PASSWORD" }
poll_interval_seconds = 45
"""


def _services(url: str, monkeypatch: pytest.MonkeyPatch) -> Services:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.setenv("MAILFLOW_TEST_IMAP_PASSWORD", "not-used")
    data = tomllib.loads(config_toml(url, 2525) + IMAP)
    services = make_services(parse_config(data, "test.toml").resolve_paths(Path.cwd()))
    apply_schema(services)
    return services


def _jobs(services: Services) -> list[tuple[str, str, str, int]]:
    query = text(
        "SELECT task_name, lock, status::text, (args->>'timestamp')::int "
        "FROM procrastinate_jobs ORDER BY id"
    )
    with services.engine.connect() as c:
        return [(r[0], r[1], r[2], r[3]) for r in c.execute(query)]


async def test_two_workers_defer_each_time_of_a_committee_once(
    postgres_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = _services(postgres_schema_url, monkeypatch)
    settings = WorkerSettings(tick_every=90)
    first, second = QueueWorker([services], settings), QueueWorker([services], settings)
    # Only the one periodic task of procrastinate's own: its deferrer no longer works
    # out a line per committee each time it wakes.
    assert [t.periodic_id for t in first.app.periodic_registry.periodic_tasks.values()] == [
        "recover"
    ]
    poll, tick = first.repeats
    assert (poll, tick) == (Repeat(POLL, "r2", 45), Repeat(TICK, "r2", 90))
    now = time.time()
    async with first.app.open_async(), second.app.open_async():
        for worker in (first, second):
            for repeat in worker.repeats:
                await worker._defer_repeat(repeat, latest_time(repeat.every, repeat.offset, now))
        assert _jobs(services) == [
            (POLL, "poll:r2", "todo", latest_time(45, poll.offset, now)),
            (TICK, "tick:r2", "todo", latest_time(90, tick.offset, now)),
        ]
        # The next time, while the last one still waits: one waiting is enough.
        for r in first.repeats:
            await first._defer_repeat(r, latest_time(r.every, r.offset, now) + r.every)
        assert len(_jobs(services)) == 2
    services.engine.dispose()


async def test_a_worker_defers_its_committees_at_start_then_at_each_time(
    postgres_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = _services(postgres_schema_url, monkeypatch)
    worker = QueueWorker([services], WorkerSettings(tick_every=2))
    monkeypatch.setattr(worker, "repeats", [Repeat(TICK, "r2", 1)])
    async with worker.app.open_async():
        schedule = asyncio.create_task(worker._schedule())
        await asyncio.sleep(2.8)
        with services.engine.begin() as c:  # taken by a worker: the next may wait
            c.execute(text("UPDATE procrastinate_jobs SET status = 'doing'"))
        await asyncio.sleep(1.6)
        schedule.cancel()
    stamps = [stamp for _, lock, _, stamp in _jobs(services) if lock == "tick:r2"]
    # One at start, then one per second whenever none was waiting.
    assert len(stamps) == 2 and stamps[1] > stamps[0], _jobs(services)
    services.engine.dispose()
