"""Scale benchmark: the cost of one mail and of a tick against the history already stored.

    python bench/scale_bench.py [--sizes 2000 10000 50000 200000] [--new 20]
                                [--database-url postgresql+psycopg://…] [--deadline-ticks N]
                                [--history-rounds K|auto] [--open-mails M]
                                [--profile DIR] [--no-cli]

A synthetic committee (200 members, 10 departments, one round of 20 consultations, the
round open in ① with the call sent to every member) is built in a fresh database per
size. The history — `size` member replies with three items each, their audit events
and their receipts in the outbox — is inserted through the store's tables in bulk (SQL
executemany), not processed: building 200,000 mails takes seconds. Then, on that
history, the benchmark measures what the service does with new mail:

- per-mail CPU: `--new` real replies (Gmail, Outlook and Thunderbird shapes, each
  answering its member's own call: token in To, In-Reply-To set) through the real path
  of `mailflow ingest` (`services.intake_files.ingest_files`: store the bytes, commit,
  classify, route, parse, file, receipt); CPU seconds of this process per mail, median of
  per-mail times after one warm-up mail. Parsing runs in-process (`[parsing] isolate =
  false`) so that its CPU is counted here.
- ingest/decode: the end-to-end rate of `mailflow ingest *.eml` — `--new` other
  replies, given in calls of a processing group's number of files (32: one commit
  stores them, one processes them) — over the rate of decode + extract + split
  (`parsing.pipeline.parse_mail`) of the same mails in the same process. Beside it, the
  same for the replies of one file per call above (each call pays two commits for its
  one mail). Each call is followed by the decode of its mails and each rate is taken
  over the sum of its own parts, so that a drift of the machine's speed falls on both.
- first tick: `services.workflow.tick` right after intake (it reads the facts of the
  round the mail went to; a tick before the intake found every round quiet); idle tick:
  the ticks after it, with nothing new and nothing due (median of 5). Wall and CPU. The
  same read is then repeated (`--idle-repeat` times, the rounds forgotten as if their
  records had moved) and its median CPU printed beside the single first tick.
- deadline ticks (sizes up to `--deadline-ticks`, default 10000): the ① bundle tick
  (questions deadline passed) and the ② distribution tick (answers deadline passed),
  wall and CPU seconds and the peak RSS during each (VmHWM reset before it), with the
  RSS at its start (``peak X MiB from Y``: what the process kept of what it did before).
- peak RSS of the process that measured the size (each size runs in its own process).
- `--profile DIR`: cProfile stats of the first, bundle and distribution ticks,
  ``DIR/<size>/<tick>.prof``.

History. By default every stored mail is in the one open round: the stress case (a
round of `size` × 3 items). `--history-rounds K` spreads the same number of mails as a
committee's years of mail are: `--open-mails` (default 200) in the open round, the rest
over K past rounds of 4 consultations each (① and ③ replies, every item answered by its
department, the round's actions applied), all closed (minutes published) but the latest,
which is decided; `auto` makes one past round per `--open-mails` mails.
- CLI start: `mailflow round list` wall seconds (median of 5) and its own import time.

The last line is the issue's summary:
`ratio per-mail largest/smallest: X, ingest/decode: Y, idle tick ms: Z, cli start s: W`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "c2NhbGUtYmVuY2gtb25seS0zMi1ieXRlcy1sb25nLXh4"
MEMBERS, DEPARTMENTS, CONSULTATIONS = 200, 10, 20
ITEMS_PER_MAIL = 3
OPENED = datetime(2025, 6, 2, 0, 0, tzinfo=UTC)  # 09:00 JST, the call goes out
QUESTIONS_DUE = "2025-06-20"
ANSWERS_DUE = "2025-06-27"

# Questions and opinions as members write them, in our own words.
PHRASES = (
    "委託先の再委託について、市の承認を得る手続はどのように定められているか。",
    "個人情報を記録した媒体の運搬方法について、施錠できる容器を使うのか伺う。",
    "作業場所への入退室の記録は、どの程度の期間保存されるのか。",
    "アクセス権限の見直しを定期的に行い、その結果を報告させるべきである。",
    "事故が起きた場合の市への連絡体制を仕様書に明記することを求める。",
    "利用者への説明文書に、提供する項目を具体的に記載してほしい。",
    "データの消去後、消去証明書の提出を求めることとしてはどうか。",
    "従事者への研修内容と実施時期について確認したい。",
    "外部の回線に接続する端末は、業務用に限定されるのか。",
    "保存期間を過ぎた申込書の廃棄方法は、溶解処理とするのか伺う。",
)


def _cons_key(n: int) -> str:
    return str(101 + n)


def committee_toml(data_dir: Path, database_url: str | None) -> str:
    lines = [
        f'data_dir = "{data_dir}"',
        "",
        "[committee]",
        'id = "scale-bench"',
        'name = "情報公開・個人情報保護審査会"',
        'address = "shinsakai@city.example.jp"',
        'staff_alerts = ["jimukyoku@city.example.jp"]',
        'secretariat = "総務部 総務課"',
        'contact = "総務部 総務課 電話番号 042-000-0000"',
        'language = "ja"',
        'timezone = "Asia/Tokyo"',
    ]
    for m in range(MEMBERS):
        role = "chair" if m == 0 else "deputy" if m == 1 else "member"
        lines += [
            "",
            "[[members]]",
            f'id = "m{m:03d}"',
            f'name = "委員 {m:03d}"',
            f'role = "{role}"',
            f'addresses = ["iin{m:03d}@example.jp"]',
        ]
    for d in range(DEPARTMENTS):
        lines += [
            "",
            "[[departments]]",
            f'id = "ka{d:02d}"',
            f'name = "第{d + 1}課"',
            f'addresses = ["ka{d:02d}@city.example.jp"]',
        ]
    lines += ["", "[policy]", 'approval = "auto"', "", "[parsing]", "isolate = false", ""]
    lines += ["[security]", 'token_secret = { env = "MAILFLOW_TOKEN_SECRET" }', ""]
    if database_url:
        lines += ["[database]", f'url = "{database_url}"', ""]
    return "\n".join(lines)


def round_toml() -> str:
    lines = [
        'id = "R7-2"',
        'committee = "scale-bench"',
        'title = "令和7年度第2回審査会"',
        "fiscal_year = 2025",
        "notice_date = 2025-06-01",
        "absent = []",
        "",
        "[deadlines]",
        f"questions = {QUESTIONS_DUE}",
        f"answers = {ANSWERS_DUE}",
        "further = 2025-07-04",
        "decision = 2025-07-11",
    ]
    for c in range(CONSULTATIONS):
        depts = sorted({f"ka{c % DEPARTMENTS:02d}", f"ka{(c * 3 + 1) % DEPARTMENTS:02d}"})
        lines += [
            "",
            "[[consultations]]",
            f'key = "{_cons_key(c)}"',
            f'number = "令和7年度諮問第{_cons_key(c)}号"',
            f'title = "業務委託 その{c + 1}"',
            "departments = [" + ", ".join(f'"{d}"' for d in depts) + "]",
        ]
    return "\n".join(lines) + "\n"


def reply_text(n: int) -> str:
    """A member's reply: three items over two consultations, as members write them."""
    c1, c2 = n % CONSULTATIONS, (n + 7) % CONSULTATIONS
    p = [PHRASES[(n + k) % len(PHRASES)] for k in range(ITEMS_PER_MAIL)]
    return (
        "お世話になっております。\n以下のとおりお送りします。\n\n"
        f"諮問第{_cons_key(c1)}号について\n● {p[0]}\n● {p[1]}\n\n"
        f"諮問第{_cons_key(c2)}号について\n● {p[2]}\n\nよろしくお願いいたします。"
    )


