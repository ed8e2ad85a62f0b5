"""`python -m tests.harness.fetch_process CONFIG.json`: the fetch loop as its own process.

The kill tests SIGKILL it at random points. The JSON holds: db_url, committee_id, host,
port, user, password, and optionally any `[imap]` option (mailbox, processed_folder,
after_processing, fetch_batch, max_message_bytes, idle, poll_interval_seconds), holder
and lease_ttl_seconds. It prints "ready" on stdout once the loop starts and stops
cleanly on SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from mailflow.adapters.imap import connector
from mailflow.clock import SystemClock
from mailflow.config import Imap, Secret, TlsMode
from mailflow.services.fetch import FetchOptions, MailFetcher
from mailflow.store import db

_IMAP_KEYS = (
    "mailbox",
    "processed_folder",
    "after_processing",
    "fetch_batch",
    "max_message_bytes",
    "idle",
    "poll_interval_seconds",
)


async def run(config: dict[str, Any]) -> None:
    settings = Imap(
        host=config["host"],
        port=config["port"],
        tls=TlsMode.NONE,
        user=config["user"],
        password=Secret(env="MAILFLOW_IMAP_PASSWORD"),
        **{k: config[k] for k in _IMAP_KEYS if k in config},
    )
    engine = db.make_engine(config["db_url"])
    fetcher = MailFetcher(
        settings,
        committee_id=config["committee_id"],
        sessions=db.session_factory(engine),
        clock=SystemClock(),
        connect=connector(settings, config["password"]),
        options=FetchOptions(
            holder=config.get("holder", "fetch-process"),
            lease_ttl=timedelta(seconds=config.get("lease_ttl_seconds", 60)),
            backoff_initial=0.1,
            backoff_max=2.0,
        ),
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    try:
        await fetcher.run_forever(stop)
    finally:
        engine.dispose()


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = json.loads(Path(argv[1]).read_text())
    asyncio.run(run(config))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
