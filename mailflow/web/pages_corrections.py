"""Staff corrections of a misread reply, from the item and round pages: place, move, split,
merge or withdraw an item; replace or remove its answer. Each through the same service
function as `mailflow item …` / `answer …`, with the reason typed (kept in the audit log)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.routing import Route

from mailflow.errors import InputError
from mailflow.services import staff_corrections as fix
from mailflow.web.auth import Ctx, action


def _why(ctx: Ctx) -> str:
    why = ctx.field("why")
    if not why:
        raise InputError([ctx.t("form.why_missing")])
    return why


def _chosen(ctx: Ctx, name: str) -> str:
    value = ctx.field(name)
    if not value:
        raise InputError([ctx.t("fix.choose")])
    return value


def _item(ctx: Ctx) -> str:
    return ctx.param("pk")


def _back(ctx: Ctx, ident: str, done: str) -> Response:
    return ctx.done(f"/rounds/{ctx.param('key')}/items/{ident}", done)


def _place(ctx: Ctx) -> Response:
    why, cons = _why(ctx), _chosen(ctx, "consultation")
    result = fix.place_item(ctx.services, _item(ctx), cons, why, ctx.param("key"))
    return _back(ctx, result.items[0], "placed")


def _move(ctx: Ctx) -> Response:
    why, cons = _why(ctx), _chosen(ctx, "consultation")
    result = fix.move_item(ctx.services, _item(ctx), cons, why, ctx.param("key"))
    return _back(ctx, result.items[-1], "moved")


def _split(ctx: Ctx) -> Response:
    why, at = _why(ctx), _chosen(ctx, "at")
    fix.split_item(ctx.services, _item(ctx), at, why, ctx.param("key"))
    return _back(ctx, _item(ctx), "split")


def _merge(ctx: Ctx) -> Response:
    why, second = _why(ctx), _chosen(ctx, "second")
    fix.merge_items(ctx.services, _item(ctx), second, why, ctx.param("key"))
    return _back(ctx, _item(ctx), "merged")


def _withdraw(ctx: Ctx) -> Response:
    fix.withdraw_item(ctx.services, _item(ctx), _why(ctx), ctx.param("key"))
    return _back(ctx, _item(ctx), "withdrawn")


def _replace_answer(ctx: Ctx) -> Response:
    why, text = _why(ctx), _chosen(ctx, "text")
    fix.replace_answer(ctx.services, _item(ctx), text, why, ctx.param("key"))
    return _back(ctx, _item(ctx), "answer_replaced")


def _remove_answer(ctx: Ctx) -> Response:
    fix.remove_answer(ctx.services, _item(ctx), _why(ctx), ctx.param("key"))
    return _back(ctx, _item(ctx), "answer_removed")


_ACTIONS: dict[str, Callable[[Ctx], Response]] = {
    "place": _place,
    "move": _move,
    "split": _split,
    "merge": _merge,
    "withdraw": _withdraw,
    "answer/replace": _replace_answer,
    "answer/remove": _remove_answer,
}

ROUTES = [
    Route(f"/rounds/{{key}}/items/{{pk}}/{name}", action(handler), methods=["POST"])
    for name, handler in _ACTIONS.items()
]
