"""A round's mail and how it was read, reprocessing; /quarantine: assign or discard."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from mailflow.errors import InputError
from mailflow.services import console_mail, intake_files
from mailflow.web.auth import Ctx, action, page


def _pk(ctx: Ctx) -> int:
    pk = ctx.param("pk")
    if not pk.isdigit():
        raise InputError([ctx.t("error.not_found")])
    return int(pk)


def _round_mail(ctx: Ctx) -> Response:
    key = ctx.param("key")
    return ctx.render("mail.html", key=key, mails=console_mail.round_mail(ctx.services, key))


def _reprocess_one(ctx: Ctx) -> Response:
    key, pk = ctx.param("key"), _pk(ctx)
    if pk not in intake_files.message_pks(ctx.services, round_key=key):
        raise InputError([ctx.t("error.not_found")])
    intake_files.reprocess(ctx.services, [pk])
    return ctx.done(f"/rounds/{key}/mail", "reprocessed")


def _reprocess_round(ctx: Ctx) -> Response:
    key = ctx.param("key")
    intake_files.reprocess(ctx.services, intake_files.message_pks(ctx.services, round_key=key))
    return ctx.done(f"/rounds/{key}/mail", "reprocessed")


def _quarantine(ctx: Ctx) -> Response:
    rounds, parties = intake_files.assignment_choices(ctx.services)
    return ctx.render("quarantine.html", mails=intake_files.waiting_mail(ctx.services),
                      rounds=rounds, parties=parties)  # fmt: skip


def _assign(ctx: Ctx) -> Response:
    round_key, party = ctx.field("round"), ctx.field("party")
    if not round_key or not party:
        raise InputError([ctx.t("quarantine.choose")])
    intake_files.assign_as(ctx.services, _pk(ctx), round_key, party, ctx.field("why") or None)
    return ctx.done("/quarantine", "assigned")


def _discard(ctx: Ctx) -> Response:
    why = ctx.field("why")
    if not why:
        raise InputError([ctx.t("form.why_missing")])
    intake_files.discard(ctx.services, _pk(ctx), why)
    return ctx.done("/quarantine", "discarded")


ROUTES = [
    Route("/rounds/{key}/mail", page(_round_mail), methods=["GET"]),
    Route("/rounds/{key}/mail/reprocess", action(_reprocess_round), methods=["POST"]),
    Route("/rounds/{key}/mail/{pk}/reprocess", action(_reprocess_one), methods=["POST"]),
    Route("/quarantine", page(_quarantine), methods=["GET"]),
    Route("/quarantine/{pk}/assign", action(_assign), methods=["POST"]),
    Route("/quarantine/{pk}/discard", action(_discard), methods=["POST"]),
]