# --- the child: one size in a fresh database ------------------------------------------------


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _rss_mb() -> float:
    """The process's resident memory now (what a tick's peak starts from: the memory the
    process kept of what it did before, the history's build among it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _setup(folder: Path, database_url: str | None) -> Any:
    from mailflow.clock import FixedClock
    from mailflow.config import load_config
    from mailflow.domain.roundspec import load_round_spec
    from mailflow.services.context import Services
    from mailflow.services.rounds import import_round
    from mailflow.services.workflow import open_round
    from mailflow.store import db
    from mailflow.wiring import PORTS

    (folder / "committee.toml").write_text(committee_toml(folder / "data", database_url), "utf-8")
    (folder / "round.toml").write_text(round_toml(), "utf-8")
    (folder / "data").mkdir(exist_ok=True)
    services = Services(
        load_config(folder / "committee.toml"), FixedClock(OPENED), "staff:bench", ports=PORTS
    )
    if database_url:
        from sqlalchemy import text

        with services.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.upgrade(services.engine)
    import_round(services, load_round_spec(folder / "round.toml"), folder / "round.toml")
    open_round(services, "R7-2")
    return services


def _calls(services: Any) -> dict[str, bytes]:
    """Each member's call for questions (address → raw bytes), as the outbox holds it."""
    from sqlalchemy import select

    from mailflow.store.models import Outbox
    from mailflow.store.outbox_parts import mail_bytes

    with services.sessions() as s:
        rows = s.execute(select(Outbox.recipients, Outbox.raw, Outbox.part_id)).all()
        raws = mail_bytes(s, [(raw, part_id) for _, raw, part_id in rows])
    out: dict[str, bytes] = {}
    for (recipients, _, _), raw in zip(rows, raws, strict=True):
        for r in recipients:
            out.setdefault(r, raw)
    return out


