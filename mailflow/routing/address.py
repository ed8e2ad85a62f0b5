"""Address comparison for routing: normalised addr-specs and plus-tags (``local+tag@domain``)."""

from __future__ import annotations

from collections.abc import Collection
from email.utils import getaddresses

from mailflow.parsing.addresses import normalize_address as _normalize


def normalize_address(text: str) -> str:
    """``"山田 <Yamada＠Example.JP>"`` → ``"yamada@example.jp"``; ``""`` when there is none.

    Local parts are case-sensitive in theory (RFC 5321 §2.4) but no mail system our
    members use treats them so, and some MTAs lower-case them in transit.
    """
    addr = _normalize(text)
    return addr if "@" in addr else ""


def all_addresses(values: Collection[str]) -> list[str]:
    """Every normalised addr-spec in a set of header values (each may list several)."""
    out: list[str] = []
    for _name, addr in getaddresses(list(values)):
        norm = normalize_address(addr)
        if norm:
            out.append(norm)
    return out


def split_plus(address: str) -> tuple[str, str | None]:
    """``"a+tag@d"`` → ``("a@d", "tag")``; the address must already be normalised."""
    local, sep, domain = address.rpartition("@")
    if not sep:
        return address, None
    base, plus, tag = local.partition("+")
    return f"{base}@{domain}", (tag if plus else None)


def is_own_address(address: str, own_addresses: Collection[str]) -> bool:
    """Whether ``address``, with any plus-tag removed, is one of ours."""
    norm = normalize_address(address)
    if not norm:
        return False
    base, _tag = split_plus(norm)
    own = {split_plus(normalize_address(a))[0] for a in own_addresses}
    return base in own
