"""/audit with its filters, /health for staff, and /healthz (ok or not) for monitoring."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from mailflow.services import audit, health
from mailflow.web.auth import Ctx, WebState, page

FILTERS = ("round", "actor", "kind", "since", "until")


def _audit(ctx: Ctx) -> Response:
    q = {k: ctx.request.query_params.get(k) or None for k in FILTERS}
    log = audit.audit_log(ctx.services, round_key=q["round"], actor=q["actor"], kind=q["kind"],
                          since=q["since"], until=q["until"])  # fmt: skip
    return ctx.render("audit.html", log=log, q=q)


def _health(ctx: Ctx) -> Response:
    return ctx.render("health.html", h=health.health(ctx.services), now=ctx.services.clock.now())


async def _healthz(request: Request) -> Response:
    state: WebState = request.app.state.web
    ok = await run_in_threadpool(health.healthz, state.services)
    return PlainTextResponse("ok" if ok else "not ok", status_code=200 if ok else 503)


ROUTES = [
    Route("/audit", page(_audit), methods=["GET"]),
    Route("/health", page(_health), methods=["GET"]),
]
# For monitoring, without a login: the first committee's daemon (`run` checks them all).
PUBLIC = [Route("/healthz", _healthz, methods=["GET"])]
