"""Routing (振り分け): what a received mail is, and which round and party it belongs to."""

from mailflow.routing.authres import AuthPolicy, AuthVerdict, evaluate
from mailflow.routing.chain import route
from mailflow.routing.classify import Classification, MailKind, classify
from mailflow.routing.model import (
    ClosedRound,
    CommitteeEntry,
    DepartmentEntry,
    Directory,
    MemberEntry,
    OpenRound,
    OutboundRef,
    PartyKind,
    PartyRef,
    RoutingInput,
    TokenClaim,
)
from mailflow.routing.outcome import Proof, Quarantine, QuarantineReason, Routed, RouteOutcome
from mailflow.routing.subject import find_round_tag
from mailflow.routing.token import (
    extract_tokens,
    make_message_id,
    make_token,
    plus_address,
    read_token,
    token_from_message_id,
)

__all__ = [
    "AuthPolicy",
    "AuthVerdict",
    "Classification",
    "ClosedRound",
    "CommitteeEntry",
    "DepartmentEntry",
    "Directory",
    "MailKind",
    "MemberEntry",
    "OpenRound",
    "OutboundRef",
    "PartyKind",
    "PartyRef",
    "Proof",
    "Quarantine",
    "QuarantineReason",
    "RouteOutcome",
    "Routed",
    "RoutingInput",
    "TokenClaim",
    "classify",
    "evaluate",
    "extract_tokens",
    "find_round_tag",
    "make_message_id",
    "make_token",
    "plus_address",
    "read_token",
    "route",
    "token_from_message_id",
]