def _outbox_bytes(services: Any) -> tuple[int, int]:
    """The bytes the outbox holds (its rows' own bytes and, where the schema has them,
    the shared parts' chunks, each stored once), and how many shared parts."""
    from sqlalchemy import column, func, inspect, select, table

    with services.sessions() as s:
        total = int(s.scalar(select(func.coalesce(func.sum(func.length(column("raw"))), 0))
                             .select_from(table("outbox"))) or 0)  # fmt: skip
        parts = 0
        if inspect(s.get_bind()).has_table("outbox_part_chunk"):
            total += int(s.scalar(select(func.coalesce(func.sum(func.length(column("data"))), 0))
                                  .select_from(table("outbox_part_chunk"))) or 0)  # fmt: skip
            parts = int(s.scalar(select(func.count()).select_from(table("outbox_part"))) or 0)
    return total, parts


def _mail_rows(
    committee_id: int, round_id: int, cons: list[Any], m: Any, n: int, mid: int,
    at: datetime, phase: int, seqs: dict[int, int], tag: str,
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any], dict[str, Any]]:  # fmt: skip
    """The rows of one processed member reply: the message, its items, its event, its
    receipt. ``tag`` keeps the unique columns apart between rounds."""
    msg = {
        "id": mid,
        "committee_id": committee_id,
        "dedupe_key": f"hist-{tag}{n}@example.jp",
        "message_id": f"hist-{tag}{n}@example.jp",
        "sha256": f"{mid:064x}",
        "mailbox": "INBOX",
        "uidvalidity": 1,
        "uid": mid,
        "size": 400,
        "raw": b"From: x\r\nMessage-ID: <hist@example.jp>\r\n\r\n(history)\r\n",
        "truncated": False,
        "received_at": at,
        "state": "done",
        "classification": "normal",
        "round_id": round_id,
        "sender_kind": "chair" if m.role == "chair" else "member",
        "member_id": m.id,
        "phase": phase,
        "late": False,
        # As processing sets it: when mailflow first read the mail.
        "first_processed_at": at,
    }
    items = []
    for k in range(ITEMS_PER_MAIL):
        c = cons[(n + (7 if k == 2 else 0)) % len(cons)]
        seqs[c.id] += 1
        items.append(
            {
                "round_id": round_id,
                "consultation_id": c.id,
                "member_id": m.id,
                "phase": phase,
                "seq": seqs[c.id],
                "public_id": f"Q{c.key}-{seqs[c.id]:02d}",
                "kind": "question",
                "text": PHRASES[(n + k) % len(PHRASES)],
                "confidence": 1.0,
                "late": False,
                "state": "active",
                "staff_edited": False,
                "source_message_id": mid,
                "position": k,
                "received_at": at,
            }
        )
    ev = {
        "committee_id": committee_id,
        "round_id": round_id,
        "message_id": mid,
        "at": at,
        "actor": "system",
        "kind": "message_processed",
        "detail": {"role": "member", "proof": "proven", "items": 3},
    }
    out = {
        "committee_id": committee_id,
        "round_id": round_id,
        "kind": "receipt",
        "action_key": None,
        "message_id": f"<receipt-{tag}{n}@city.example.jp>",
        "recipients": [f"iin{n % MEMBERS:03d}@example.jp"],
        "subject": "[R7-2] 受け付けました",
        "raw": b"(receipt)",
        "state": "sent",
        "attempts": 1,
        "created_at": at,
        "sent_at": at,
    }
    return msg, items, ev, out


