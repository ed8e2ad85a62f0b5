"""`run_demo`: round R2-5 from the call for questions to the minutes, live, on loopback.

A fresh data directory and SQLite database, the example committee with the embedded
pymap as its mailbox and the demo hub as its SMTP server, round R2-5 imported and opened,
then mailflow's intake, scheduler and sender run while the simulated people answer. When
the round is decided and the result notice is out, the minutes and the export are written.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import tempfile
import time
import tomllib
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from mailflow import wiring
from mailflow.adapters.pymap_embed import start_pymap
from mailflow.config import Config, parse_config
from mailflow.demo.clock import JST, DemoClock
from mailflow.demo.daemon import run_services
from mailflow.demo.hub import Hub, start_hub
from mailflow.demo.participants import People
from mailflow.demo.secretariat import run_secretariat
from mailflow.domain.roundspec import load_round_spec
from mailflow.services.context import Services
from mailflow.services.export import export_round
from mailflow.services.minutes import render_minutes
from mailflow.services.rounds import import_round, show_round
from mailflow.services.workflow import open_round
from mailflow.store import db

ROUND = "R2-5"
_PACKAGE = Path(__file__).resolve().parents[1]
GIVE_UP = datetime(2021, 2, 10, tzinfo=JST)  # far past D4 (1/27): something is stuck
_STATES = {
    "draft": "準備中",
    "collecting_questions": "① 質疑及び意見の受付",
    "answering": "② 所管課の回答",
    "distributed": "② 一括送付",
    "collecting_further": "③ さらなる意見の受付",
    "responding": "③ 所管課の回答",
    "awaiting_decision": "④ 会長の答申待ち",
    "decided": "答申済み",
}


class DemoFailed(Exception):
    """The demo round did not finish: the message says where it stood."""


@dataclass(frozen=True)
class DemoResult:
    minutes_html: Path
    minutes_md: Path
    export_json: Path
    mails_in: int
    mails_out: int
    seconds: float


def examples_dir() -> Path:
    """The example committee and round: in the wheel's data, or at the checkout's top."""
    for candidate in (_PACKAGE / "_data" / "examples", _PACKAGE.parent / "examples"):
        if (candidate / "committee-r2-5.toml").is_file():
            return candidate
    raise FileNotFoundError("the example committee (examples/committee-r2-5.toml) is missing")


def demo_config(data_dir: Path, imap_port: int, smtp_port: int) -> Config:
    """The example committee on the embedded servers (secrets from this process's env)."""
    data: dict[str, Any] = tomllib.loads(
        (examples_dir() / "committee-r2-5.toml").read_text("utf-8")
    )
    data["data_dir"] = str(data_dir)
    data["imap"] = {
        "host": "127.0.0.1",
        "port": imap_port,
        "tls": "none",
        "user": "shingikai",
        "password": {"env": "MAILFLOW_DEMO_IMAP_PASSWORD"},
        "poll_interval_seconds": 5,
        "idle": True,
    }
    data["smtp"] = {"host": "127.0.0.1", "port": smtp_port, "tls": "none"}
    # A grace period: the chair's mail of 1/14 early morning is late but still bundled.
    data.setdefault("policy", {})["grace"] = "12h"
    return parse_config(data, "demo").resolve_paths(data_dir)


class Board:
    """The live display: phase, demo date, mail counters and the last events."""

    def __init__(self, clock: DemoClock) -> None:
        self.clock = clock
        self.state = "draft"
        self.events: deque[str] = deque(maxlen=8)
        self.hub: Hub | None = None

    def note(self, line: str) -> None:
        self.events.append(f"{self.clock.now():%m/%d %H:%M}  {line}")

    def __rich__(self) -> Group:
        now = self.clock.now()
        table = Table.grid(padding=(0, 2))
        table.add_row("審議", f"令和2年度第5回個人情報保護運営審議会 [{ROUND}]")
        table.add_row("日時", f"{now:%Y-%m-%d %H:%M} (JST, demo clock)")
        table.add_row("段階", _STATES.get(self.state, self.state))
        if self.hub is not None:
            c = self.hub.counts
            table.add_row("メール", f"受信箱へ {c.into_mailbox} 通 / 参加者へ {c.to_people} 通")
        return Group(table, Text(""), *(Text(e) for e in self.events))


async def run_demo(
    out: Path,
    speed: float,
    console: Console,
    data_dir: Path | None = None,
    keep: Callable[[Services], Awaitable[None]] | None = None,
) -> DemoResult:
    """Run the whole round; write minutes.html, minutes.md and export.json into `out`.

    The database lives in a temporary directory, or in `data_dir` (kept) when given.
    ``keep`` runs at the end while the database and the servers are still there (the
    console of `demo --web`, until it is stopped).
    """
    started = time.monotonic()
    clock = DemoClock(speed=speed)
    board = Board(clock)
    os.environ["MAILFLOW_TOKEN_SECRET"] = secrets.token_hex(32)
    os.environ["MAILFLOW_DEMO_IMAP_PASSWORD"] = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="mailflow-demo-") as scratch:
        tmp = str(data_dir or scratch)
        async with AsyncExitStack() as stack:
            imap = await start_pymap(
                stack, user="shingikai", password=os.environ["MAILFLOW_DEMO_IMAP_PASSWORD"]
            )
            people: People | None = None
            hub = Hub(
                "shingikai@city.example.jp",
                imap,
                lambda addr, raw: people.deliver(addr, raw) if people else None,
                clock,
            )
            board.hub = hub
            smtp_port = await start_hub(stack, hub)
            config = demo_config(Path(tmp), imap.port, smtp_port)
            people = People(config, clock, smtp_port, board.note)
            services = wiring.services(config, clock, "staff:demo")
            await asyncio.to_thread(_prepare, services)
            board.note("事務局: R2-5 を取り込み、開始しました")
            with Live(board, console=console, refresh_per_second=8, transient=False):
                await _play(services, people, board, clock)
            paths = await asyncio.to_thread(_write, services, out)
            if keep is not None:
                await keep(services)
    return DemoResult(
        *paths, hub.counts.into_mailbox, hub.counts.to_people, time.monotonic() - started
    )


