"""Text for the Markdown minutes that shows exactly as written: no HTML, links or headings.

Items and answers are what members and departments wrote; a Markdown renderer passes
raw HTML through and turns ``[x](url)``, ``# …`` or ``1. …`` into markup. Every value
the minutes template prints goes through `markdown_text` (the HTML minutes are escaped
by Jinja's autoescape), so ``<script>`` reads as ``<script>``, not as a script.
"""

from __future__ import annotations

import re

# HTML first (so the entities' own "&" is not escaped twice), then Markdown's
# punctuation anywhere, then what only means something at the start of a line.
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_PUNCTUATION = re.compile(r"([\\`*_\[\]#|~!])")
_LINE_START_MARK = re.compile(r"(?m)^([ \t]*)([-+=])")
_LINE_START_NUMBER = re.compile(r"(?m)^([ \t]*\d+)([.)])")


def markdown_text(value: str) -> str:
    """`value` escaped for Markdown (CommonMark, GitHub's): it renders as the same text."""
    text = value.translate(_HTML)
    text = _PUNCTUATION.sub(r"\\\1", text)
    text = _LINE_START_MARK.sub(r"\1\\\2", text)
    return _LINE_START_NUMBER.sub(r"\1\\\2", text)
