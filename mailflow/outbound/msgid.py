"""Message-IDs of received mail made fit to reply to: brackets stripped once, unsafe ones replaced.

A received Message-ID is whatever the sender wrote: ``<id@host>``, a bare ``id@host``,
``<<id@host>>``, or something no header may carry (8-bit bytes, a space, a NUL, a
thousand characters). The stored record keeps it as received; what goes into our
In-Reply-To / References is this module's answer, so a receipt is always composable.
"""

from __future__ import annotations

import re

# RFC 5322 §3.6.4 msg-id without the brackets, loosened as clients need: any visible
# ASCII but the brackets themselves. 250 characters keeps "In-Reply-To: <…>" and the
# References line it repeats in far below the 998-octet line limit.
_SAFE = re.compile(r"[\x21-\x3b\x3d\x3f-\x7e]{1,250}")


def bare(value: str | None) -> str | None:
    """The ID without surrounding white space and one pair of angle brackets; None if empty."""
    if value is None:
        return None
    text = value.strip()
    if text.startswith("<") and text.endswith(">") and len(text) >= 2:
        text = text[1:-1].strip()
    return text or None


def is_safe(value: str) -> bool:
    """Whether a bare ID may be written into a header of ours as it is."""
    return _SAFE.fullmatch(value) is not None


def reply_target(received: str | None, digest: str, domain: str) -> str | None:
    """The bracketed ID our reply refers to: the sender's own when it is safe, else ours.

    The replacement is derived from the mail's sha256, so reprocessing the same mail
    names the same ID; None when the mail carried no Message-ID at all.
    """
    found = bare(received)
    if found is None:
        return None
    if is_safe(found):
        return f"<{found}>"
    return f"<mf-in.{digest[:32]}@{domain}>"