def _history(services: Any, size: int, past_rounds: int, open_mails: int) -> float:
    """Insert `size` processed member replies with their items, events and receipts.

    With ``past_rounds`` 0, all of them in the open round (the stress case). Otherwise
    ``open_mails`` of them in the open round and the rest spread evenly over that many
    past rounds, decided and closed, as a committee's years of mail are (`_past_rounds`).
    """
    from sqlalchemy import func, insert, select

    from mailflow.store.models import Consultation, Event, Item, Member, Message, Outbox, Round

    start = time.perf_counter()
    in_open = size if past_rounds == 0 else min(size, open_mails)
    with services.sessions() as s:
        rnd = s.scalars(select(Round).where(Round.key == "R7-2")).one()
        cons = list(
            s.scalars(
                select(Consultation)
                .where(Consultation.round_id == rnd.id)
                .order_by(Consultation.position)
            )
        )
        members = s.scalars(select(Member).order_by(Member.id)).all()
        committee_id, round_id = rnd.committee_id, rnd.id
        first_id = (s.scalar(select(func.max(Message.id))) or 0) + 1
        seqs = {c.id: 0 for c in cons}
        chunk = 5000
        for lo in range(0, in_open, chunk):
            msgs, items, evs, outs = [], [], [], []
            for n in range(lo, min(in_open, lo + chunk)):
                # Spread over the 70 hours before the new mail (now − 1 h at the latest),
                # so the sender rate limit counts none of it.
                at = OPENED + timedelta(hours=70) * (n / in_open)
                msg, its, ev, out = _mail_rows(
                    committee_id, round_id, cons, members[n % len(members)], n, first_id + n,
                    at, 1, seqs, "",
                )  # fmt: skip
                msgs.append(msg)
                items += its
                evs.append(ev)
                outs.append(out)
            s.execute(insert(Message), msgs)
            s.execute(insert(Item), items)
            s.execute(insert(Event), evs)
            s.execute(insert(Outbox), outs)
        s.commit()
    if past_rounds:
        _past_rounds(services, size - in_open, past_rounds, first_id + in_open)
    if services.engine.dialect.name == "postgresql":  # the ids above were given, not drawn
        from sqlalchemy import text

        with services.engine.begin() as conn:
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('message', 'id'), max(id)) FROM message")
            )
    return time.perf_counter() - start


PAST_CONSULTATIONS = 4
PAST_SPACING = timedelta(days=14)
EARLIEST = datetime(1990, 4, 1, tzinfo=UTC)  # dates are written in eras from 平成 on


def _past_round_spec(r: int, opened: datetime) -> Any:
    from mailflow.domain.roundspec import RoundSpec

    day = opened.date()
    return RoundSpec.model_validate(
        {
            "id": f"P{r + 1}",
            "committee": "scale-bench",
            "title": f"過去の審査会 その{r + 1}",
            "fiscal_year": max(1989, day.year if day.month >= 4 else day.year - 1),
            "notice_date": day,
            "deadlines": {
                "questions": day + timedelta(days=3),
                "answers": day + timedelta(days=6),
                "further": day + timedelta(days=9),
                "decision": day + timedelta(days=12),
            },
            "consultations": [
                {
                    "key": str(c + 1),
                    "number": f"諮問第{r * PAST_CONSULTATIONS + c + 1}号",
                    "title": f"過去の案件 {r}-{c}",
                    "departments": [f"ka{(r + c) % DEPARTMENTS:02d}"],
                }
                for c in range(PAST_CONSULTATIONS)
            ],
        }
    )


