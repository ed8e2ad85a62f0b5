"""One Jinja2 environment for mails and minutes; templates by name, e.g. ``mail/ja/receipt.txt``."""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any

import jinja2
import markupsafe

from mailflow.domain import jadate
from mailflow.minutes.markdown import markdown_text
from mailflow.resources import templates_dir


def _local(value: datetime, tz: tzinfo | None) -> datetime:
    return value.astimezone(tz) if tz is not None else value


def _markdown_value(value: Any) -> Any:
    # A macro's output is escaped already; the template marks it `| safe`.
    return value if isinstance(value, markupsafe.Markup) else markdown_text(str(value))


def make_environment(tz: tzinfo | None = None, *, markdown: bool = False) -> jinja2.Environment:
    """Plain-text templates: no HTML autoescape except for .html templates; strict undefined.

    StrictUndefined turns a misspelt variable into an error at render time instead of an
    empty gap in a mail that goes out in the city's name. With `markdown`, every value
    printed is escaped for Markdown (the environment of the .md templates).
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_markdown_value if markdown else None,
    )
    env.filters["md"] = lambda d: jadate.month_day(_local(d, tz) if isinstance(d, datetime) else d)
    env.filters["wareki"] = lambda d: jadate.wareki(_local(d, tz) if isinstance(d, datetime) else d)
    env.filters["nendo"] = jadate.fiscal_year_label
    return env


@lru_cache(maxsize=8)
def _cached(tz: tzinfo | None, markdown: bool) -> jinja2.Environment:
    return make_environment(tz, markdown=markdown)


def render(name: str, tz: tzinfo | None = None, **context: Any) -> str:
    """Render a template by name; a .md template prints every value escaped for Markdown."""
    return _cached(tz, name.endswith(".md")).get_template(name).render(**context)


__all__ = ["make_environment", "render"]
