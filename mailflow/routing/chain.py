"""The routing chain: run the rule table on one mail and return where it belongs."""

from __future__ import annotations

from dataclasses import replace

from mailflow.routing.address import normalize_address
from mailflow.routing.authres import AuthAction
from mailflow.routing.engine import Rule, first_hit
from mailflow.routing.model import PartyRef, RoutingInput
from mailflow.routing.outcome import (
    Evidence,
    EvidenceKind,
    Proof,
    Quarantine,
    QuarantineReason,
    Routed,
    RouteOutcome,
)
from mailflow.routing.rules import RULES, RoutingContext

AUTH_FLAG = "auth_failed"


def route(
    data: RoutingInput, rules: tuple[Rule[RoutingContext, RouteOutcome], ...] = RULES
) -> RouteOutcome:
    """Routed(round, party, evidence, proof) or Quarantine(reason, detail); never silent.

    The proof is decided here, once: a reply token or a reference to our own mail
    proves the party (the rules say so), and so does our border server's DMARC pass
    (or DKIM pass aligned with From) for mail placed by the weaker rules. Anything
    else only claims its sender.
    """
    sender = normalize_address(data.message.from_address)
    ctx = RoutingContext(data, sender, data.directory.parties_of(sender) if sender else ())
    hit = first_hit(rules, ctx)
    if hit is None:
        # The built-in table always decides; a shorter table passed in may not.
        return Quarantine(QuarantineReason.NO_OPEN_ROUND, "no rule placed the mail")
    outcome = hit.outcome
    auth = data.auth
    if (
        isinstance(outcome, Routed)
        and outcome.proof is Proof.CLAIMED
        and auth is not None
        and auth.from_authenticated
    ):
        vouched = Evidence(EvidenceKind.AUTHENTICATED, f"dmarc={auth.results.dmarc}")
        outcome = replace(outcome, proof=Proof.PROVEN, evidence=(*outcome.evidence, vouched))
    if (
        isinstance(outcome, Routed)
        and data.auth is not None
        and data.auth.action is AuthAction.FLAG
    ):
        outcome = replace(outcome, flags=(*outcome.flags, AUTH_FLAG))
    return outcome


def proof_of(data: RoutingInput, party: PartyRef) -> Proof:
    """Whether a mail staff placed by hand proves it comes from ``party``.

    A token or a reference of ours naming the party (in any round) proves it, as does
    our border server's pass for the From domain when the From is the party's.
    """
    named = [c.party for c in data.token_claims] + [r.party for r in data.outbound_refs]
    if party in named:
        return Proof.PROVEN
    addresses = data.directory.addresses_of(party) or frozenset()
    sender = normalize_address(data.message.from_address)
    if data.auth is not None and data.auth.from_authenticated and sender in addresses:
        return Proof.PROVEN
    return Proof.CLAIMED
