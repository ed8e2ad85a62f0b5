"""The console's read services: the rounds list's counts, the round page, one sync per process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from mailflow.services import overview
from mailflow.services.context import Services
from mailflow.services.status import round_status
from mailflow.store import db
from mailflow.wiring import PORTS
from tests.harness.seed_round import build_seed_round, seed_services


@pytest.fixture
def seeded(tmp_path: Path, any_db_url: str) -> Services:
    os.environ.setdefault("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    services = seed_services(tmp_path / "data", any_db_url)
    build_seed_round(services)
    return services


def _statements(engine: Engine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _note(conn, cursor, statement, params, context, many):  # type: ignore[no-untyped-def]
        seen.append(statement)

    return seen


def test_rounds_list_counts_agree_with_status(seeded: Services) -> None:
    (row,) = overview.rounds_board(seeded)
    st = round_status(seeded, "R2-5")
    assert (row.key, row.state, row.next_deadline) == ("R2-5", st.state, st.next_deadline)
    assert (row.items, row.answered, row.late, row.held, row.decisions) == (
        st.items, st.answered, st.late, st.held, len(st.decisions))  # fmt: skip
    assert row.items > 0 and row.answered > 0 and row.decisions > 0


def test_round_page_holds_every_item_once(seeded: Services) -> None:
    view = overview.round_overview(seeded, "R2-5")
    placed = [i for c in view.consultations for i in c.items]
    every = placed + list(view.held) + list(view.unplaced)
    assert len({i.pk for i in every}) == len(every)
    assert len(every) >= overview.rounds_board(seeded)[0].items
    answered = [i for i in placed if i.answers]
    assert answered and all(a.by and a.text for i in answered for a in i.answers)
    assert {c.key for c in view.consultations} == {"13", "14"}


def test_the_config_is_synced_once_then_only_looked_up(seeded: Services) -> None:
    fresh = Services(config=seeded.config, clock=seeded.clock, _engine=seeded.engine, ports=PORTS)
    seen = _statements(seeded.engine)
    with db.transaction(fresh.sessions) as s:
        fresh.committee(s)
    synced = len(seen)
    seen.clear()
    with db.transaction(fresh.as_actor("staff:other").sessions) as s:
        fresh.as_actor("staff:other").committee(s)
    # the committee by its key's id: one query, not the members, departments, addresses
    assert synced > 3 and len([q for q in seen if q.lstrip().upper().startswith("SELECT")]) == 1


def test_a_sync_rolled_back_is_done_again(seeded: Services) -> None:
    fresh = Services(config=seeded.config, clock=seeded.clock, _engine=seeded.engine, ports=PORTS)
    with pytest.raises(RuntimeError), db.transaction(fresh.sessions) as s:
        fresh.committee(s)
        raise RuntimeError("the unit of work fails after the sync")
    seen = _statements(seeded.engine)
    with db.transaction(fresh.sessions) as s:
        fresh.committee(s)
    assert len(seen) > 3  # synced again: the memo waits for a commit


def test_an_english_committee_gets_english_pages(seeded: Services) -> None:
    from starlette.testclient import TestClient

    from mailflow.services.staff import add_account
    from mailflow.web.app import create_app
    from mailflow.web.i18n import LABELS

    conf = seeded.config
    english = Services(
        config=conf.model_copy(
            update={"committee": conf.committee.model_copy(update={"language": "en"})}
        ),
        clock=seeded.clock,
        _engine=seeded.engine,
        ports=PORTS,
    )
    add_account(english, "clerk", "staff", "clerk-password-1")
    client = TestClient(create_app(english), base_url="http://127.0.0.1")
    form = client.get("/login")
    assert '<html lang="en">' in form.text and LABELS["login.password"][1] in form.text
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"login": "clerk", "password": "clerk-password-1",
                                "csrf_token": token})  # fmt: skip
    for path, key in (("/rounds", "rounds.title"), ("/rounds/R2-5", "round.matrix"),
                      ("/audit", "audit.filter"), ("/outbox", "nav.outbox")):  # fmt: skip
        r = client.get(path)
        assert r.status_code == 200 and '<html lang="en">' in r.text, path
        assert LABELS[key][1] in r.text and LABELS[key][0] not in r.text, path


def test_a_held_item_is_shown_apart_with_its_arrival(seeded: Services) -> None:
    from sqlalchemy import update

    from mailflow.store.models import Item

    first = overview.round_overview(seeded, "R2-5").consultations[0].items[0]
    assert first.received_at is None  # placed items: the page shows no arrival time
    with db.transaction(seeded.sessions) as s:
        s.execute(update(Item).where(Item.id == first.pk).values(state="held"))
    view = overview.round_overview(seeded, "R2-5")
    (held,) = view.held
    assert held.pk == first.pk and held.received_at is not None
    assert first.pk not in {i.pk for c in view.consultations for i in c.items}


def test_pages_read_while_the_daemon_holds_the_write_lock(tmp_path: Path) -> None:
    """SQLite: a unit of work in progress elsewhere does not hold up a page (nor the page
    it: the reads take no write lock)."""
    import sqlite3

    from mailflow.services import audit, console_mail, items

    os.environ.setdefault("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    services = seed_services(tmp_path / "data")
    build_seed_round(services)
    services.sync()
    path = services.engine.url.database
    assert path
    writer = sqlite3.connect(path, isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")  # as the daemon's intake does, mid-unit of work
    try:
        view = overview.round_overview(services, "R2-5")
        assert view.consultations and overview.rounds_board(services)[0].key == "R2-5"
        assert items.show_item(services, "Q13-01", "R2-5").public_id == "Q13-01"
        assert console_mail.round_mail(services, "R2-5") == []  # the seed came by no mail
        assert audit.audit_log(services, round_key="R2-5").lines
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_the_audit_log_filters_by_a_kind_it_knows(tmp_path: Path) -> None:
    from mailflow.domain.states import EventKind
    from mailflow.errors import InputError
    from mailflow.services import audit, staff

    os.environ.setdefault("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    services = seed_services(tmp_path / "data")
    build_seed_round(services)
    staff.add_account(services, "sato", "auditor", "correct horse battery staple")
    log = audit.audit_log(services, kind="round_imported")
    assert log.lines and {line.kind for line in log.lines} == {EventKind.ROUND_IMPORTED}
    assert EventKind.ROUND_IMPORTED in log.kinds and len(log.kinds) < len(EventKind)
    assert len(audit.audit_log(services).lines) > len(log.lines)
    with pytest.raises(InputError, match="no such kind"):  # a typo is said, not an empty page
        audit.audit_log(services, kind="round_imported ")


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ja", "差出人が委員・所管課として登録されていません。"),
        ("en", "The sender is not a registered member or department."),
    ],
)
def test_the_quarantine_page_gives_the_reason_in_words_beside_its_code(
    seeded: Services, language: str, words: str
) -> None:
    from starlette.testclient import TestClient

    from mailflow.services.intake_files import ingest_files
    from mailflow.services.staff import add_account
    from mailflow.web.app import create_app

    conf = seeded.config
    services = Services(
        config=conf.model_copy(
            update={"committee": conf.committee.model_copy(update={"language": language})}
        ),
        clock=seeded.clock,
        _engine=seeded.engine,
        ports=PORTS,
    )
    mail = Path(__file__).resolve().parents[1] / "fixtures/mail/intake"
    [stored] = ingest_files(services, [mail / "becky-iso2022jp-unknown-sender.eml"])
    assert stored.outcome is not None and stored.outcome.state == "quarantined"
    add_account(services, "clerk", "staff", "clerk-password-1")
    client = TestClient(create_app(services), base_url="http://127.0.0.1")
    token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"login": "clerk", "password": "clerk-password-1",
                                "csrf_token": token})  # fmt: skip
    page = client.get("/quarantine")
    assert page.status_code == 200
    assert f": {words} <code>unknown_sender</code></p>" in page.text
