"""SIGKILL the fetch process at random points, 20 times: every mail is stored exactly once."""

from __future__ import annotations

import json
import os
import random
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.harness.imap_extra import (
    PROCESSED,
    MailServer,
    Store,
    append_all,
    folder_digests,
    mail_server,
    mixed_mails,
    prepare_store,
    sha256,
)

__all__ = ["mail_server"]  # the fixture, imported for this module

ROOT = Path(__file__).resolve().parents[2]
TRIALS = 20
PER_TRIAL = 15


def _start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.harness.fetch_process", str(config)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log.open("ab"),
        env={**os.environ, "MAILFLOW_IMAP_PASSWORD": "unused"},
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 30)
    assert ready and process.stdout.readline().strip() == b"ready", log.read_text()[-2000:]
    return process


def _write_config(path: Path, server: MailServer, store: Store) -> None:
    endpoint = server.endpoint
    path.write_text(
        json.dumps(
            {
                "db_url": store.url,
                "committee_id": store.committee_id,
                "host": endpoint.host,
                "port": endpoint.port,
                "user": endpoint.user,
                "password": endpoint.password,
                "processed_folder": PROCESSED,
                "fetch_batch": 5,
                # One holder name across restarts: a killed run's lease is taken over at
                # once instead of after its expiry.
                "holder": "fetch-under-test",
            }
        )
    )


@pytest.mark.slow
def test_sigkill_at_random_points_loses_nothing_and_duplicates_nothing(
    mail_server: MailServer, tmp_path: Path
) -> None:
    store = prepare_store(f"sqlite:///{tmp_path / 'mailflow.db'}")
    config, log = tmp_path / "fetch.json", tmp_path / "fetch.log"
    _write_config(config, mail_server, store)
    rng = random.Random(20210113)
    mails = mixed_mails(TRIALS * PER_TRIAL, seed=13)
    interrupted = 0

    for trial in range(TRIALS):
        batch = mails[trial * PER_TRIAL : (trial + 1) * PER_TRIAL]
        append_all(mail_server, batch[:10])
        process = _start(config, log)
        # The rest arrives while it runs, and the kill lands anywhere from the first
        # SELECT to the middle of a batch, a commit or a MOVE: timed from the start, not
        # from the end of the late APPENDs (on a quiet machine the fetcher had often
        # stored everything by then, and no kill landed mid-work).
        late = threading.Thread(target=append_all, args=(mail_server, batch[10:]))
        late.start()
        time.sleep(rng.uniform(0.0, 0.3))
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        late.join(60)
        assert not late.is_alive()
        if len(store.digests()) < (trial + 1) * PER_TRIAL:
            interrupted += 1

    process = _start(config, log)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len(store.digests()) >= len(mails) and not folder_digests(mail_server, "INBOX"):
                break
            time.sleep(0.3)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0, log.read_text()[-2000:]

    expected = sorted(sha256(m) for m in mails)
    assert sorted(store.digests()) == expected  # none lost, none twice
    assert folder_digests(mail_server, "INBOX") == []
    assert folder_digests(mail_server, PROCESSED) == expected
    # The kills did land mid-work, not only between fully finished runs.
    assert interrupted >= 1
