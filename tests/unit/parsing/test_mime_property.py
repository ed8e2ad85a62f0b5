"""decode() never raises: arbitrary bytes and mutations of real fixtures all come back decoded."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailflow.parsing.mime import decode
from mailflow.parsing.model import DecodedMessage

FIXTURES = Path(__file__).parents[2] / "fixtures" / "mail" / "decode"
SAMPLES = [p.read_bytes() for p in sorted(FIXTURES.glob("*.eml")) if p.stat().st_size]
# Bytes that matter to MIME and to Japanese codecs: a mutation that inserts them
# reaches the boundary, escape-sequence and multi-byte paths, not just the text.
INTERESTING = [b"\r\n", b"--", b"=?", b"?=", b"\x1b$B", b"\x1b(B", b"\x82", b"\xe3", b"=", b";"]


def check(decoded: DecodedMessage) -> None:
    assert isinstance(decoded, DecodedMessage)
    assert not any(d.startswith("internal error") for d in decoded.defects), decoded.defects
    assert "\r" not in decoded.body
    assert decoded.body_source in {"text/plain", "text/html", "none"}
    for attachment in decoded.attachments:
        assert attachment.size == len(attachment.data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(raw: bytes) -> None:
    check(decode(raw))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SAMPLES),
    st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=1),
            st.integers(min_value=0, max_value=40),
            st.one_of(st.binary(max_size=8), st.sampled_from(INTERESTING)),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_mutated_fixtures(raw: bytes, edits: list[tuple[float, int, bytes]]) -> None:
    data = bytearray(raw)
    for where, cut, insert in edits:
        at = int(where * len(data))
        data[at : at + cut] = insert
    check(decode(bytes(data)))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(SAMPLES), st.floats(min_value=0, max_value=1))
def test_truncated_fixtures(raw: bytes, where: float) -> None:
    check(decode(raw[: int(where * len(raw))], max_body_chars=200))
