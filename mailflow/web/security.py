"""Cookies, CSRF tokens and response headers of the console.

The session cookie carries the session's random token signed with a key derived from
``security.token_secret``; the login form, which comes before any session, is guarded
by a signed nonce cookie whose HMAC is the form's ``csrf_token`` (double submit).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from itsdangerous import BadSignature, Signer
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "mailflow_session"
LOGIN_COOKIE = "mailflow_login"

# Scripts and styles only from our own files: no inline script, no CDN (the CSP).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class Keys:
    """The console's signing keys, derived from the committee's token secret."""

    def __init__(self, token_secret: str) -> None:
        base = token_secret.encode()
        self._session = hmac.new(base, b"mailflow web session", hashlib.sha256).digest()
        self._login = hmac.new(base, b"mailflow web login form", hashlib.sha256).digest()
        self.signer = Signer(self._session, salt="session")

    def sign(self, token: str) -> str:
        return self.signer.sign(token).decode()

    def unsign(self, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return self.signer.unsign(value).decode()
        except BadSignature:
            return None

    def login_pair(self) -> tuple[str, str]:
        """A fresh (cookie value, form token) pair for the login form."""
        nonce = secrets.token_urlsafe(24)
        return self.sign(nonce), self._login_token(nonce)

    def login_form_ok(self, cookie: str | None, token: str) -> bool:
        nonce = self.unsign(cookie)
        return nonce is not None and hmac.compare_digest(self._login_token(nonce), token)

    def _login_token(self, nonce: str) -> str:
        return hmac.new(self._login, nonce.encode(), hashlib.sha256).hexdigest()


def csrf_ok(expected: str, given: object) -> bool:
    return isinstance(given, str) and hmac.compare_digest(expected.encode(), given.encode())


def set_cookie(response: Response, name: str, value: str, request: Request, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )  # fmt: skip


class SecurityHeaders:
    """Adds the console's security headers; pages (not static files) are never stored."""

    def __init__(self, app: ASGIApp, hsts: bool) -> None:
        self.app, self.hsts = app, hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                if self.hsts:
                    headers["Strict-Transport-Security"] = "max-age=31536000"
                if static:
                    headers["Cache-Control"] = "public, max-age=3600"
                else:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
