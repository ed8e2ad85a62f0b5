"""Mail addresses as people and their clients write them, reduced to comparable forms."""

from __future__ import annotations

import re
import unicodedata
from email.utils import getaddresses

from mailflow.parsing.headers import decode_header

_DELIMITERS = str.maketrans({"＠": "@", "＜": "<", "＞": ">", "，": ",", "、": ",", "；": ";"})
_ANGLE = re.compile(r"<([^<>]*)>")
# Quoting a display name is needed when it holds RFC 5322 specials (§3.2.3).
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')


def normalize_address(text: str) -> str:
    """The bare addr-spec, lower-cased, from ``山田 <Yamada＠Example.JP>`` or a plain address.

    Full-width forms (＠, ｙａｍａｄａ) are folded to ASCII by NFKC, because members
    type addresses with a Japanese input method; display names and brackets are dropped.
    """
    folded = unicodedata.normalize("NFKC", text).strip()
    match = _ANGLE.search(folded)
    if match:
        folded = match.group(1)
    else:
        tokens = [tok for tok in folded.split() if "@" in tok]
        if tokens:
            folded = tokens[-1]
    folded = folded.strip().strip("<>\"'").strip()
    if folded.lower().startswith("mailto:"):
        folded = folded[len("mailto:") :]
    return folded.lower()


def parse_address_list(value: str) -> list[tuple[str, str]]:
    """(display name, normalised address) for each mailbox of a From/To/Cc value.

    Accepts raw values (RFC 2047 words in names are decoded here) and already
    decoded ones. Group syntax and entries without an address are skipped.
    """
    if not value or not value.strip():
        return []
    # Members type delimiters with a Japanese input method; names keep their forms.
    prepared = value.translate(_DELIMITERS).replace("\r", " ").replace("\n", " ")
    result: list[tuple[str, str]] = []
    for name, addr in getaddresses([prepared]):
        address = normalize_address(addr)
        if not address:
            continue
        result.append((display_name(name), address))
    return result


def display_name(raw: str) -> str:
    """A display name (already unquoted by the address parser) with RFC 2047 words decoded."""
    text = decode_header(raw).text
    return text.strip()


def format_address(name: str, address: str) -> str:
    """``name <address>`` with the name quoted when it holds specials (a decoded header form)."""
    if not name:
        return address
    if _SPECIALS.search(name):
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}" <{address}>'
    return f"{name} <{address}>"
