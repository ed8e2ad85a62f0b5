"""/outbox: outgoing mail by state, previewed as it will be sent; approve and retry."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from mailflow.errors import InputError
from mailflow.services import outbox, previews
from mailflow.web.auth import Ctx, action, page

STATES = ("draft", "approved", "sending", "sent", "failed", "cancelled")


def _id(ctx: Ctx) -> int:
    value = ctx.param("id")
    if not value.isdigit():
        raise InputError([ctx.t("error.not_found")])
    return int(value)


def _list(ctx: Ctx) -> Response:
    state = ctx.request.query_params.get("state") or None
    if state is not None and state not in STATES:
        state = None
    rows = outbox.entries(ctx.services, state)
    rows.sort(key=lambda e: e.id, reverse=True)
    drafts = any(e.state == "draft" for e in rows) if state in (None, "draft") else False
    failed = any(e.state == "failed" for e in rows) if state in (None, "failed") else False
    return ctx.render("outbox.html", rows=rows, states=STATES, state=state, drafts=drafts,
                      failed=failed)  # fmt: skip


def _show(ctx: Ctx) -> Response:
    entry, mail = previews.outbox_mail(ctx.services, _id(ctx))
    # htmx asks for the panel alone; a plain request gets the whole page.
    partial = ctx.request.headers.get("HX-Request") == "true"
    return ctx.render("outbox_panel.html" if partial else "outbox_mail.html", e=entry, m=mail)


def _approve(ctx: Ctx) -> Response:
    outbox.approve(ctx.services, _id(ctx))
    return ctx.done("/outbox", "approved")


def _approve_all(ctx: Ctx) -> Response:
    outbox.approve(ctx.services, None)
    return ctx.done("/outbox", "approved")


def _retry(ctx: Ctx) -> Response:
    outbox.retry(ctx.services, _id(ctx))
    return ctx.done("/outbox", "retried")


def _retry_failed(ctx: Ctx) -> Response:
    outbox.retry(ctx.services, None)
    return ctx.done("/outbox", "retried")


ROUTES = [
    Route("/outbox", page(_list), methods=["GET"]),
    Route("/outbox/approve-all", action(_approve_all), methods=["POST"]),
    Route("/outbox/retry-failed", action(_retry_failed), methods=["POST"]),
    Route("/outbox/{id}", page(_show), methods=["GET"]),
    Route("/outbox/{id}/approve", action(_approve), methods=["POST"]),
    Route("/outbox/{id}/retry", action(_retry), methods=["POST"]),
]
