"""The demo's secretariat: it adds its own answers (情報公開係長) as staff do, by command.

In the seed the secretariat answers two items itself, once before the department
(the wording of an agreement) and once after it (correcting a department's reading).
Staff record such answers with `mailflow item answer`; here the same service is called
when the item's bundle has gone out, and — for the second — once the department answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from mailflow.demo.seed import SECRETARY, SEED
from mailflow.services.context import Services
from mailflow.services.items import add_answer
from mailflow.store import db
from mailflow.store import intake as intake_repo

# The round has sent an item's bundle once it has reached these states.
_BUNDLED = {
    1: ("answering", "distributed", "collecting_further", "responding", "awaiting_decision"),
    3: ("responding", "awaiting_decision"),
}


@dataclass(frozen=True)
class _Task:
    item_text: str
    answer: str
    phase: int
    after_department: bool


def _tasks() -> list[_Task]:
    out = []
    for items in SEED.values():
        for item in (j for i in items for j in (i, *i.follow_ups)):
            for n, a in enumerate(item.answers):
                if a.secretariat:
                    out.append(_Task(item.text, a.text, item.phase, n > 0))
    return out


def _ready(services: Services, task: _Task) -> str | None:
    """The item's ID once its bundle is out (and, if so planned, a department answered)."""
    with db.transaction(services.sessions) as s:
        found = intake_repo.active_item_by_text(s, task.item_text)
        if (
            found is None
            or found.public_id is None
            or found.round_state not in _BUNDLED[task.phase]
        ):
            return None
        if task.after_department and not found.answers:
            return None
        return found.public_id


async def run_secretariat(services: Services, note: Callable[[str], None]) -> None:
    # Each answer waits for its own moment, side by side: one waiting for a department
    # must not hold back one that goes before the department's.
    await asyncio.gather(*(_answer(services, task, note) for task in _tasks()))


async def _answer(services: Services, task: _Task, note: Callable[[str], None]) -> None:
    while (item_id := await asyncio.to_thread(_ready, services, task)) is None:
        await asyncio.sleep(0.1)
    await asyncio.to_thread(
        add_answer, services, item_id, task.answer, "secretariat", label=SECRETARY,
        why="事務局からの補足回答",
    )  # fmt: skip
    note(f"事務局: [{item_id}] に{SECRETARY}の回答を記録")
