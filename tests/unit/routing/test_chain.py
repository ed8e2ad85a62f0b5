"""The routing chain on real mails: strongest evidence first, quarantine for the rest."""

from __future__ import annotations

import dataclasses
import re

import pytest

from mailflow.domain import Role
from mailflow.parsing.model import DecodedMessage
from mailflow.routing.authres import AuthPolicy, evaluate
from mailflow.routing.chain import AUTH_FLAG, route
from mailflow.routing.model import (
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
from mailflow.routing.outcome import (
    EvidenceKind,
    Quarantine,
    QuarantineReason,
    Routed,
    reason_words,
)
from mailflow.routing.subject import find_round_tag
from mailflow.routing.token import extract_tokens, read_token
from tests.unit.routing.mail import COMMITTEE, FIXTURE_SECRET, load

YAMADA = PartyRef(PartyKind.MEMBER, "101")
SATO = PartyRef(PartyKind.MEMBER, "102")
SUZUKI_CHAIR = PartyRef(PartyKind.CHAIR, "100")
TANAKA = PartyRef(PartyKind.MEMBER, "103")
HOIKU = PartyRef(PartyKind.DEPARTMENT, "12")

COUNCIL = CommitteeEntry(
    id="1",
    members=(
        MemberEntry("100", Role.CHAIR, ("suzuki.ichiro@gmail.example.com",)),
        MemberEntry("101", Role.MEMBER, ("yamada@example.jp", "t-yamada@office.example.jp")),
        MemberEntry("102", Role.DEPUTY, ("Sato@Mail.Example.NE.JP",)),
        MemberEntry("103", Role.MEMBER, ("tanaka-k@docomo.example.ne.jp",)),
    ),
    departments=(DepartmentEntry("12", ("hoiku@city.example.jp",)),),
    open_rounds=(OpenRound("7", "R2-5"),),
)
DIRECTORY = Directory((COUNCIL,))


def inputs(fixture: str, directory: Directory = DIRECTORY, **extra: object) -> RoutingInput:
    """What the ingest service would hand the chain for this fixture."""
    _raw, decoded = load(fixture)
    envelope = [v for k, v in decoded.headers if k.lower() in ("delivered-to", "x-original-to")]
    claims = tuple(
        claim
        for token in extract_tokens([*decoded.to, *decoded.cc, *envelope], COMMITTEE)
        if (claim := read_token(FIXTURE_SECRET, token)) is not None
    )
    data = RoutingInput(
        message=decoded,
        directory=directory,
        token_claims=claims,
        subject_tag=find_round_tag(decoded.subject),
    )
    return dataclasses.replace(data, **extra)  # type: ignore[arg-type]


def with_from(message: DecodedMessage, address: str) -> DecodedMessage:
    return dataclasses.replace(message, from_address=address)


def test_own_token_routes() -> None:
    outcome = route(inputs("iphone-utf8-reply.eml"))
    assert isinstance(outcome, Routed)
    assert (outcome.round_id, outcome.party) == ("7", YAMADA)
    assert [e.kind for e in outcome.evidence] == [EvidenceKind.TOKEN]


def test_member_with_several_addresses_matches_on_any() -> None:
    data = inputs("iphone-utf8-reply.eml")
    data = dataclasses.replace(data, message=with_from(data.message, "T-Yamada@Office.Example.JP"))
    assert isinstance(route(data), Routed)


@pytest.mark.parametrize(
    "fixture", ["thunderbird-utf8-spoofed-token.eml", "outlook-iso2022jp-forwarded.eml"]
)
def test_someone_elses_token_is_quarantined(fixture: str) -> None:
    outcome = route(inputs(fixture))
    assert isinstance(outcome, Quarantine)
    assert outcome.reason is QuarantineReason.TOKEN_SENDER_MISMATCH
    assert "member:101" in outcome.detail


def test_token_of_a_party_no_longer_registered() -> None:
    gone = dataclasses.replace(COUNCIL, members=COUNCIL.members[:1] + COUNCIL.members[2:])
    outcome = route(inputs("iphone-utf8-reply.eml", directory=Directory((gone,))))
    assert isinstance(outcome, Quarantine)
    assert outcome.reason is QuarantineReason.TOKEN_PARTY_UNKNOWN


def test_subject_tag_and_registered_sender() -> None:
    # docomo mail: no token, no References, but [R2-5] and a registered address.
    outcome = route(inputs("docomo-shiftjis-reply.eml"))
    assert isinstance(outcome, Routed)
    assert (outcome.round_id, outcome.party) == ("7", TANAKA)
    assert outcome.evidence[0].kind is EvidenceKind.SUBJECT_TAG


def test_tag_of_a_round_not_open_is_not_guessed() -> None:
    data = inputs("docomo-shiftjis-reply.eml", subject_tag="R2-4")
    outcome = route(data)
    assert isinstance(outcome, Quarantine)
    assert outcome.reason is QuarantineReason.TAG_ROUND_NOT_OPEN


def test_sole_open_round_without_tag() -> None:
    outcome = route(inputs("docomo-shiftjis-reply.eml", subject_tag=None))
    assert isinstance(outcome, Routed)
    assert outcome.evidence[0].kind is EvidenceKind.SOLE_OPEN_ROUND


def test_several_open_rounds_without_evidence_are_ambiguous() -> None:
    two = dataclasses.replace(COUNCIL, open_rounds=(OpenRound("7", "R2-5"), OpenRound("8", "R2-6")))
    outcome = route(
        inputs("docomo-shiftjis-reply.eml", directory=Directory((two,)), subject_tag=None)
    )
    assert isinstance(outcome, Quarantine)
    assert outcome.reason is QuarantineReason.AMBIGUOUS_ROUND
    tagged = route(inputs("docomo-shiftjis-reply.eml", directory=Directory((two,))))
    assert isinstance(tagged, Routed) and tagged.round_id == "7"


def test_no_open_round() -> None:
    closed = dataclasses.replace(COUNCIL, open_rounds=())
    outcome = route(
        inputs("docomo-shiftjis-reply.eml", directory=Directory((closed,)), subject_tag=None)
    )
    assert isinstance(outcome, Quarantine) and outcome.reason is QuarantineReason.NO_OPEN_ROUND


def test_unknown_sender_without_token() -> None:
    data = inputs("docomo-shiftjis-reply.eml")
    data = dataclasses.replace(data, message=with_from(data.message, "stranger@example.org"))
    outcome = route(data)
    assert isinstance(outcome, Quarantine) and outcome.reason is QuarantineReason.UNKNOWN_SENDER


def test_reference_to_mail_sent_to_the_sender() -> None:
    # The chair's token was stripped by a server, but In-Reply-To points at the decision request.
    data = inputs(
        "gmail-utf8-vacation.eml",
        token_claims=(),
        subject_tag=None,
        outbound_refs=(OutboundRef("6", YAMADA), OutboundRef("7", SUZUKI_CHAIR)),
    )
    outcome = route(data)
    assert isinstance(outcome, Routed)
    assert (outcome.round_id, outcome.party) == ("7", SUZUKI_CHAIR)
    assert outcome.evidence[0].kind is EvidenceKind.REFERENCE


def test_reference_to_someone_elses_mail_falls_through() -> None:
    data = inputs("docomo-shiftjis-reply.eml", outbound_refs=(OutboundRef("7", YAMADA),))
    outcome = route(data)
    assert isinstance(outcome, Routed)
    assert outcome.party == TANAKA and outcome.evidence[0].kind is EvidenceKind.SUBJECT_TAG


def test_department_sender() -> None:
    data = inputs("docomo-shiftjis-reply.eml")
    data = dataclasses.replace(data, message=with_from(data.message, "HOIKU@city.example.jp"))
    outcome = route(data)
    assert isinstance(outcome, Routed) and outcome.party == HOIKU


def test_token_claim_for_chair_routes_as_chair() -> None:
    data = inputs("gmail-utf8-vacation.eml")
    assert data.token_claims == (TokenClaim("7", SUZUKI_CHAIR),)
    outcome = route(data)
    assert isinstance(outcome, Routed) and outcome.party == SUZUKI_CHAIR


def test_auth_failure_quarantines_before_the_token() -> None:
    data = inputs("gmail-utf8-forged-authres.eml")
    data = dataclasses.replace(
        data, auth=evaluate(data.message.headers, "mx.city.example.jp", AuthPolicy.QUARANTINE)
    )
    outcome = route(data)
    assert isinstance(outcome, Quarantine) and outcome.reason is QuarantineReason.AUTH_FAILED
    assert "dmarc=fail" in outcome.detail


def test_auth_failure_with_flag_policy_routes_with_a_flag() -> None:
    data = inputs("gmail-utf8-forged-authres.eml")
    data = dataclasses.replace(
        data, auth=evaluate(data.message.headers, "mx.city.example.jp", AuthPolicy.FLAG)
    )
    outcome = route(data)
    assert isinstance(outcome, Routed) and outcome.flags == (AUTH_FLAG,)


def test_every_reason_has_words_in_both_languages() -> None:
    """One table words them for the digest, `quarantine list/show` and the console."""
    for reason in QuarantineReason:
        ja, en = reason.words("ja"), reason.words("en")
        assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in ja)
        assert not re.search(r"[a-z]{3,} [a-z]{2,}", ja), ja  # no English phrase in it
        assert en.isascii() and en[0].isupper() and reason.value not in (ja, en)
        assert reason_words(reason.value, "ja") == ja and reason_words(reason, "en") == en
    assert len({r.words("ja") for r in QuarantineReason}) == len(QuarantineReason)
    assert len({r.words("en") for r in QuarantineReason}) == len(QuarantineReason)
    # A code only a later version writes is shown as stored rather than failing the digest.
    assert reason_words("from_a_later_version", "ja") == "from_a_later_version"


def test_token_in_delivered_to_when_the_client_wrote_the_plain_address() -> None:
    # The member answered the From address; only the envelope (Delivered-To) kept the token.
    _raw, decoded = load("iphone-utf8-reply.eml")
    (token,) = extract_tokens(decoded.to, COMMITTEE)
    moved = dataclasses.replace(
        decoded,
        to=(COMMITTEE,),
        headers=(("Delivered-To", f"shingikai+{token}@city.example.jp"), *decoded.headers),
    )
    envelope = [v for k, v in moved.headers if k.lower() == "delivered-to"]
    claims = tuple(
        c
        for t in extract_tokens([*moved.to, *envelope], COMMITTEE)
        if (c := read_token(FIXTURE_SECRET, t)) is not None
    )
    outcome = route(RoutingInput(message=moved, directory=DIRECTORY, token_claims=claims))
    assert isinstance(outcome, Routed) and outcome.party == YAMADA
    assert outcome.evidence[0].kind is EvidenceKind.TOKEN
