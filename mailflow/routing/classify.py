"""Classification (受信メールの種別): auto-reply, bounce, loop or normal, with the reason.

Nothing classified other than ``normal`` is ever answered: that is how we avoid mail
loops and backscatter (docs/design.md "Mail protocol").
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from email.message import Message

from mailflow.parsing.mime import parse_bytes
from mailflow.parsing.model import DecodedMessage
from mailflow.routing.address import all_addresses, is_own_address
from mailflow.routing.autoreply import AUTO_REPLY_RULES
from mailflow.routing.bounce import BounceReport, looks_like_bounce, read_bounce
from mailflow.routing.engine import Rule, first_hit


class MailKind(enum.StrEnum):
    """What a received mail is."""

    NORMAL = "normal"  # written by a person: route and parse it
    AUTO_REPLY = "auto_reply"  # out-of-office, list traffic, other machines
    BOUNCE = "bounce"  # a delivery failure report about mail we sent
    LOOP = "loop"  # our own mail come back


@dataclass(frozen=True)
class Classification:
    """The kind, the rule that decided it and what that rule saw; failures for bounces."""

    kind: MailKind
    rule: str
    reason: str
    bounce: BounceReport | None = None


@dataclass(frozen=True)
class MailFacts:
    """One mail as every classification rule sees it."""

    message: Message
    decoded: DecodedMessage
    own_addresses: frozenset[str]


def _own_from(facts: MailFacts) -> Classification | None:
    """From is one of our addresses, plus-tagged forms included."""
    sender = facts.decoded.from_address
    if sender and is_own_address(sender, facts.own_addresses):
        return Classification(MailKind.LOOP, "own_from", f"From: {sender}")
    return None


def _x_loop(facts: MailFacts) -> Classification | None:
    """X-Loop naming one of our addresses: the mail has passed through us before."""
    values = [v for k, v in facts.decoded.headers if k.lower() == "x-loop"]
    for addr in all_addresses(values):
        if is_own_address(addr, facts.own_addresses):
            return Classification(MailKind.LOOP, "x_loop", f"X-Loop: {addr}")
    return None


def _bounce(facts: MailFacts) -> Classification | None:
    """A DSN or a daemon's error mail; the failed recipients are read out."""
    why = looks_like_bounce(facts.message, facts.decoded)
    if why is None:
        return None
    report = read_bounce(facts.message, facts.decoded, facts.own_addresses)
    return Classification(MailKind.BOUNCE, "bounce", why, report)


def _auto_reply(facts: MailFacts) -> Classification | None:
    """Any row of the auto-reply table."""
    hit = first_hit(AUTO_REPLY_RULES, facts.decoded)
    if hit is None:
        return None
    return Classification(MailKind.AUTO_REPLY, hit.rule, hit.outcome)


# Order matters: our own mail first (never answer ourselves), then bounces, which
# often also carry Auto-Submitted and <> but need their failed recipients read.
CLASSIFY_RULES: tuple[Rule[MailFacts, Classification], ...] = (
    Rule("own_from", _own_from, "From is our own address"),
    Rule("x_loop", _x_loop, "X-Loop names our address"),
    Rule("bounce", _bounce, "delivery status notification or error mail"),
    Rule("auto_reply", _auto_reply, "automatic reply or list mail"),
)


def classify(
    raw: bytes, decoded: DecodedMessage, own_addresses: Collection[str],
    message: Message | None = None,
) -> Classification:  # fmt: skip
    """Classify one received mail from its raw bytes and its decoded form; ``message``:
    the raw bytes as `parse_bytes` read them already (`decode_with_message`)."""
    # compat32 gives flufl.bounce the Message it was written for; a mail nested too deep
    # for the standard library is read for its top-level headers only (decode says so).
    if message is None:
        message, _too_deep = parse_bytes(raw)
    facts = MailFacts(message, decoded, frozenset(own_addresses))
    hit = first_hit(CLASSIFY_RULES, facts)
    if hit is None:
        return Classification(MailKind.NORMAL, "normal", "no automatic-mail sign")
    return hit.outcome
