"""Reads by a list of keys (`db.keyed_rows`): the keys padded to one of a few sizes give
the rows an expanding `IN` gives, for any number of keys, on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, bindparam, event, select

from mailflow.store import db

_META = MetaData()
_ROWS = Table(
    "keyed_read_probe", _META,
    Column("id", Integer, primary_key=True), Column("code", String(20)),
    Column("state", String(10)), Column("batch", Integer),
)  # fmt: skip


@functools.cache
def _by_code(size: int | None) -> Any:
    return (
        select(_ROWS.c.id)
        .where(
            _ROWS.c.batch == bindparam("batch"),
            db.among(_ROWS.c.state, ("open", "held")),
            db.keyed(_ROWS.c.code, size),
        )
        .order_by(_ROWS.c.id)
    )


def test_keys_of_any_number_read_what_an_expanding_in_reads(engine: Engine) -> None:
    _META.create_all(engine)
    states = ("open", "held", "closed")
    with engine.begin() as conn:
        conn.execute(
            _ROWS.insert(),
            [{"code": f"k{n}", "state": states[n % 3], "batch": n % 2} for n in range(300)],
        )
    expanding = (
        select(_ROWS.c.id)
        .where(
            _ROWS.c.batch == bindparam("batch"),
            _ROWS.c.state.in_(("open", "held")),
            _ROWS.c.code.in_(bindparam("codes", expanding=True)),
        )
        .order_by(_ROWS.c.id)
    )
    sessions = db.session_factory(engine)
    last: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: last.append(a[2]))
    with db.reading(sessions) as s:
        for count, keys in [
            (1, 1), (2, 2), (3, 4), (5, 8), (8, 8), (9, 16), (33, 64), (64, 64), (65, 65),
            (150, 150),
        ]:  # fmt: skip
            # Unknown codes and a repeated one among them, as a mail's references are.
            codes = [f"k{n * 7 % 320}" for n in range(count - 1)] + ["k3"]
            want = s.execute(expanding, {"batch": 1, "codes": codes}).scalars().all()
            got = db.keyed_rows(s, _by_code, codes, {"batch": 1}).scalars().all()
            assert got == want and (count < 5 or want), count
            # Padded to one of a few sizes; past 64, as many as there are.
            marks = last[-1].count("?") + last[-1].count("%(")
            assert marks == keys + 3, (count, last[-1])