def _prepare(services: Services) -> None:
    db.upgrade(services.engine)
    spec_file = examples_dir() / "round-r2-5.toml"
    import_round(services, load_round_spec(spec_file), spec_file)
    open_round(services, ROUND)


async def _play(services: Services, people: People, board: Board, clock: DemoClock) -> None:
    stop = asyncio.Event()
    chair = next(m.id for m in services.config.members if m.role.value == "chair")
    actors = [
        asyncio.create_task(people.run_member_plans(), name="members"),
        asyncio.create_task(people.run_chair(chair), name="chair"),
        asyncio.create_task(people.run_department("kodomo-hoken-kyufu", "markers")),
        asyncio.create_task(people.run_department("hoiku-yochien", "xlsx")),
        asyncio.create_task(people.run_department("joho-seisaku", "ids")),
        asyncio.create_task(run_secretariat(services, board.note), name="secretariat"),
    ]
    done = asyncio.Event()

    def on_state(state: str, settled: bool) -> None:
        if state != board.state:
            board.note(f"段階: {_STATES.get(state, state)}")
        board.state = state
        if state == "decided" and settled:
            done.set()
        if clock.now() > GIVE_UP:
            done.set()

    daemon = asyncio.create_task(run_services(services, stop, ROUND, on_state), name="daemon")
    try:
        waiter = asyncio.ensure_future(done.wait())
        pending: set[asyncio.Future[Any]] = {waiter, daemon, *actors}
        while not waiter.done():
            finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                # People finish their part and stop; only a failure ends the demo early.
                if task is not waiter and task.exception() is not None:
                    exc = task.exception()
                    raise DemoFailed(f"{_name(task)} failed: {exc!r}") from exc
            if daemon.done():
                break
        if board.state != "decided":
            raise DemoFailed(f"the round stopped at {board.state} on {clock.now():%m/%d}")
    finally:
        stop.set()
        for task in actors:
            task.cancel()
        await asyncio.gather(daemon, *actors, return_exceptions=True)


def _name(task: asyncio.Future[Any]) -> str:
    return task.get_name() if isinstance(task, asyncio.Task) else "a task"


def _write(services: Services, out: Path) -> tuple[Path, Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    html, md, js = out / "minutes.html", out / "minutes.md", out / "export.json"
    html.write_text(render_minutes(services, ROUND, "html"), "utf-8")
    md.write_text(render_minutes(services, ROUND, "md"), "utf-8")
    data = export_round(services, ROUND)
    js.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return html, md, js


def round_state(services: Services) -> str:
    return show_round(services, ROUND).state
