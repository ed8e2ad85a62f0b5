"""Inputs of routing: parties, the directory snapshot and the facts the caller resolved.

The service builds these from the store before calling the pure chain; nothing here
reads a database, a clock or the network.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass

from mailflow.domain import Role
from mailflow.parsing.model import DecodedMessage
from mailflow.routing.address import normalize_address
from mailflow.routing.authres import AuthVerdict


class PartyKind(enum.StrEnum):
    """Who a mail is exchanged with: a member (委員), a department (所管課) or the chair (会長).

    The chair is also a member; CHAIR marks mail addressed to the chair *as decider*
    (phase ④), so a reply carrying that token is read as a decision, not an opinion.
    """

    MEMBER = "member"
    DEPARTMENT = "department"
    CHAIR = "chair"


@dataclass(frozen=True, order=True)
class PartyRef:
    """A party and its stable id (the member's id for CHAIR)."""

    kind: PartyKind
    id: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"


@dataclass(frozen=True)
class MemberEntry:
    """A registered member (委員) with role and every address they may write from."""

    id: str
    role: Role
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class DepartmentEntry:
    """A registered department (所管課) and its addresses."""

    id: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class OpenRound:
    """A round (開催回) still taking mail, with its subject tag such as ``R2-5``."""

    id: str
    tag: str


@dataclass(frozen=True)
class ClosedRound:
    """A round that takes no more mail: cancelled (中止) or its minutes published."""

    id: str
    tag: str
    state: str


@dataclass(frozen=True)
class CommitteeEntry:
    """One committee (審議会) as routing sees it."""

    id: str
    members: tuple[MemberEntry, ...]
    departments: tuple[DepartmentEntry, ...]
    open_rounds: tuple[OpenRound, ...]
    closed_rounds: tuple[ClosedRound, ...] = ()


@dataclass(frozen=True)
class Directory:
    """A snapshot of every committee's registered parties and open rounds."""

    committees: tuple[CommitteeEntry, ...]

    def parties_of(self, address: str) -> tuple[tuple[CommitteeEntry, PartyRef], ...]:
        """Every (committee, party) whose registered addresses include ``address``.

        Members come back as MEMBER; whether they act as CHAIR is for the token or
        the reference to say, not the sender's address.
        """
        want = normalize_address(address)
        if not want:
            return ()
        found: list[tuple[CommitteeEntry, PartyRef]] = []
        for committee in self.committees:
            for member in committee.members:
                if want in _normalized(member.addresses):
                    found.append((committee, PartyRef(PartyKind.MEMBER, member.id)))
            for dept in committee.departments:
                if want in _normalized(dept.addresses):
                    found.append((committee, PartyRef(PartyKind.DEPARTMENT, dept.id)))
        return tuple(found)

    def round_open(self, round_id: str) -> bool:
        """Whether the round takes mail."""
        return any(r.id == round_id for c in self.committees for r in c.open_rounds)

    def closed_state(self, round_id: str) -> str:
        """Why a round takes no mail: its state, or "unknown"."""
        for c in self.committees:
            for r in c.closed_rounds:
                if r.id == round_id:
                    return f"{r.tag} {r.state}"
        return f"round {round_id} unknown"

    def addresses_of(self, party: PartyRef) -> frozenset[str] | None:
        """The normalised addresses of a party, or None when the directory has no such party."""
        for committee in self.committees:
            if party.kind is PartyKind.DEPARTMENT:
                for dept in committee.departments:
                    if dept.id == party.id:
                        return _normalized(dept.addresses)
            else:
                for member in committee.members:
                    if member.id == party.id:
                        return _normalized(member.addresses)
        return None


# Every mail looks its sender up among every registered address: the same few hundred
# tuples each time, so each is normalised once per process.
@functools.lru_cache(maxsize=4096)
def _normalized(addresses: tuple[str, ...]) -> frozenset[str]:
    return frozenset(a for a in (normalize_address(x) for x in addresses) if a)


@dataclass(frozen=True)
class OutboundRef:
    """One of our sent mails that In-Reply-To/References points to, resolved by the caller.

    ``ask`` is the request that mail asked its party to answer, if it asked one.
    """

    round_id: str
    party: PartyRef
    ask: int | None = None


@dataclass(frozen=True)
class TokenClaim:
    """What a valid token says: the round, the party it was issued to, and the request
    (a pending change or a decision echo) when the mail it came with asked one."""

    round_id: str
    party: PartyRef
    ask: int | None = None


@dataclass(frozen=True)
class RoutingInput:
    """Everything the routing chain decides from.

    ``token_claims`` are the valid tokens found in To/Cc/Delivered-To/X-Original-To,
    in that order; ``outbound_refs`` follow In-Reply-To first, then References from
    newest to oldest; ``subject_tag`` is what :func:`find_round_tag` found.
    """

    message: DecodedMessage
    directory: Directory
    token_claims: tuple[TokenClaim, ...] = ()
    outbound_refs: tuple[OutboundRef, ...] = ()
    subject_tag: str | None = None
    auth: AuthVerdict | None = None
