"""Who a mail proves it is from: tokens and references prove, From alone only claims."""

from __future__ import annotations

import dataclasses

from mailflow.routing.authres import AuthPolicy, evaluate
from mailflow.routing.chain import route
from mailflow.routing.model import ClosedRound, Directory, OutboundRef, TokenClaim
from mailflow.routing.outcome import EvidenceKind, Proof, Quarantine, QuarantineReason, Routed
from tests.unit.routing.test_chain import COUNCIL, SUZUKI_CHAIR, TANAKA, YAMADA, inputs

OURS = "mx.city.example.jp"


def test_a_reply_token_proves_the_party() -> None:
    outcome = route(inputs("iphone-utf8-reply.eml"))
    assert isinstance(outcome, Routed) and outcome.proof is Proof.PROVEN and outcome.ask is None


def test_a_token_naming_a_request_carries_it() -> None:
    data = inputs("iphone-utf8-reply.eml")
    (claim,) = data.token_claims
    data = dataclasses.replace(data, token_claims=(TokenClaim(claim.round_id, claim.party, 42),))
    outcome = route(data)
    assert isinstance(outcome, Routed) and outcome.ask == 42 and outcome.proof is Proof.PROVEN


def test_a_reference_to_our_mail_proves_the_party_and_names_its_request() -> None:
    data = inputs(
        "gmail-utf8-vacation.eml",
        token_claims=(),
        outbound_refs=(OutboundRef("7", SUZUKI_CHAIR, 9),),
    )
    outcome = route(data)
    assert isinstance(outcome, Routed)
    assert (outcome.proof, outcome.ask, outcome.party) == (Proof.PROVEN, 9, SUZUKI_CHAIR)


def test_a_registered_from_alone_only_claims() -> None:
    for data in (
        inputs("docomo-shiftjis-reply.eml"),
        inputs("docomo-shiftjis-reply.eml", subject_tag=None),
    ):
        outcome = route(data)
        assert isinstance(outcome, Routed) and outcome.party == TANAKA
        assert outcome.proof is Proof.CLAIMED and outcome.ask is None


def _with_results(header: str) -> object:
    data = inputs("docomo-shiftjis-reply.eml")
    message = dataclasses.replace(
        data.message, headers=(("Authentication-Results", header), *data.message.headers)
    )
    auth = evaluate(message.headers, OURS, AuthPolicy.QUARANTINE, from_address=message.from_address)
    return route(dataclasses.replace(data, message=message, auth=auth))


def test_our_border_servers_dmarc_pass_proves_the_sender() -> None:
    outcome = _with_results(f"{OURS}; dmarc=pass header.from=docomo.example.ne.jp")
    assert isinstance(outcome, Routed) and outcome.proof is Proof.PROVEN
    assert outcome.evidence[-1].kind is EvidenceKind.AUTHENTICATED


def test_dmarc_none_or_someone_elses_pass_proves_nothing() -> None:
    for header in (
        f"{OURS}; dmarc=none header.from=docomo.example.ne.jp",
        "smtp.attacker.example; dmarc=pass header.from=docomo.example.ne.jp",
        f"{OURS}; dkim=pass header.d=attacker.example",
    ):
        outcome = _with_results(header)
        assert isinstance(outcome, Routed) and outcome.proof is Proof.CLAIMED, header


def _from_header(value: str, *more: str) -> object:
    data = inputs("iphone-utf8-reply.eml")
    rest = tuple((k, v) for k, v in data.message.headers if k.lower() != "from")
    headers = (("From", value), *(("From", m) for m in more), *rest)
    return route(
        dataclasses.replace(data, message=dataclasses.replace(data.message, headers=headers))
    )


def test_two_from_addresses_are_quarantined_even_with_a_token() -> None:
    outcome = _from_header("山田 <yamada@example.jp>, stranger@attacker.example")
    assert isinstance(outcome, Quarantine) and outcome.reason is QuarantineReason.FROM_NOT_SINGLE
    assert "stranger@attacker.example" in outcome.detail


def test_two_from_headers_are_quarantined() -> None:
    outcome = _from_header("yamada@example.jp", "stranger@attacker.example")
    assert isinstance(outcome, Quarantine) and outcome.reason is QuarantineReason.FROM_NOT_SINGLE
    assert "2 From headers" in outcome.detail


def test_one_from_with_a_comma_in_the_name_is_one_address() -> None:
    outcome = _from_header('"Yamada, Taro" <yamada@example.jp>')
    assert isinstance(outcome, Routed) and outcome.party == YAMADA


def test_a_valid_token_for_a_cancelled_round_is_held() -> None:
    cancelled = dataclasses.replace(
        COUNCIL, open_rounds=(), closed_rounds=(ClosedRound("7", "R2-5", "cancelled"),)
    )
    outcome = route(inputs("iphone-utf8-reply.eml", directory=Directory((cancelled,))))
    assert isinstance(outcome, Quarantine) and outcome.reason is QuarantineReason.ROUND_CLOSED
    assert "R2-5 cancelled" in outcome.detail


def test_a_reference_into_a_closed_round_is_held() -> None:
    closed = dataclasses.replace(
        COUNCIL, closed_rounds=(ClosedRound("6", "R2-4", "minutes_published"),)
    )
    data = inputs(
        "gmail-utf8-vacation.eml",
        directory=Directory((closed,)),
        token_claims=(),
        outbound_refs=(OutboundRef("6", SUZUKI_CHAIR),),
    )
    outcome = route(data)
    assert isinstance(outcome, Quarantine) and outcome.reason is QuarantineReason.ROUND_CLOSED


def test_a_mail_staff_place_by_hand_proves_only_what_it_carries() -> None:
    from mailflow.routing.chain import proof_of

    token_mail = inputs("iphone-utf8-reply.eml")
    assert proof_of(token_mail, YAMADA) is Proof.PROVEN
    assert proof_of(token_mail, TANAKA) is Proof.CLAIMED  # someone else's party
    plain = inputs("docomo-shiftjis-reply.eml")
    assert proof_of(plain, TANAKA) is Proof.CLAIMED
    referenced = inputs("docomo-shiftjis-reply.eml", outbound_refs=(OutboundRef("6", TANAKA),))
    assert proof_of(referenced, TANAKA) is Proof.PROVEN
    header = f"{OURS}; dmarc=pass header.from=docomo.example.ne.jp"
    message = dataclasses.replace(
        plain.message, headers=(("Authentication-Results", header), *plain.message.headers)
    )
    auth = evaluate(message.headers, OURS, AuthPolicy.QUARANTINE, from_address=message.from_address)
    vouched = dataclasses.replace(plain, message=message, auth=auth)
    assert proof_of(vouched, TANAKA) is Proof.PROVEN
    assert proof_of(vouched, YAMADA) is Proof.CLAIMED  # the From is not Yamada's
