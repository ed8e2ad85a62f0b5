"""/rounds/{key}/minutes: the minutes previewed, and downloaded as HTML, Markdown, PDF, JSON."""

from __future__ import annotations

import json

from starlette.responses import Response
from starlette.routing import Route

from mailflow.services import export, minutes
from mailflow.web.auth import Ctx, page

# The downloaded HTML is the published document itself, with its own inline print
# style: it is sent as an attachment, never shown inside the console.
_KINDS = {
    "html": ("text/html; charset=utf-8", "html"),
    "md": ("text/markdown; charset=utf-8", "md"),
}


def _preview(ctx: Ctx) -> Response:
    key = ctx.param("key")
    text = minutes.render_minutes(ctx.services, key, "txt")
    return ctx.render("minutes.html", key=key, text=text, pdf=minutes.pdf_available(ctx.services))


def _attachment(body: bytes | str, media: str, name: str) -> Response:
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


def _download(ctx: Ctx) -> Response:
    key, fmt = ctx.param("key"), ctx.param("fmt")
    if fmt == "pdf":
        return _attachment(minutes.render_minutes_pdf(ctx.services, key), "application/pdf",
                           f"minutes-{key}.pdf")  # fmt: skip
    if fmt == "json":
        data = export.export_round(ctx.services, key)
        return _attachment(json.dumps(data, ensure_ascii=False, indent=2) + "\n",
                           "application/json", f"export-{key}.json")  # fmt: skip
    media, ext = _KINDS.get(fmt, _KINDS["md"])
    return _attachment(minutes.render_minutes(ctx.services, key, ext), media,
                       f"minutes-{key}.{ext}")  # fmt: skip


ROUTES = [
    Route("/rounds/{key}/minutes", page(_preview), methods=["GET"]),
    Route("/rounds/{key}/minutes/{fmt:str}", page(_download), methods=["GET"]),
]
