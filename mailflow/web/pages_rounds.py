"""/rounds: the list, importing a round file, and the staff commands on a round."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import UploadFile
from starlette.responses import Response
from starlette.routing import Route

from mailflow.domain import Phase
from mailflow.errors import InputError
from mailflow.services import overview, rounds, workflow
from mailflow.web.auth import Ctx, action, page

PHASES = (Phase.QUESTIONS, Phase.ANSWERS, Phase.FURTHER, Phase.DECISION)
# The commands that need only a reason (and, for cancel, a confirmation).
COMMANDS = ("close-early", "delegate", "cancel")


@dataclass(frozen=True)
class Board:
    name: str
    base: str
    rows: list[overview.RoundRow]


def _list(ctx: Ctx) -> Response:
    """This committee's rounds; at the root, those of every committee the console serves."""
    sites = ctx.state.sites() if ctx.site.base == "" else [ctx.site]
    boards = [Board(s.services.config.committee.name, s.base,
                    overview.rounds_board(s.services.as_actor(ctx.user.actor)))
              for s in sites]  # fmt: skip
    return ctx.render("rounds.html", boards=boards)


def _import(ctx: Ctx) -> Response:
    assert ctx.form is not None
    upload = ctx.form.get("round_file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InputError([ctx.t("rounds.import_missing")])
    docs = [(d.filename or "", d.file.read()) for d in ctx.form.getlist("documents")
            if isinstance(d, UploadFile) and d.filename]  # fmt: skip
    key = rounds.import_uploaded_round(ctx.services, upload.filename, upload.file.read(), docs)
    return ctx.done(f"/rounds/{key}", "imported")


def _open(ctx: Ctx) -> Response:
    workflow.open_round(ctx.services, ctx.param("key"))
    return ctx.done(f"/rounds/{ctx.param('key')}", "opened")


def _phase(ctx: Ctx) -> Phase:
    try:
        return Phase(int(ctx.field("phase")))
    except ValueError:
        raise InputError([ctx.t("deadline.bad_phase")]) from None


def _deadline_form(ctx: Ctx) -> Response:
    view = rounds.show_round(ctx.services, ctx.param("key"))
    return ctx.render("deadline.html", round=view, phases=PHASES, previews=None,
                      chosen=None, when_text="", why="")  # fmt: skip


def _deadline_preview(ctx: Ctx) -> Response:
    key, phase, why, when_text = ctx.param("key"), _phase(ctx), ctx.field("why"), ctx.field("when")
    if not why:
        raise InputError([ctx.t("form.why_missing")])
    new = rounds.parse_when(when_text, ctx.services)
    previews = workflow.preview_deadline(ctx.services, key, phase, new, why)
    view = rounds.show_round(ctx.services, key)
    return ctx.render("deadline.html", round=view, phases=PHASES, previews=previews,
                      chosen=phase, when_text=when_text, why=why, new=new)  # fmt: skip


def _deadline(ctx: Ctx) -> Response:
    key = ctx.param("key")
    new = rounds.parse_when(ctx.field("when"), ctx.services)
    workflow.extend_deadline(ctx.services, key, _phase(ctx), new, ctx.field("why"))
    return ctx.done(f"/rounds/{key}", "deadline_set")


def _command_form(ctx: Ctx) -> Response:
    name = ctx.param("command")
    if name not in COMMANDS:
        raise InputError([ctx.t("error.not_found")])
    view = rounds.show_round(ctx.services, ctx.param("key"))
    return ctx.render("command.html", round=view, command=name)


def _command(ctx: Ctx) -> Response:
    key, name, why = ctx.param("key"), ctx.param("command"), ctx.field("why")
    if name not in COMMANDS:
        raise InputError([ctx.t("error.not_found")])
    if not why:
        raise InputError([ctx.t("form.why_missing")])
    if name == "cancel" and ctx.field("confirm") != "yes":
        raise InputError([ctx.t("command.confirm_missing")])
    if name == "close-early":
        workflow.close_early(ctx.services, key, why)
    elif name == "delegate":
        workflow.delegate(ctx.services, key, ctx.field("member"), why)
    else:
        workflow.cancel(ctx.services, key, why)
    return ctx.done(f"/rounds/{key}", name.replace("-", "_"))


ROUTES = [
    Route("/rounds", page(_list), methods=["GET"]),
    Route("/rounds/import", action(_import), methods=["POST"]),
    Route("/rounds/{key}/open", action(_open), methods=["POST"]),
    Route("/rounds/{key}/deadline", page(_deadline_form), methods=["GET"]),
    # Previewing queues nothing (the run is rolled back); still staff only.
    Route("/rounds/{key}/deadline/preview", action(_deadline_preview), methods=["POST"]),
    Route("/rounds/{key}/deadline", action(_deadline), methods=["POST"]),
    Route("/rounds/{key}/do/{command}", page(_command_form), methods=["GET"]),
    Route("/rounds/{key}/do/{command}", action(_command), methods=["POST"]),
]
