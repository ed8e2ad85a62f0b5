"""Text parts made plain: HTML-only mail converted to lines, format=flowed unfolded."""

from __future__ import annotations

import re

from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig

# The strict profile does not indent every <div>, so the quote and item stages see
# lines that start where the author started them.
_CONFIG = ParserConfig(css=CSS_PROFILES["strict"], display_images=False)
# Outlook wraps its HTML in conditional comments and <xml> islands; inscriptis
# would print their content.
_MSO = re.compile(r"<!--\[if.*?<!\[endif\]-->|<xml>.*?</xml>", re.DOTALL | re.IGNORECASE)
_LIST_ITEM = re.compile(r"^[ \t]*(?:\*|\d+\.) (?=[・●○■□◆◇◎※-]|[①-⑳]|[（(][0-9０-９一-九]+[)）])")
_BULLET_INDENT = re.compile(r"^[ \t]+(\* |\d+\. )")
_BLANK_RUN = re.compile(r"\n{3,}")


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: <br> and <p> as line breaks, list items as lines.

    A list item that already starts with the author's own bullet (・, ●, ①, （１）)
    keeps only that bullet, so 「・項目」 does not become 「* ・項目」.
    """
    if not html.strip():
        return ""
    try:
        text = get_text(_MSO.sub("", html), _CONFIG)
    except Exception:  # a broken HTML part must not lose the mail (parsing never raises)
        text = re.sub(r"<[^>]*>", "", html)
    lines = []
    for line in text.replace("\xa0", " ").split("\n"):
        line = _LIST_ITEM.sub("", line)
        line = _BULLET_INDENT.sub(r"\1", line)
        lines.append(line.rstrip())
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip("\n") + "\n"


def unflow(text: str, *, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed: join soft-broken lines, remove space-stuffing.

    A line ending in a space continues on the next line of the same quote depth;
    with DelSp=yes that trailing space was added by the sender and is removed
    (iPhone and Thunderbird send Japanese this way, where no space belongs).
    The signature separator "-- " is never joined (§4.3).
    """
    out: list[str] = []
    current: str | None = None
    current_depth = 0
    for raw in text.split("\n"):
        depth = len(raw) - len(raw.lstrip(">"))
        line = raw[depth:]
        if line.startswith(" "):
            line = line[1:]  # space-stuffing (§4.4)
        if current is not None and depth != current_depth:
            out.append(_quoted(current, current_depth))
            current = None
        flowed = line.endswith(" ") and line != "-- "
        if flowed and delsp:
            line = line[:-1]
        current = line if current is None else current + line
        current_depth = depth
        if not flowed:
            out.append(_quoted(current, depth))
            current = None
    if current is not None:
        out.append(_quoted(current, current_depth))
    return "\n".join(out)


def _quoted(line: str, depth: int) -> str:
    if depth == 0:
        return line
    return ">" * depth + " " + line if line else ">" * depth
