"""The console's Jinja2 environment: templates/web/, every value HTML-escaped."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from functools import lru_cache
from typing import Any

import jinja2
from starlette.responses import HTMLResponse

from mailflow.domain import jadate
from mailflow.resources import templates_dir


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Autoescape on for every template: mail text, names and reasons are never markup."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir() / "web")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def when(value: datetime | None, tz: tzinfo, lang: str, today: date | None = None) -> str:
    """A time for people: 1月13日（水） 10:00 in Japanese (with the era's year when it is not
    the year of ``today``: 令和3年1月13日（水） 10:00), 2021-01-13 10:00 in English."""
    if value is None:
        return "—"
    local = value.astimezone(tz)
    if lang == "ja":
        return f"{jadate.month_day(local, today)} {local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"


def day(value: date, lang: str) -> str:
    return jadate.wareki(value) if lang == "ja" else value.isoformat()


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = environment().get_template(name).render(**context)
    return HTMLResponse(html, status_code=status)
