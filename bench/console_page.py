"""Server time of the console's round page for a big round: 200 members, 2,000 items.

A SQLite database gets a committee of 200 members and 4 departments, a round with
2 consultations, 2,000 items (each answered) and a processed mail per member; the page
/rounds/R-BIG is requested through the ASGI app in-process (no network), logged in,
and the time from request to the whole body is measured: wall time and the process's
CPU time (on a shared machine the wall time includes waiting for a core; the CPU time
is what the page costs). Prints min / median / p95 of both, then the median of every
other page at that size. The target (issue 13): under 200 ms.

    .venv/bin/python bench/console_page.py [--runs 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from starlette.testclient import TestClient  # noqa: E402

from mailflow.clock import FixedClock  # noqa: E402
from mailflow.config import parse_config  # noqa: E402
from mailflow.services.context import Services  # noqa: E402
from mailflow.services.staff import add_account  # noqa: E402
from mailflow.store import db  # noqa: E402
from mailflow.store.directory import sync_committee  # noqa: E402
from mailflow.store.models import Answer, Consultation, Item, Message, Round  # noqa: E402
from mailflow.web.app import create_app  # noqa: E402
from mailflow.web.serve import settle  # noqa: E402
from mailflow.wiring import PORTS  # noqa: E402

MEMBERS, ITEMS = 200, 2000
T0 = datetime(2021, 1, 8, 1, 0, tzinfo=UTC)


def config(data_dir: Path) -> dict[str, object]:
    members = [
        {
            "id": f"m{i:03d}",
            "name": f"委員{i:03d}",
            "addresses": [f"m{i}@example.jp"],
            "role": "chair" if i == 0 else "deputy" if i == 1 else "member",
        }
        for i in range(MEMBERS)
    ]
    depts = [
        {"id": f"d{i}", "name": f"第{i}課", "addresses": [f"d{i}@city.example.jp"]}
        for i in range(4)
    ]
    return {
        "data_dir": str(data_dir),
        "committee": {
            "id": "big",
            "name": "大きな審議会",
            "address": "big@city.example.jp",
            "staff_alerts": ["staff@city.example.jp"],
        },
        "members": members,
        "departments": depts,
        "security": {"token_secret": {"env": "MAILFLOW_TOKEN_SECRET"}},
    }


def build(services: Services) -> None:
    with db.transaction(services.sessions) as s:
        committee = sync_committee(s, services.config)
        rnd = Round(
            committee_id=committee.id,
            key="R-BIG",
            title="大規模な回",
            fiscal_year=2020,
            notice_date=date(2021, 1, 5),
            state="collecting_questions",
            questions_due=T0 + timedelta(days=5),
            answers_due=T0 + timedelta(days=7),
            further_due=T0 + timedelta(days=12),
            decision_due=T0 + timedelta(days=19),
            created_at=T0,
        )
        s.add(rnd)
        s.flush()
        from mailflow.store.rounds import departments_by_key, members_by_key

        depts = list(departments_by_key(s, committee).values())
        cons = [
            Consultation(
                round_id=rnd.id,
                key=k,
                number=f"諮問第{k}号",
                title=f"案件{k}",
                position=n,
                departments=depts[n * 2 : n * 2 + 2],
            )
            for n, k in enumerate(("13", "14"))
        ]
        s.add_all(cons)
        s.flush()
        members = list(members_by_key(s, committee).values())
        for n, m in enumerate(members):
            s.add(
                Message(
                    committee_id=committee.id,
                    dedupe_key=f"k{n}",
                    sha256="x",
                    size=1,
                    raw=b"x",
                    received_at=T0,
                    state="done",
                    round_id=rnd.id,
                    sender_kind="member",
                    member_id=m.id,
                    phase=1,
                )
            )
        s.flush()
        seqs = {c.id: 0 for c in cons}
        for n in range(ITEMS):
            c = cons[n % 2]
            seqs[c.id] += 1
            item = Item(
                round_id=rnd.id,
                consultation_id=c.id,
                member_id=members[n % MEMBERS].id,
                phase=1,
                seq=seqs[c.id],
                public_id=f"Q{c.key}-{seqs[c.id]:02d}",
                kind="question",
                received_at=T0,
                text=f"質問{n}：個人情報の取扱いについて、委託先での管理方法を伺う。" * 2,
            )
            s.add(item)
            s.flush()
            s.add(
                Answer(
                    item_id=item.id,
                    department_id=c.departments[0].id,
                    phase=2,
                    text=f"回答{n}：仕様書に明記し、定期的に確認する。",
                    received_at=T0,
                )
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    os.environ.setdefault("MAILFLOW_TOKEN_SECRET", "bench-secret-0123456789abcdef-012345678")
    with tempfile.TemporaryDirectory() as tmp:
        conf = parse_config(config(Path(tmp)), "bench")
        services = Services(
            config=conf, clock=FixedClock(T0 + timedelta(days=1)), actor="bench", ports=PORTS
        )
        db.upgrade(services.engine)
        build(services)
        add_account(services, "bench", "staff", "bench-password-1")
        app = create_app(services)
        settle()  # as `mailflow web` does once the app is built
        client = TestClient(app, base_url="http://127.0.0.1")
        page = client.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        client.post(
            "/login", data={"login": "bench", "password": "bench-password-1", "csrf_token": token}
        )
        first = client.get("/rounds/R-BIG")
        assert first.status_code == 200 and "Q14-1000" in first.text, first.status_code
        walls, cpus = measure(client, "/rounds/R-BIG", args.runs)
        print(f"round page, {MEMBERS} members, {ITEMS} items (answered), {len(first.text):,} chars")
        print(f"runs {len(walls)}: wall {spread(walls)}; CPU {spread(cpus)}  (target < 200 ms)")
        pk = first.text.split('href="/rounds/R-BIG/items/')[1].split('"')[0]
        for url in [*OTHER_PAGES, f"/rounds/R-BIG/items/{pk}"]:
            walls, cpus = measure(client, url, max(3, args.runs // 4))
            print(
                f"  {url:30} wall median {statistics.median(walls):5.0f} ms,"
                f" CPU median {statistics.median(cpus):5.0f} ms"
            )
        print(
            f"python {platform.python_version()}, {platform.machine()}, SQLite,"
            f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )


OTHER_PAGES = ["/rounds", "/rounds/R-BIG/mail", "/rounds/R-BIG/minutes", "/quarantine",
               "/outbox", "/audit", "/health"]  # fmt: skip


def measure(client: TestClient, url: str, runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of ``runs`` requests (the app runs in this process)."""
    assert client.get(url).status_code == 200, url
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        r = client.get(url)
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
        assert r.status_code == 200, (url, r.status_code)
    return walls, cpus


def spread(times: list[float]) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return f"min {times[0]:.0f}, median {statistics.median(times):.0f}, p95 {p95:.0f} ms"


if __name__ == "__main__":
    main()
