"""Staff console accounts: add, list, disable, passwords (argon2id), logins and sessions.

A session is a random token in a signed cookie; the database keeps only its hash, when
it was last used and whether it ended, so logout, the idle timeout and a disabled
account end it for good. Failed logins are counted per login and per client address;
past ``web.lockout_failures`` within ``web.lockout_minutes`` both are locked for that
long, whatever the password, and every failure and lock is in the audit log.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mailflow.domain.states import EventKind
from mailflow.errors import InputError, NotFoundError
from mailflow.services.context import Services
from mailflow.store import db, events
from mailflow.store import staff as repo
from mailflow.store.models import StaffAccount, StaffSession

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MIN_PASSWORD = 10
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_HASHER = PasswordHasher()
# Verified against when the login does not exist, so that the answer takes as long.
_DUMMY = _HASHER.hash(secrets.token_hex(16))
# A session's last use is written at most this often (a read page is then no write).
_TOUCH = timedelta(seconds=60)


class StaffRole(StrEnum):
    STAFF = "staff"  # acts: every page and every action
    AUDITOR = "auditor"  # reads every page, changes nothing


@dataclass(frozen=True)
class StaffView:
    login: str
    role: StaffRole
    active: bool
    created_at: datetime
    password_changed_at: datetime


@dataclass(frozen=True)
class SignedIn:
    """A live session: who, with which role, and the session's CSRF token."""

    login: str
    role: StaffRole
    csrf_token: str

    @property
    def actor(self) -> str:
        return f"staff:{self.login}"


class LoginResult(StrEnum):
    OK = "ok"
    FAILED = "failed"
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginOutcome:
    result: LoginResult
    token: str | None = None  # the session token for the cookie, when OK


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_login(login: str) -> str:
    if not _LOGIN.match(login):
        raise InputError([f"LOGIN: {login!r}: use a-z, 0-9, '.', '_' and '-' (at most 64)"])
    return login


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError([f"password: at least {MIN_PASSWORD} characters, please"])
    return password


def _view(a: StaffAccount) -> StaffView:
    return StaffView(a.login, StaffRole(a.role), a.active, a.created_at, a.password_changed_at)


def _audit(
    services: Services, s: Session, kind: EventKind, reason: str | None = None, **kw: Any
) -> None:
    cid = repo.committee_id(s, services.config.committee.id)
    events.record(s, at=services.clock.now(), actor=services.actor, kind=kind,
                  committee_id=cid, reason=reason, **kw)  # fmt: skip


def add_account(services: Services, login: str, role: str, password: str) -> StaffView:
    _check_login(login)
    try:
        staff_role = StaffRole(role)
    except ValueError:
        raise InputError([f"--role: {role!r} is not staff or auditor"]) from None
    hashed = _HASHER.hash(_check_password(password))
    services.require_schema()
    now = services.clock.now()
    with db.transaction(services.sessions) as s:
        if repo.account(s, login) is not None:
            raise InputError([f"LOGIN: {login!r} exists already"])
        row = StaffAccount(login=login, role=staff_role.value, password_hash=hashed,
                           active=True, created_at=now, password_changed_at=now)  # fmt: skip
        s.add(row)
        _audit(services, s, EventKind.STAFF_ADDED, login=login, role=staff_role.value)
        s.flush()
        return _view(row)


def list_accounts(services: Services) -> list[StaffView]:
    services.require_schema()
    with db.transaction(services.sessions) as s:
        return [_view(a) for a in repo.accounts(s)]


def _existing(s: Session, login: str) -> StaffAccount:
    row = repo.account(s, login)
    if row is None:
        raise NotFoundError(f"no staff login {login!r}")
    return row


def disable(services: Services, login: str, why: str) -> StaffView:
    """The account can no longer log in; its open sessions end now."""
    if not why.strip():
        raise InputError(["--why: say why the login is disabled (kept in the audit log)"])
    services.require_schema()
    with db.transaction(services.sessions) as s:
        row = _existing(s, login)
        row.active = False
        repo.end_sessions_of(s, row.id, services.clock.now())
        _audit(services, s, EventKind.STAFF_DISABLED, why, login=login)
        return _view(row)


def set_password(services: Services, login: str, password: str) -> StaffView:
    """A new password (and the account active again); its open sessions end now."""
    hashed = _HASHER.hash(_check_password(password))
    services.require_schema()
    now = services.clock.now()
    with db.transaction(services.sessions) as s:
        row = _existing(s, login)
        row.password_hash, row.password_changed_at, row.active = hashed, now, True
        repo.end_sessions_of(s, row.id, now)
        _audit(services, s, EventKind.STAFF_PASSWORD_SET, login=login)
        return _view(row)


def log_in(services: Services, login: str, password: str, address: str) -> LoginOutcome:
    """Check a password under the lockout; OK carries a new session token."""
    web = services.config.web
    now = services.clock.now()
    login = login.strip().lower()[:64]
    services.require_schema()
    with db.transaction(services.sessions) as s:
        since = now - timedelta(minutes=web.lockout_minutes)
        failures = repo.failures_since(s, since=since, login=login, address=address)
        if failures >= web.lockout_failures:
            repo.record_attempt(s, login, address, now, False)
            _audit(services.as_actor(f"staff:{login}"), s, EventKind.LOGIN_LOCKED,
                   f"{failures} failed logins within {web.lockout_minutes} minutes",
                   login=login, address=address)  # fmt: skip
            return LoginOutcome(LoginResult.LOCKED)
        row = repo.account(s, login)
        ok = _verify(row.password_hash if row is not None else _DUMMY, password)
        ok = ok and row is not None and row.active
        repo.record_attempt(s, login, address, now, ok)
        who = services.as_actor(f"staff:{login}")
        if not ok or row is None:
            _audit(who, s, EventKind.LOGIN_FAILED, login=login, address=address)
            return LoginOutcome(LoginResult.FAILED)
        if _HASHER.check_needs_rehash(row.password_hash):
            row.password_hash = _HASHER.hash(password)
        token = secrets.token_urlsafe(32)
        s.add(StaffSession(token_hash=_digest(token), staff_id=row.id,
                           csrf_token=secrets.token_urlsafe(32), address=address,
                           created_at=now, last_seen_at=now))  # fmt: skip
        _audit(who, s, EventKind.LOGIN, login=login, address=address)
        return LoginOutcome(LoginResult.OK, token)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def resume(services: Services, token: str) -> SignedIn | None:
    """The live session of ``token``, or None: unknown, ended, idle too long, disabled."""
    now = services.clock.now()
    idle = timedelta(minutes=services.config.web.idle_minutes)
    with db.transaction(services.sessions) as s:
        found = repo.session_by_hash(s, _digest(token))
        if found is None:
            return None
        sess, acct = found
        if sess.ended_at is not None or not acct.active:
            return None
        if now - sess.last_seen_at > idle:
            sess.ended_at = now
            return None
        if now - sess.last_seen_at > _TOUCH:
            sess.last_seen_at = now
        return SignedIn(acct.login, StaffRole(acct.role), sess.csrf_token)


def log_out(services: Services, token: str) -> None:
    """End the session for good: the same cookie is refused from now on."""
    now = services.clock.now()
    with db.transaction(services.sessions) as s:
        found = repo.session_by_hash(s, _digest(token))
        if found is None or found[0].ended_at is not None:
            return
        found[0].ended_at = now
        _audit(
            services.as_actor(f"staff:{found[1].login}"), s, EventKind.LOGOUT, login=found[1].login
        )
