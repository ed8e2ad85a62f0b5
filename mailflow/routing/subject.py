"""The round tag of a subject line (件名タグ) such as ``[R2-5]`` or ``【Ｒ２－５】``."""

from __future__ import annotations

import re
import unicodedata

# NFKC turns ［Ｒ２－５］ into [R2-5] but leaves 【】 and the long-vowel mark alone,
# and Japanese IMEs produce any of these dashes for "-".
_DASHES = str.maketrans({c: "-" for c in "ー‐‑‒–—―−"})
_TAG = re.compile(r"[\[【〔(]\s*([Rr])\s*(\d{1,3})\s*-\s*(\d{1,3})\s*[\]】〕)]")


def find_round_tag(subject: str | None) -> str | None:
    """The first round tag in the subject, normalised to ``R2-5``; None when there is none.

    Reply and forward prefixes (Re:, RE:, Fw:, 転送:, 返信:) need no stripping: the
    tag is searched anywhere, and item IDs such as [Q13-03] do not match.
    """
    if not subject:
        return None
    text = unicodedata.normalize("NFKC", subject).translate(_DASHES)
    m = _TAG.search(text)
    if not m:
        return None
    return f"R{int(m.group(2))}-{int(m.group(3))}"
