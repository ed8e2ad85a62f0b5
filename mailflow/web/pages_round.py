"""/rounds/{key}: timeline, reply matrix, items; one item's wording, answers, late decision."""

from __future__ import annotations

import re

from starlette.responses import Response
from starlette.routing import Route

from mailflow.services import items, overview, rounds
from mailflow.web.auth import Ctx, action, page


def _round(ctx: Ctx) -> Response:
    view = overview.round_overview(ctx.services, ctx.param("key"))
    return ctx.render("round.html", r=view)


_IDENT = re.compile(r"[A-Za-z0-9-]{1,32}")


def _item_id(ctx: Ctx) -> str:
    """The item's number, or its public ID (Q14-05: where a correction sends staff)."""
    ident = ctx.param("pk")
    return ident if _IDENT.fullmatch(ident) else "-"


def _item(ctx: Ctx) -> Response:
    key = ctx.param("key")
    view = items.show_item(ctx.services, _item_id(ctx), key)
    return ctx.render("item.html", item=view, departments=overview.departments(ctx.services),
                      consultations=rounds.show_round(ctx.services, key).consultations,
                      siblings=overview.siblings(ctx.services, key, view.pk),
                      diff=items.wording_diff(view.text, view.published_text))  # fmt: skip


def _back(ctx: Ctx) -> str:
    return f"/rounds/{ctx.param('key')}/items/{_item_id(ctx)}"


def _edit(ctx: Ctx) -> Response:
    items.edit_item(ctx.services, _item_id(ctx), ctx.field("text"), ctx.field("why"),
                    ctx.param("key"))  # fmt: skip
    return ctx.done(_back(ctx), "edited")


def _accept(ctx: Ctx) -> Response:
    items.accept_item(ctx.services, _item_id(ctx), ctx.field("why") or None, ctx.param("key"))
    return ctx.done(f"/rounds/{ctx.param('key')}", "accepted")


def _reject(ctx: Ctx) -> Response:
    items.reject_item(ctx.services, _item_id(ctx), ctx.field("why"), ctx.param("key"))
    return ctx.done(f"/rounds/{ctx.param('key')}", "rejected")


def _answer(ctx: Ctx) -> Response:
    items.add_answer(ctx.services, _item_id(ctx), ctx.field("text"), ctx.field("by"),
                     label=ctx.field("label") or None, why=ctx.field("why") or None,
                     round_key=ctx.param("key"))  # fmt: skip
    return ctx.done(_back(ctx), "answered")


ROUTES = [
    Route("/rounds/{key}", page(_round), methods=["GET"]),
    Route("/rounds/{key}/items/{pk}", page(_item), methods=["GET"]),
    Route("/rounds/{key}/items/{pk}/edit", action(_edit), methods=["POST"]),
    Route("/rounds/{key}/items/{pk}/accept", action(_accept), methods=["POST"]),
    Route("/rounds/{key}/items/{pk}/reject", action(_reject), methods=["POST"]),
    Route("/rounds/{key}/items/{pk}/answer", action(_answer), methods=["POST"]),
]
