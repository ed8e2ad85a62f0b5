"""Who is asking: the session behind each request, CSRF on every POST, the role's rights.

Pages are plain functions ``(ctx) -> Response`` run in a worker thread (the services
are synchronous); ``page`` and ``action`` wrap them with the checks, so no handler can
forget one. Without a live session a request is sent to /login; a POST without the
session's CSRF token, or from an auditor, gets 403 and changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mailflow.errors import InputError, MailflowError, NotFoundError
from mailflow.services import staff
from mailflow.services.context import Services
from mailflow.web import security
from mailflow.web.i18n import LABELS, group, translator
from mailflow.web.templating import day, render, when

Endpoint = Callable[[Request], Awaitable[Response]]
MAX_UPLOAD = 2 * 1024 * 1024  # a round file and its documents' names, not the documents


@dataclass(frozen=True)
class Site:
    """One committee's pages: the first's at the root, every one's under /c/{committee id}."""

    key: str
    base: str  # "" or "/c/<committee id>": put before every path of the committee's pages
    services: Services


@dataclass
class WebState:
    """What every request shares: the committees' services and the keys.

    Logins and sessions live in the first committee's database; every committee's
    pages read and write its own, through its own services.
    """

    services: Services
    keys: security.Keys
    others: tuple[Services, ...] = ()

    @property
    def lang(self) -> str:
        return self.services.config.committee.language

    def sites(self) -> list[Site]:
        """Every committee, the first one first."""
        first = Site(self.services.config.committee.id, "", self.services)
        return [first, *(Site(s.config.committee.id, f"/c/{s.config.committee.id}", s)
                         for s in self.others)]  # fmt: skip

    def site(self, request: Request) -> Site | None:
        """The committee a request is for: the first at the root, else the one in its path."""
        key = request.path_params.get("committee")
        if key is None:
            return self.sites()[0]
        found = next((s for s in self.sites() if s.key == key), None)
        # The first committee's pages under /c/{id} too: links there stay under it.
        return Site(found.key, f"/c/{key}", found.services) if found else None


@dataclass
class Ctx:
    """One request as a handler sees it: the services act in the signed-in login's name."""

    request: Request
    state: WebState
    user: staff.SignedIn
    site: Site
    services: Services
    form: FormData | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str) -> str:
        return str(self.request.path_params[name])

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else default

    def t(self, key: str) -> str:
        return translator(self.services.config.committee.language)(key)

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        return render(template, status, **base_context(self.state, self.request, self.user),
                      **context)  # fmt: skip

    def done(self, path: str, message: str) -> Response:
        """After an action: back to a page of the same committee, which says what was done
        (a key, never text)."""
        sep = "&" if "?" in path else "?"
        return RedirectResponse(f"{self.site.base}{path}{sep}done={quote(message)}",
                                status_code=303)  # fmt: skip


def base_context(state: WebState, request: Request, user: staff.SignedIn | None) -> dict[str, Any]:
    site = state.site(request) or state.sites()[0]
    conf = site.services.config.committee
    lang, tz = conf.language, conf.tz
    today = site.services.clock.now().astimezone(tz).date()
    done = request.query_params.get("done", "")
    return {
        "lang": lang,
        "t": translator(lang),
        "labels": lambda prefix: group(lang, prefix),
        "when": lambda v: when(v, tz, lang, today),
        "day": lambda d: day(d, lang),
        "user": user,
        "csrf": user.csrf_token if user else "",
        "can_act": user is not None and user.role is staff.StaffRole.STAFF,
        "path": request.url.path,
        "done": done if f"done.{done}" in LABELS else "",
        "committee": conf.name,
        "base": site.base,
        "sites": state.sites() if state.others else [],
    }


def error_page(state: WebState, request: Request, user: staff.SignedIn | None, status: int,
               problems: list[str]) -> Response:  # fmt: skip
    return render("error.html", status, problems=problems, **base_context(state, request, user))


def _t(state: WebState, key: str) -> str:
    return translator(state.lang)(key)


def _signed_in(state: WebState, request: Request) -> staff.SignedIn | None:
    token = state.keys.unsign(request.cookies.get(security.SESSION_COOKIE))
    return staff.resume(state.services, token) if token else None


def _to_login(request: Request) -> Response:
    target = request.url.path if request.method == "GET" else "/rounds"
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def _wrap(handler: Callable[[Ctx], Response], write: bool) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        state: WebState = request.app.state.web
        user = await run_in_threadpool(_signed_in, state, request)
        if user is None:
            return _to_login(request)
        form = None
        if request.method == "POST":
            form = await request.form(max_files=4, max_fields=200, max_part_size=MAX_UPLOAD)
            if not security.csrf_ok(user.csrf_token, form.get("csrf_token")):
                return error_page(state, request, user, 403, [_t(state, "error.csrf")])
            if write and user.role is not staff.StaffRole.STAFF:
                return error_page(state, request, user, 403, [_t(state, "error.auditor")])
        site = state.site(request)
        if site is None:
            return error_page(state, request, user, 404, [_t(state, "error.not_found")])
        ctx = Ctx(request, state, user, site, site.services.as_actor(user.actor), form)
        try:
            return await run_in_threadpool(handler, ctx)
        except InputError as exc:
            return error_page(state, request, user, 400, exc.problems)
        except NotFoundError as exc:
            return error_page(state, request, user, 404, [str(exc)])
        except MailflowError as exc:
            return error_page(state, request, user, 409, [str(exc)])
        finally:
            if form is not None:
                await form.close()

    return endpoint


def page(handler: Callable[[Ctx], Response]) -> Endpoint:
    """A page anyone signed in may read (GET), or a POST that changes nothing."""
    return _wrap(handler, write=False)


def action(handler: Callable[[Ctx], Response]) -> Endpoint:
    """A POST that changes the record: staff only, with the session's CSRF token."""
    return _wrap(handler, write=True)