def _past_rounds(services: Any, mails: int, rounds: int, first_id: int) -> None:
    """`rounds` rounds before the open one, each with its share of `mails` member replies
    (① and ③), every item answered by its department, the actions of a whole round
    applied; all closed (minutes published) but the latest, which is decided."""
    from sqlalchemy import insert, select, update

    from mailflow.services.rounds import import_round
    from mailflow.store.models import (
        Answer,
        Consultation,
        Event,
        Item,
        Member,
        Message,
        Outbox,
        Round,
        WorkflowAction,
    )

    mid = first_id
    per = [mails // rounds + (1 if r < mails % rounds else 0) for r in range(rounds)]
    # A fortnight apart, closer when there are so many that they would reach before 平成.
    spacing = min(PAST_SPACING, (OPENED - EARLIEST) / (rounds + 1))
    for r in range(rounds):
        opened = OPENED - spacing * (rounds - r)
        spec = _past_round_spec(r, opened)
        import_round(services, spec, f"past-{r + 1}.toml")
        with services.sessions() as s:
            rnd = s.scalars(select(Round).where(Round.key == spec.id)).one()
            cons = list(
                s.scalars(
                    select(Consultation)
                    .where(Consultation.round_id == rnd.id)
                    .order_by(Consultation.position)
                )
            )
            dept_of = {c.id: c.departments[0].id for c in cons}
            members = s.scalars(select(Member).order_by(Member.id)).all()
            seqs = {c.id: 0 for c in cons}
            msgs, items, evs, outs = [], [], [], []
            for n in range(per[r]):
                phase = 3 if n >= per[r] * 4 // 5 else 1  # a fifth of the mail in ③
                at = opened + timedelta(days=1 if phase == 1 else 7, minutes=n)
                msg, its, ev, out = _mail_rows(
                    rnd.committee_id, rnd.id, cons, members[n % len(members)], n, mid, at,
                    phase, seqs, f"{spec.id}-",
                )  # fmt: skip
                mid += 1
                msgs.append(msg)
                items += its
                evs.append(ev)
                outs.append(out)
            if msgs:
                s.execute(insert(Message), msgs)
                s.execute(insert(Item), items)
                s.execute(insert(Event), evs)
                s.execute(insert(Outbox), outs)
            stored = s.execute(
                select(Item.id, Item.consultation_id, Item.phase, Item.received_at).where(
                    Item.round_id == rnd.id
                )
            ).all()
            answers = [
                {
                    "item_id": i.id,
                    "department_id": dept_of[i.consultation_id],
                    "by_secretariat": False,
                    "phase": 2 if i.phase == 1 else 4,
                    "text": "ご指摘のとおり対応します。",
                    "state": "active",
                    "staff_edited": False,
                    "received_at": i.received_at + timedelta(days=2),
                }
                for i in stored
            ]
            if answers:
                s.execute(insert(Answer), answers)
            tag = spec.id
            keys = [f"{tag}:call:1", f"{tag}:distribution:2", f"{tag}:call:3", f"{tag}:result"]
            keys += [f"{tag}:bundle:{p}:ka{d:02d}" for p in (1, 3) for d in range(DEPARTMENTS)]
            keys += [f"{tag}:digest:4:m000"]
            s.execute(
                insert(WorkflowAction),
                [
                    {"round_id": rnd.id, "key": k, "applied_at": opened + timedelta(days=j)}
                    for j, k in enumerate(keys)
                ],
            )
            state = "decided" if r == rounds - 1 else "minutes_published"
            s.execute(update(Round).where(Round.id == rnd.id).values(state=state))
            s.commit()


def _new_mails(calls: dict[str, bytes], count: int, size: int) -> list[bytes]:
    from mailflow.demo.clients import STYLES

    styles = ("gmail", "outlook", "thunderbird")
    out = []
    for n in range(count):
        m = (size + n * 37) % MEMBERS
        addr = f"iin{m:03d}@example.jp"
        when = OPENED + timedelta(days=3, minutes=n)
        style = STYLES[styles[n % len(styles)]]
        out.append(style(calls[addr], f"委員 {m:03d}", addr, reply_text(size + n), when))
    return out


def _median_ms(fn: Any, repeat: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``repeat`` calls."""
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        cpus.append((time.process_time() - c0) * 1000)
        walls.append((time.perf_counter() - t0) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def _reset_peak_rss() -> bool:
    """Start VmHWM afresh (Linux: ``5`` to clear_refs), so a tick's own peak is read."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _measured(fn: Any, profile: Path | None, name: str) -> dict[str, float]:
    """Wall and CPU seconds of one call, the process's peak RSS during it (when the
    kernel lets the peak be reset), and its profile under ``profile`` if asked."""
    import cProfile

    reset = _reset_peak_rss()
    start = _rss_mb()
    prof = cProfile.Profile() if profile else None
    t0, c0 = time.perf_counter(), time.process_time()
    if prof is not None:
        prof.runcall(fn)
    else:
        fn()
    out = {f"{name}_s": time.perf_counter() - t0, f"{name}_cpu_s": time.process_time() - c0}
    if reset:
        out[f"{name}_peak_rss_mb"] = _peak_rss_mb()
        out[f"{name}_start_rss_mb"] = start
    if prof is not None and profile is not None:
        prof.dump_stats(str(profile / f"{name}.prof"))
    return out


def written(folder: Path, mails: list[bytes]) -> list[Path]:
    """The mails as files in ``folder``, as `mailflow ingest` reads them."""
    paths = []
    for n, raw in enumerate(mails):
        path = folder / f"new-{n}.eml"
        path.write_bytes(raw)
        paths.append(path)
    return paths


def child(
    size: int, new: int, database_url: str | None, deadline_ticks: int, idle_repeat: int,
    past_rounds: int = 0, open_mails: int = 200, profile: Path | None = None,
) -> dict[str, Any]:  # fmt: skip
    from mailflow.domain import ConsultationRef
    from mailflow.parsing.pipeline import parse_mail
    from mailflow.services.ingest import GROUP_MAILS
    from mailflow.services.intake_files import ingest_files
    from mailflow.services.workflow import tick
    from mailflow.store import rounds as rounds_repo
    from mailflow.store.directory import sync_committee

    os.environ["MAILFLOW_TOKEN_SECRET"] = SECRET
    if past_rounds < 0:  # one past round per `open_mails` mails: rounds of a usual size
        past_rounds = max(1, size // open_mails - 1)
    if profile is not None:
        profile = profile / str(size)
        profile.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp:
        folder = Path(tmp)
        services = _setup(folder, database_url)
        calls = _calls(services)
        build_s = _history(services, size, past_rounds, open_mails)
        # The first `new + 1` one file per call (a warm-up, then each measured alone); the
        # last `new` many files to a call, as `mailflow ingest *.eml` takes them.
        mails = _new_mails(calls, 2 * new + 1, size)
        services.clock.set(OPENED + timedelta(days=3))
        # A running service has ticked before the mail came: every round it found quiet
        # is skipped until its records move, so the first tick below reads the rounds
        # the new mail touched.
        tick(services)

        # Warm-up: imports, caches and the first connection are not the history's cost.
        paths = written(folder, mails)
        with services.sessions() as s:
            committee = sync_committee(s, services.config)
            rnd = rounds_repo.get(s, committee.id, "R7-2")
            assert rnd is not None
            refs = [ConsultationRef(c.key, c.number, c.title) for c in rnd.consultations]
        first = ingest_files(services, paths[:1])
        assert first[0].outcome is not None and first[0].outcome.state == "done", first
        parse_mail(mails[0], refs)

        def decoded(raws: list[bytes]) -> float:
            t0 = time.perf_counter()
            for raw in raws:
                parse_mail(raw, refs)
            return time.perf_counter() - t0

        # Each call is followed by the decode of the same mails, and each rate is taken
        # over the sum of its own parts: a shared machine's speed drifts within seconds,
        # which two rates measured one after the other would read as a difference.
        cpu, ingest_s, decode_s = [], 0.0, 0.0
        for n in range(1, new + 1):
            c0, t0 = time.process_time(), time.perf_counter()
            (res,) = ingest_files(services, [paths[n]])
            ingest_s += time.perf_counter() - t0
            cpu.append(time.process_time() - c0)
            assert res.outcome is not None and res.outcome.state == "done", res.outcome
            decode_s += decoded([mails[n]])
        ingest_rate, decode_rate = new / ingest_s, new / decode_s
        # Many files to a call, as `mailflow ingest *.eml` takes them: calls of a group's
        # number of files (one commit stores them, one processes them).
        batch_s, batch_decode_s, batch_cpu_s = 0.0, 0.0, 0.0
        for n in range(new + 1, 2 * new + 1, GROUP_MAILS):
            c0, t0 = time.process_time(), time.perf_counter()
            together = ingest_files(services, paths[n : n + GROUP_MAILS])
            batch_s += time.perf_counter() - t0
            batch_cpu_s += time.process_time() - c0
            assert all(r.outcome is not None and r.outcome.state == "done" for r in together)
            batch_decode_s += decoded(mails[n : n + GROUP_MAILS])
        batch_rate, batch_decode_rate = new / batch_s, new / batch_decode_s

        # The first tick after intake reads the facts of the round the mail went to; the
        # ticks after it, with nothing new and nothing due, are the idle ones.
        first = _measured(lambda: tick(services), profile, "first_tick")
        idle_ms, idle_cpu_ms = _median_ms(lambda: tick(services), idle_repeat)

        # One first tick is one sample (a garbage collection may fall in it): the same read
        # again, the rounds forgotten as if their records had moved, `idle_repeat` times.
        def reread() -> None:
            services.quiet_rounds.clear()
            tick(services)

        again_ms, again_cpu_ms = _median_ms(reread, idle_repeat)
        result: dict[str, Any] = {
            "size": size,
            "past_rounds": past_rounds,
            "build_s": build_s,
            "cpu_ms_per_mail": statistics.median(cpu) * 1000,
            "cpu_ms_min": min(cpu) * 1000,
            "ingest_rate": ingest_rate,
            "ingest_cpu_rate": 1 / statistics.mean(cpu),
            "group": GROUP_MAILS,
            "batch_rate": batch_rate,
            "batch_decode_rate": batch_decode_rate,
            "batch_cpu_ms": batch_cpu_s / new * 1000,
            "first_tick_ms": first["first_tick_s"] * 1000,
            "first_tick_cpu_ms": first["first_tick_cpu_s"] * 1000,
            "first_tick_median_ms": again_ms,
            "first_tick_median_cpu_ms": again_cpu_ms,
            "decode_rate": decode_rate,
            "idle_tick_ms": idle_ms,
            "idle_tick_cpu_ms": idle_cpu_ms,
        }
        if size <= deadline_ticks:
            tz_end = datetime.fromisoformat(QUESTIONS_DUE).replace(tzinfo=UTC) + timedelta(days=1)
            services.clock.set(tz_end + timedelta(days=1))
            result |= _measured(lambda: tick(services), profile, "bundle_tick")
            a_end = datetime.fromisoformat(ANSWERS_DUE).replace(tzinfo=UTC) + timedelta(days=1)
            services.clock.set(a_end + timedelta(days=1))
            result |= _measured(lambda: tick(services), profile, "distribution_tick")
        stored, parts = _outbox_bytes(services)
        result["outbox_mb"], result["outbox_parts"] = stored / 2**20, parts
        result["peak_rss_mb"] = _peak_rss_mb()
        services.engine.dispose()
        return result


# --- the parent -------------------------------------------------------------------------------


def cli_start() -> tuple[float, float]:
    """Wall seconds of `mailflow round list` on an empty database (median of 5), and the
    cumulative import time (s) that `python -X importtime` reports for that command."""
    exe = Path(sys.executable).parent / "mailflow"
    with tempfile.TemporaryDirectory(prefix="scale-cli-") as tmp:
        folder = Path(tmp)
        (folder / "committee.toml").write_text(committee_toml(folder / "data", None), "utf-8")
        (folder / "data").mkdir()
        env = {**os.environ, "MAILFLOW_TOKEN_SECRET": SECRET}
        cmd = [str(exe), "--config", str(folder / "committee.toml")]
        subprocess.run([*cmd, "db", "upgrade"], env=env, check=True, capture_output=True)
        walls = []
        for _ in range(5):
            t0 = time.perf_counter()
            subprocess.run([*cmd, "round", "list"], env=env, check=True, capture_output=True)
            walls.append(time.perf_counter() - t0)
        probe = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "mailflow", *cmd[1:], "round", "list"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        imported_us = 0
        for line in probe.stderr.splitlines():
            parts = line.split("|")
            top = len(parts) == 3 and not parts[2].startswith("  ")  # cumulative of a root
            if top and parts[0].startswith("import time:") and "self" not in line:
                imported_us += int(parts[1])
    return statistics.median(walls), imported_us / 1e6


def _batch_ratio(r: dict[str, Any]) -> float:
    """Ingest against decoding, many files to a call: the issue's end-to-end figure."""
    return float(r["batch_rate"] / r["batch_decode_rate"]) if r.get("batch_decode_rate") else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000, 50000, 200000])
    ap.add_argument("--new", type=int, default=20, help="new mails measured per size")
    ap.add_argument("--database-url", default=None, help="PostgreSQL URL (default: SQLite)")
    ap.add_argument("--deadline-ticks", type=int, default=10000,
                    help="measure the bundle and distribution ticks up to this size")  # fmt: skip
    ap.add_argument("--idle-repeat", type=int, default=5, help="idle ticks measured")
    ap.add_argument("--history-rounds", default="0",
                    help="spread the stored mail over this many past rounds beside an open "
                         "round of --open-mails; 'auto': one per --open-mails mails; 0 "
                         "(default): all in the open round")  # fmt: skip
    ap.add_argument("--open-mails", type=int, default=200,
                    help="stored mails in the open round with --history-rounds")  # fmt: skip
    ap.add_argument("--no-cli", action="store_true", help="skip the CLI start measure")
    ap.add_argument("--profile", type=Path, default=None,
                    help="write cProfile stats of the measured ticks here")  # fmt: skip
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        rounds = -1 if args.history_rounds == "auto" else int(args.history_rounds)
        out = child(args.child, args.new, args.database_url, args.deadline_ticks,
                    args.idle_repeat, rounds, args.open_mails, args.profile)  # fmt: skip
        print(json.dumps(out))
        return

    results = []
    for size in sorted(args.sizes):
        cmd = [sys.executable, __file__, "--child", str(size), "--new", str(args.new)]
        cmd += [
            "--deadline-ticks",
            str(args.deadline_ticks),
            "--idle-repeat",
            str(args.idle_repeat),
            "--history-rounds",
            args.history_rounds,
            "--open-mails",
            str(args.open_mails),
        ]
        if args.profile:
            cmd += ["--profile", str(args.profile)]
        if args.database_url:
            cmd += ["--database-url", args.database_url]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"size {size} failed:\n{proc.stderr[-4000:]}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(r)
        ticks = ""
        if "bundle_tick_s" in r:
            ticks = (
                f"  bundle tick {r['bundle_tick_s']:.2f} s ({r['bundle_tick_cpu_s']:.2f} CPU,"
                f" peak {r.get('bundle_tick_peak_rss_mb', 0):.0f} MiB"
                f" from {r.get('bundle_tick_start_rss_mb', 0):.0f})"
                f"  distribution tick {r['distribution_tick_s']:.2f} s"
                f" ({r['distribution_tick_cpu_s']:.2f} CPU,"
                f" peak {r.get('distribution_tick_peak_rss_mb', 0):.0f} MiB"
                f" from {r.get('distribution_tick_start_rss_mb', 0):.0f})"
            )
        print(
            f"{size:>7} stored: {r['cpu_ms_per_mail']:8.1f} ms CPU/mail (min {r['cpu_ms_min']:.1f})"
            f"  one file a call {r['ingest_rate']:6.1f}/s"
            f" ({r.get('ingest_cpu_rate', 0):.1f}/CPU-s) against decode+extract+split"
            f" {r['decode_rate']:6.1f}/s: {r['ingest_rate'] / r['decode_rate']:.3f}"
            f"  {r.get('group', 32)} files a call {r.get('batch_rate', 0):6.1f}/s"
            f" ({r.get('batch_cpu_ms', 0):.1f} ms CPU/mail) against"
            f" {r.get('batch_decode_rate', 0):6.1f}/s: {_batch_ratio(r):.3f}"
            f"  first tick {r.get('first_tick_ms', 0):8.1f} ms"
            f" ({r.get('first_tick_cpu_ms', 0):.1f} CPU; again, median:"
            f" {r.get('first_tick_median_cpu_ms', 0):.1f} CPU)"
            f"  idle tick {r['idle_tick_ms']:8.1f} ms ({r.get('idle_tick_cpu_ms', 0):.1f} CPU)"
            f"{ticks}"
            f"  peak RSS {r['peak_rss_mb']:.0f} MiB  outbox {r.get('outbox_mb', 0):.0f} MiB"
            f" ({r.get('outbox_parts', 0)} shared parts)"
            f"  (history built in {r['build_s']:.1f} s"
            f", {r.get('past_rounds', 0)} past rounds)",
            flush=True,
        )
    wall, imports = cli_start() if not args.no_cli else (0.0, 0.0)
    if not args.no_cli:
        print(f"cli: `mailflow round list` {wall:.2f} s wall, imports {imports:.2f} s "
              "(-X importtime)")  # fmt: skip
    small, large = results[0], results[-1]
    ratio = large["cpu_ms_per_mail"] / small["cpu_ms_per_mail"]
    # Each size runs in its own process, minutes apart: on a shared machine its speed
    # differs, which the CPU per mail carries and the mail's cost counted in decodes of
    # the same process does not.
    in_decodes = [r["cpu_ms_per_mail"] * r["decode_rate"] / 1000 for r in (small, large)]
    print(
        f"per-mail CPU in decodes of its own process: {in_decodes[0]:.2f} → "
        f"{in_decodes[1]:.2f} (largest/smallest {in_decodes[1] / in_decodes[0]:.2f})"
    )
    ingest_decode = _batch_ratio(large)
    print(
        f"ratio per-mail largest/smallest: {ratio:.2f}, ingest/decode: {ingest_decode:.2f}, "
        f"idle tick ms: {large['idle_tick_ms']:.1f}, cli start s: {wall:.2f}"
    )


if __name__ == "__main__":
    main()
