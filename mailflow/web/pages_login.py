"""/login and /logout: the signed session cookie, the lockout's answers."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from mailflow.services import staff
from mailflow.web import security
from mailflow.web.auth import Ctx, WebState, base_context, error_page, page
from mailflow.web.i18n import translator
from mailflow.web.templating import render

LOGIN_FORM_SECONDS = 3600
_STATUS = {staff.LoginResult.FAILED: 401, staff.LoginResult.LOCKED: 429}


def _next(value: object) -> str:
    # Only a path of this site: never "//host" or "https://…" (an open redirect).
    text = value if isinstance(value, str) else ""
    return text if text.startswith("/") and not text.startswith("//") else "/rounds"


def _form(state: WebState, request: Request, status: int = 200, message: str = "",
          login: str = "", nxt: str = "/rounds") -> Response:  # fmt: skip
    cookie, token = state.keys.login_pair()
    response = render("login.html", status, login_token=token, message=message, login=login,
                      next=nxt, **base_context(state, request, None))  # fmt: skip
    security.set_cookie(response, security.LOGIN_COOKIE, cookie, request, LOGIN_FORM_SECONDS)
    return response


async def login_page(request: Request) -> Response:
    state: WebState = request.app.state.web
    return _form(state, request, nxt=_next(request.query_params.get("next")))


async def login_submit(request: Request) -> Response:
    state: WebState = request.app.state.web
    form = await request.form(max_files=0, max_fields=10)
    token = form.get("csrf_token")
    if not isinstance(token, str) or not state.keys.login_form_ok(
        request.cookies.get(security.LOGIN_COOKIE), token
    ):
        return error_page(state, request, None, 403, [translator(state.lang)("error.csrf")])
    login, password = str(form.get("login") or ""), str(form.get("password") or "")
    nxt = _next(form.get("next"))
    address = request.client.host if request.client else "unknown"
    outcome = await run_in_threadpool(staff.log_in, state.services, login, password, address)
    if outcome.result is not staff.LoginResult.OK or outcome.token is None:
        return _form(state, request, _STATUS[outcome.result], outcome.result.value, login, nxt)
    response = RedirectResponse(nxt, status_code=303)
    idle = state.services.config.web.idle_minutes * 60
    security.set_cookie(response, security.SESSION_COOKIE, state.keys.sign(outcome.token),
                        request, idle)  # fmt: skip
    response.delete_cookie(security.LOGIN_COOKIE, path="/")
    return response


def _logout(ctx: Ctx) -> Response:
    token = ctx.state.keys.unsign(ctx.request.cookies.get(security.SESSION_COOKIE))
    if token:
        staff.log_out(ctx.services, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(security.SESSION_COOKIE, path="/")
    return response


ROUTES = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    # Logging out changes no record: auditors may, with their session's CSRF token.
    Route("/logout", page(_logout), methods=["POST"]),
]
