"""The console's ASGI application: routes of each area, static files, security headers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from mailflow.services.context import Services
from mailflow.web import (
    pages_admin,
    pages_corrections,
    pages_login,
    pages_mail,
    pages_minutes,
    pages_outbox,
    pages_round,
    pages_rounds,
    security,
)
from mailflow.web.auth import WebState, error_page
from mailflow.web.i18n import translator

STATIC = Path(__file__).resolve().parent / "static"


async def _home(_request: Request) -> Response:
    return RedirectResponse("/rounds", status_code=303)


async def _no_icon(_request: Request) -> Response:
    return Response(status_code=204)


async def _not_found(request: Request, _exc: Exception) -> Response:
    state: WebState = request.app.state.web
    return error_page(state, request, None, 404, [translator(state.lang)("error.not_found")])


def create_app(services: Services, others: Sequence[Services] = ()) -> Starlette:
    """The console for ``services``' committee (and ``others``, each under /c/{its id});
    each request acts as its signed-in login."""
    state = WebState(services, security.Keys(services.config.security.token_secret.reveal()),
                     tuple(others))  # fmt: skip
    pages: list[BaseRoute] = [
        *pages_rounds.ROUTES,
        *pages_round.ROUTES,
        *pages_corrections.ROUTES,
        *pages_mail.ROUTES,
        *pages_outbox.ROUTES,
        *pages_minutes.ROUTES,
        *pages_admin.ROUTES,
    ]
    routes: list[BaseRoute] = [
        Route("/", _home),
        Route("/favicon.ico", _no_icon),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        *pages_login.ROUTES,
        *pages_admin.PUBLIC,
        *pages,
        # Every committee's pages under its id; the first one's are at the root as well.
        Mount("/c/{committee}", routes=pages),
    ]
    web = services.config.web
    app = Starlette(
        routes=routes,
        middleware=[Middleware(security.SecurityHeaders, hsts=web.tls)],
        exception_handlers={404: _not_found},
    )
    app.state.web = state
    return app
