"""A reply's new items are inserted through Core (`records._NewItems`): together in one
statement unless one's id is wanted sooner — points are numbered under it, or it has
no public ID to be named by. Whatever the statements, the rows, their order, their
parents and the names in the receipt are those of the mail, and a reprocess keeps
them. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, event, select

from mailflow.services.context import Services
from mailflow.services.intake_files import ingest_files, reprocess
from mailflow.store import db
from mailflow.store.models import Item
from tests.integration.test_process_groups import _mails, _services

_BODIES = [
    # Two points numbered under the first item, then one item of its own.
    "13号について\n●ギフトの配布方法について、次の(1)から(2)までのことを求める。\n"
    "(1)受取場所の地図を案内に載せること。\n(2)受取期限を過ぎた場合の扱いを定めること。\n"
    "\n●配布の開始時期はいつですか。\n",
    # No consultation named in a round of two: an item without a public ID.
    "●庁舎の駐輪場の台数は足りていますか。\n",
    "14号について\n●予約の取消は前日の何時までできますか。\n●取消料はかかりますか。\n",
]


def _item_inserts(engine: Engine, seen: list[str]) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _insert(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO item "):
            seen.append("many" if executemany else "one")


def _rows(services: Services) -> list[tuple[int, str | None, int | None, int, int | None]]:
    with db.reading(services.sessions) as s:
        return [
            (i.id, i.public_id, i.parent_item_id, i.position, i.source_message_id)
            for i in s.scalars(select(Item).order_by(Item.id))
        ]


def test_new_items_keep_the_mails_order_parents_and_names(tmp_path: Path, any_db_url: str) -> None:
    services = _services(tmp_path, any_db_url)
    seen: list[str] = []
    _item_inserts(services.engine, seen)
    results = ingest_files(services, _mails(services, tmp_path, _BODIES))

    assert [r.outcome.detail if r.outcome else "" for r in results] == [
        "items Q13-01 Q13-02 Q13-03 Q13-04",
        "1 item(s) without consultation",
        "items Q14-01 Q14-02",
    ]
    first, second, third = (r.outcome.message_pk for r in results if r.outcome)
    rows = _rows(services)
    parent = rows[0][0]
    assert [(public, up, pos, source) for _, public, up, pos, source in rows] == [
        ("Q13-01", None, 0, first),
        ("Q13-02", parent, 1, first),
        ("Q13-03", parent, 2, first),
        ("Q13-04", None, 3, first),
        (None, None, 0, second),
        ("Q14-01", None, 0, third),
        ("Q14-02", None, 1, third),
    ]
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    # The announcing item and the unplaced one at once (their ids are wanted); the
    # others of a mail in one statement after them.
    assert seen == ["one", "many", "one", "many"]

    # Read again, each keeps its rows, numbers and parents; nothing new is inserted.
    seen.clear()
    again = reprocess(services, [first, second, third])
    assert [o.state for o in again] == ["done", "done", "done"]
    assert _rows(services) == rows
    assert seen == []
