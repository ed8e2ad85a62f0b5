"""The routing chain: run the rule table on one mail and return where it belongs."""

from __future__ import annotations

from dataclasses import replace

from mailflow.routing.address import normalize_address
from mailflow.routing.authres import AuthAction
from mailflow.routing.engine import Rule, first_hit
from mailflow.routing.model import RoutingInput
from mailflow.routing.outcome import Quarantine, QuarantineReason, Routed, RouteOutcome
from mailflow.routing.rules import RULES, RoutingContext

AUTH_FLAG = "auth_failed"


def route(
    data: RoutingInput, rules: tuple[Rule[RoutingContext, RouteOutcome], ...] = RULES
) -> RouteOutcome:
    """Routed(round, party, evidence) or Quarantine(reason, detail); never anything silent."""
    sender = normalize_address(data.message.from_address)
    ctx = RoutingContext(data, sender, data.directory.parties_of(sender) if sender else ())
    hit = first_hit(rules, ctx)
    if hit is None:
        # The built-in table always decides; a shorter table passed in may not.
        return Quarantine(QuarantineReason.NO_OPEN_ROUND, "no rule placed the mail")
    outcome = hit.outcome
    if (
        isinstance(outcome, Routed)
        and data.auth is not None
        and data.auth.action is AuthAction.FLAG
    ):
        outcome = replace(outcome, flags=(*outcome.flags, AUTH_FLAG))
    return outcome
