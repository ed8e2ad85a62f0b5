"""Reply tokens: round trips, forgery and damage rejected, plus-addresses and Message-IDs."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailflow.routing.model import PartyKind, PartyRef, TokenClaim
from mailflow.routing.token import (
    LOCAL_PART_MAX,
    TOKEN_MAX_LENGTH,
    extract_tokens,
    make_message_id,
    make_token,
    plus_address,
    read_token,
    token_from_message_id,
)
from tests.unit.routing.mail import COMMITTEE, FIXTURE_SECRET, load

SECRET = b"k" * 32
ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"

ids = st.one_of(
    st.integers(min_value=0, max_value=10**12).map(str),
    st.text(string.ascii_lowercase + string.digits + "-_", min_size=1, max_size=8),
    st.text(min_size=1, max_size=3).filter(lambda s: len(s.encode()) <= 6),
)
parties = st.builds(PartyRef, st.sampled_from(list(PartyKind)), ids)


@given(round_id=ids, party=parties)
def test_round_trip(round_id: str, party: PartyRef) -> None:
    token = make_token(SECRET, round_id, party)
    assert len(token) <= TOKEN_MAX_LENGTH
    assert set(token) <= set(ALPHABET)
    assert read_token(SECRET, token) == TokenClaim(round_id, party)
    assert read_token(SECRET, token.upper()) == TokenClaim(round_id, party)


@given(
    round_id=ids,
    party=parties,
    data=st.data(),
)
def test_any_changed_character_is_rejected(
    round_id: str, party: PartyRef, data: st.DataObject
) -> None:
    token = make_token(SECRET, round_id, party)
    pos = data.draw(st.integers(0, len(token) - 1))
    new = data.draw(st.sampled_from([c for c in ALPHABET + "0189-._" if c != token[pos]]))
    damaged = token[:pos] + new + token[pos + 1 :]
    assert read_token(SECRET, damaged) is None


@given(round_id=ids, party=parties)
def test_another_secret_rejects(round_id: str, party: PartyRef) -> None:
    assert read_token(b"another secret", make_token(SECRET, round_id, party)) is None


def test_truncated_or_extended_tokens_are_rejected() -> None:
    token = make_token(SECRET, "7", PartyRef(PartyKind.MEMBER, "101"))
    assert read_token(SECRET, token[:-1]) is None
    assert read_token(SECRET, token + "a") is None
    assert read_token(SECRET, "") is None


def test_store_ids_make_short_tokens() -> None:
    token = make_token(SECRET, "123", PartyRef(PartyKind.DEPARTMENT, "4567"))
    assert len(token) == 23
    assert len(plus_address(COMMITTEE, token).split("@")[0]) <= LOCAL_PART_MAX


def test_ids_too_long_for_a_local_part_are_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        make_token(SECRET, "r" * 20, PartyRef(PartyKind.MEMBER, "yamada-taro-long"))
    with pytest.raises(ValueError):
        make_token(SECRET, "", PartyRef(PartyKind.MEMBER, "1"))
    with pytest.raises(ValueError):
        make_token(b"", "1", PartyRef(PartyKind.MEMBER, "1"))


def test_tokens_differ_per_party_kind_and_round() -> None:
    member = make_token(SECRET, "7", PartyRef(PartyKind.MEMBER, "100"))
    chair = make_token(SECRET, "7", PartyRef(PartyKind.CHAIR, "100"))
    other_round = make_token(SECRET, "8", PartyRef(PartyKind.MEMBER, "100"))
    assert len({member, chair, other_round}) == 3


def test_message_id_carries_the_token() -> None:
    token = make_token(SECRET, "7", PartyRef(PartyKind.CHAIR, "100"))
    msgid = make_message_id(SECRET, token, "o42.k3x9", "City.Example.JP")
    assert msgid.startswith("<mf1.") and msgid.endswith("@city.example.jp>")
    assert token_from_message_id(msgid) == token
    assert token_from_message_id(msgid.strip("<>")) == token
    assert token_from_message_id("<CAF00x@mail.gmail.com>") is None
    with pytest.raises(ValueError):
        make_message_id(b"another secret", token, "o42", "city.example.jp")
    with pytest.raises(ValueError):
        make_message_id(SECRET, token, "has space", "city.example.jp")


def test_plus_address_and_extract_tokens() -> None:
    token = make_token(SECRET, "7", PartyRef(PartyKind.MEMBER, "101"))
    address = plus_address("事務局 <Shingikai@City.Example.JP>", token)
    assert address == f"shingikai+{token}@city.example.jp"
    headers = [
        f'"審議会事務局" <SHINGIKAI+{token.upper()}@city.example.jp>, other+x@city.example.jp',
        f"shingikai+{token}@city.example.jp",
        "shingikai+zzz@elsewhere.example.jp",
        "shingikai@city.example.jp",
    ]
    assert extract_tokens(headers, COMMITTEE) == [token]


def test_fixture_tokens_are_read_back() -> None:
    _raw, decoded = load("iphone-utf8-reply.eml")
    (token,) = extract_tokens(decoded.to, COMMITTEE)
    assert read_token(FIXTURE_SECRET, token) == TokenClaim("7", PartyRef(PartyKind.MEMBER, "101"))
    assert decoded.in_reply_to is not None
    from_ref = token_from_message_id(decoded.in_reply_to)
    assert from_ref is not None and read_token(FIXTURE_SECRET, from_ref) is not None


store_ids = st.integers(min_value=0, max_value=10**9).map(str)


@given(
    round_id=store_ids,
    party=st.builds(PartyRef, st.sampled_from(list(PartyKind)), store_ids),
    ask=st.integers(min_value=0, max_value=2**40),
)
def test_a_request_rides_in_the_token(round_id: str, party: PartyRef, ask: int) -> None:
    token = make_token(SECRET, round_id, party, ask)
    assert read_token(SECRET, token) == TokenClaim(round_id, party, ask)
    assert token != make_token(SECRET, round_id, party)


def test_a_request_token_stays_short_and_cannot_be_moved_to_another_request() -> None:
    party = PartyRef(PartyKind.MEMBER, "101")
    token = make_token(SECRET, "123", party, 4567)
    assert len(token) <= 28
    other = make_token(SECRET, "123", party, 4568)
    # The MAC covers the request: the tail of one token does not fit another's head.
    assert read_token(SECRET, token[:-4] + other[-4:]) is None
    with pytest.raises(ValueError):
        make_token(SECRET, "123", party, -1)
