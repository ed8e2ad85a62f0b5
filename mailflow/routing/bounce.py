"""Bounces and delivery status notifications (エラーメール): who could not be reached.

flufl.bounce reads standard DSNs (RFC 3464) and many MTA formats; a small fallback
reads what it misses: carrier error mails (au's "Mail System Error - Returned Mail")
and localised Exchange NDRs (「次の受信者またはグループへの配信に失敗しました」).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from email.message import Message

from flufl.bounce import all_failures

from mailflow.parsing.model import DecodedMessage
from mailflow.routing.address import is_own_address, normalize_address


@dataclass(frozen=True)
class BounceReport:
    """The addresses a bounce reports, split by permanent and temporary failure."""

    permanent: tuple[str, ...]
    temporary: tuple[str, ...]
    detector: str  # "flufl.bounce" | "fallback" | "none"

    @property
    def failed(self) -> tuple[str, ...]:
        return self.permanent + tuple(a for a in self.temporary if a not in self.permanent)

    @property
    def is_permanent(self) -> bool:
        """True when any address failed for good (or when nothing says it was temporary)."""
        return bool(self.permanent) or not self.temporary


_DAEMON_LOCAL = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(?:"
    r"undeliver(?:able|ed)|delivery\s+status\s+notification|delivery\s+(?:failure|failed)"
    r"|returned\s+mail|mail\s+delivery\s+failed|failure\s+notice|mail\s+system\s+error"
    r"|non[- ]?delivery|配信不能|配信できません|配送エラー|送信エラー|配信エラー|不達"
    r"|エラーメール|宛先不明"
    r")",
    re.IGNORECASE,
)
# Lines after which a fallback report lists the failed recipients.
_START = re.compile(
    r"permanent fatal errors|following recipients? (?:was|were) rejected|the user\(s\) account"
    r"|could not be delivered|did not reach the following|delivery has failed"
    r"|受信者またはグループへの配信に失敗|配信できませんでした|宛先.{0,6}(?:見つかりません|存在しません)"
    r"|以下のアドレス.{0,10}(?:送信|配信)でき",
    re.IGNORECASE,
)
# Where the copy of the original mail begins: addresses beyond are not failures.
_STOP = re.compile(
    r"^\s*(?:-+\s*(?:original message|元のメッセージ|this is a copy)|return-path:|received:"
    r"|from:|to:|message-id:|content-type:\s*message/rfc822|元のメッセージ|original message)",
    re.IGNORECASE,
)
# Tried only where a run of local-part characters starts, each run taken whole: the same
# addresses, found in one pass over a long run of letters instead of one per position.
_LOCAL = "A-Za-z0-9.!#$%&'*+/=?^_`{|}~-"
_ADDR = re.compile(rf"(?<![{_LOCAL}])[{_LOCAL}]++@[A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)+")
_TEMPORARY = re.compile(r"\b4\.\d{1,3}\.\d{1,3}\b|\b4[25]\d\b|temporar|一時的|容量", re.I)
_PERMANENT = re.compile(r"\b5\.\d{1,3}\.\d{1,3}\b|\b5[0-5]\d\b|unknown|存在しません", re.I)


def looks_like_bounce(msg: Message, decoded: DecodedMessage) -> str | None:
    """Why this mail is a bounce, or None: a DSN part, or a daemon sender saying so."""
    if msg.get_content_type() == "multipart/report":
        return f"multipart/report; report-type={msg.get_param('report-type', '')}"
    for part in msg.walk():
        if part.get_content_type() in ("message/delivery-status", "message/global-delivery-status"):
            return f"{part.get_content_type()} part"
    daemon = bool(_DAEMON_LOCAL.match(decoded.from_address))
    return_path = decoded.header("Return-Path")
    null_sender = return_path is not None and return_path.strip().strip("<>").strip() == ""
    subject = _BOUNCE_SUBJECT.search(unicodedata.normalize("NFKC", decoded.subject))
    if subject and (daemon or null_sender or decoded.header("Auto-Submitted") is not None):
        return f"subject: {decoded.subject}"
    if daemon and null_sender:
        return f"From: {decoded.from_address} with Return-Path <>"
    return None


def read_bounce(
    msg: Message, decoded: DecodedMessage, own_addresses: Collection[str]
) -> BounceReport:
    """The failed recipients, by flufl.bounce first and the fallback when it finds none."""
    try:
        temporary, permanent = all_failures(msg)
    except Exception:
        # Third-party heuristics meet hostile mail here; they must not stop intake.
        temporary, permanent = frozenset(), frozenset()
    perm = _clean((a.decode("ascii", "replace") for a in permanent), own_addresses)
    temp = _clean((a.decode("ascii", "replace") for a in temporary), own_addresses)
    if perm or temp:
        return BounceReport(perm, temp, "flufl.bounce")
    found = _fallback_addresses(decoded.body, decoded, own_addresses)
    if not found:
        return BounceReport((), (), "none")
    if _TEMPORARY.search(decoded.body) and not _PERMANENT.search(decoded.body):
        return BounceReport((), found, "fallback")
    return BounceReport(found, (), "fallback")


def _fallback_addresses(
    body: str, decoded: DecodedMessage, own_addresses: Collection[str]
) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKC", body)
    lines = text.split("\n")
    exclude = {decoded.from_address, *decoded.to, *decoded.cc}
    found: list[str] = []
    reading = False
    for line in lines:
        if _START.search(line):
            reading = True
        elif reading and _STOP.match(line):
            break
        if reading:
            found.extend(m.group(0) for m in _ADDR.finditer(line))
    return _clean((a for a in found if normalize_address(a) not in exclude), own_addresses)


def _clean(addresses: Iterable[str], own_addresses: Collection[str]) -> tuple[str, ...]:
    out: list[str] = []
    for raw in addresses:
        addr = normalize_address(raw)
        if addr and addr not in out and not is_own_address(addr, own_addresses):
            out.append(addr)
    return tuple(sorted(out))
