"""The routing rules, one small function each, and their order: strongest evidence first.

Each rule looks at a :class:`RoutingContext` and returns a decision or None to pass
the mail to the next row. Adding a way to place mail is adding a row to ``RULES``.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailflow.parsing.addresses import parse_address_list
from mailflow.routing.authres import AuthAction
from mailflow.routing.engine import Rule
from mailflow.routing.model import CommitteeEntry, OpenRound, PartyRef, RoutingInput
from mailflow.routing.outcome import (
    Evidence,
    EvidenceKind,
    Proof,
    Quarantine,
    QuarantineReason,
    Routed,
    RouteOutcome,
)


@dataclass(frozen=True)
class RoutingContext:
    """The input plus what every rule needs: the sender and who the sender is registered as."""

    input: RoutingInput
    sender: str  # normalised From address, "" when missing
    sender_parties: tuple[tuple[CommitteeEntry, PartyRef], ...]

    def owns(self, party: PartyRef) -> bool | None:
        """Whether the sender is ``party`` (any of its addresses); None if the party is unknown."""
        addresses = self.input.directory.addresses_of(party)
        if addresses is None:
            return None
        return self.sender in addresses

    def open_rounds(self) -> list[tuple[OpenRound, PartyRef]]:
        """Open rounds of the sender's committees, each with the party the sender is there."""
        seen: set[str] = set()
        out: list[tuple[OpenRound, PartyRef]] = []
        for committee, party in self.sender_parties:
            for rnd in committee.open_rounds:
                if rnd.id not in seen:
                    seen.add(rnd.id)
                    out.append((rnd, party))
        return out


def single_from(ctx: RoutingContext) -> RouteOutcome | None:
    """Exactly one From header with exactly one address, or the sender is not known.

    ``From: member@…, stranger@…`` or a second From header would otherwise be read as
    the first address alone (RFC 5322 §3.6.2 wants a Sender for several authors, and
    DMARC cannot vouch for a mail with two From domains).
    """
    values = [v for k, v in ctx.input.message.headers if k.lower() == "from"]
    if len(values) > 1:
        shown = " | ".join(v[:200] for v in values)
        return Quarantine(QuarantineReason.FROM_NOT_SINGLE, f"{len(values)} From headers: {shown}")
    if values and len(parse_address_list(values[0])) > 1:
        return Quarantine(QuarantineReason.FROM_NOT_SINGLE, f"From: {values[0][:400]}")
    return None


def _closed(ctx: RoutingContext, round_id: str, what: str) -> Quarantine | None:
    """A token or reference to a round that takes no more mail is held, never filed there."""
    directory = ctx.input.directory
    if directory.round_open(round_id):
        return None
    detail = f"{what} for {directory.closed_state(round_id)}, sent by {ctx.sender}"
    return Quarantine(QuarantineReason.ROUND_CLOSED, detail)


def auth_failure(ctx: RoutingContext) -> RouteOutcome | None:
    """Our server's DMARC/DKIM/SPF verdict failed and policy says quarantine."""
    auth = ctx.input.auth
    if auth is None or auth.action is not AuthAction.QUARANTINE:
        return None
    r = auth.results
    return Quarantine(QuarantineReason.AUTH_FAILED, f"dmarc={r.dmarc} dkim={r.dkim} spf={r.spf}")


def token(ctx: RoutingContext) -> RouteOutcome | None:
    """A reply token places the mail, but only if every token found belongs to the sender.

    A token is a credential bound to one party: someone else's token means the mail
    was forwarded or spoofed, and a person, not the machine, must decide.
    """
    claims = ctx.input.token_claims
    if not claims:
        return None
    for claim in claims:
        owns = ctx.owns(claim.party)
        if owns is None:
            return Quarantine(QuarantineReason.TOKEN_PARTY_UNKNOWN, f"token for {claim.party}")
        if not owns:
            detail = f"token for {claim.party} in round {claim.round_id}, sent by {ctx.sender}"
            return Quarantine(QuarantineReason.TOKEN_SENDER_MISMATCH, detail)
    first = claims[0]
    closed = _closed(ctx, first.round_id, "reply token")
    if closed is not None:
        return closed
    ask = next((c.ask for c in claims if c.ask is not None and c.round_id == first.round_id), None)
    evidence = (Evidence(EvidenceKind.TOKEN, str(first.party)),)
    return Routed(first.round_id, first.party, evidence, proof=Proof.PROVEN, ask=ask)


def unknown_sender(ctx: RoutingContext) -> RouteOutcome | None:
    """Without a token, only a registered sender can be placed."""
    if ctx.sender_parties:
        return None
    return Quarantine(QuarantineReason.UNKNOWN_SENDER, ctx.sender or "(no From address)")


def reference(ctx: RoutingContext) -> RouteOutcome | None:
    """In-Reply-To/References to a mail we sent this same party.

    References to mail sent to someone else (a forwarded thread) are no evidence
    here; the weaker rules below still get their turn.
    """
    for ref in ctx.input.outbound_refs:
        if ctx.owns(ref.party):
            closed = _closed(ctx, ref.round_id, "reply to our mail")
            if closed is not None:
                return closed
            evidence = Evidence(EvidenceKind.REFERENCE, f"reply to mail sent to {ref.party}")
            return Routed(ref.round_id, ref.party, (evidence,), proof=Proof.PROVEN, ask=ref.ask)
    return None


def subject_tag(ctx: RoutingContext) -> RouteOutcome | None:
    """A round tag in the subject, among the rounds open to this registered sender.

    A tag naming no open round is not passed on to "the only open round": it may be a
    late reply to a closed round, and placing it in the next round would be wrong.
    """
    tag = ctx.input.subject_tag
    if tag is None:
        return None
    hits = [(rnd, party) for rnd, party in ctx.open_rounds() if rnd.tag.upper() == tag.upper()]
    if not hits:
        return Quarantine(QuarantineReason.TAG_ROUND_NOT_OPEN, f"[{tag}] from {ctx.sender}")
    if len(hits) > 1:
        ids = ", ".join(rnd.id for rnd, _ in hits)
        return Quarantine(QuarantineReason.AMBIGUOUS_ROUND, f"[{tag}] matches rounds {ids}")
    rnd, party = hits[0]
    return Routed(rnd.id, party, (Evidence(EvidenceKind.SUBJECT_TAG, f"[{tag}]"),))


def sole_open_round(ctx: RoutingContext) -> RouteOutcome | None:
    """A registered sender for whom exactly one round is open."""
    rounds = ctx.open_rounds()
    if not rounds:
        return Quarantine(QuarantineReason.NO_OPEN_ROUND, ctx.sender)
    if len(rounds) > 1:
        ids = ", ".join(rnd.id for rnd, _ in rounds)
        return Quarantine(QuarantineReason.AMBIGUOUS_ROUND, f"open rounds {ids}")
    rnd, party = rounds[0]
    return Routed(rnd.id, party, (Evidence(EvidenceKind.SOLE_OPEN_ROUND, rnd.id),))


RULES: tuple[Rule[RoutingContext, RouteOutcome], ...] = (
    Rule("single_from", single_from, "exactly one From header with one address"),
    Rule("auth_failure", auth_failure, "policy quarantines failed sender authentication"),
    Rule("token", token, "reply token in To/Cc/Delivered-To/X-Original-To"),
    Rule("unknown_sender", unknown_sender, "sender not registered"),
    Rule("reference", reference, "In-Reply-To/References to our Message-IDs"),
    Rule("subject_tag", subject_tag, "round tag in the subject plus a registered sender"),
    Rule("sole_open_round", sole_open_round, "registered sender with one open round"),
)
