"""A text encoded in pieces (`CanonicalOctets`, `Base64Lines`, `StreamedBody`) gives the
lines of the text encoded whole, however it is cut: a CR at a piece's end included."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from mailflow.outbound.compose import (
    CRLF,
    Base64Lines,
    CanonicalOctets,
    SharedBody,
    StreamedBody,
    encode_body,
    tail_offset,
)

texts = st.text(alphabet=st.sampled_from(["a", "\r", "\n", "あ", "①", " ", "x"]), max_size=300)


def cut(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    return [text[a:b] for a, b in itertools.pairwise(points)]


@given(texts, st.lists(st.integers(min_value=0), max_size=12), st.integers(0, 56))
def test_pieces_encode_as_the_whole(text: str, cuts: list[int], skip: int) -> None:
    canonical, lines = CanonicalOctets(), Base64Lines()
    octets = b"".join([*(canonical.feed(p) for p in cut(text, cuts)), canonical.finish()])
    encoded = b"".join([lines.feed(octets), lines.finish()]).decode("ascii")
    assert encoded == (encode_body(text) + CRLF if text else "")
    skipped = Base64Lines(skip)
    rest = b"".join([*(skipped.feed(octets[n : n + 7]) for n in range(0, len(octets), 7))])
    assert rest + skipped.finish() == _whole(octets[skip:])  # fed 7 octets at a time


def _whole(octets: bytes) -> bytes:
    lines = Base64Lines()
    return lines.feed(octets) + lines.finish()


@given(st.text(alphabet=st.sampled_from(["a", "あ", "\n"]), min_size=60, max_size=400),
       st.sampled_from(["林", "青木和子", "Ishida Naoki"]), st.text(max_size=30))  # fmt: skip
def test_a_streamed_body_splits_as_the_shared_one(tail: str, name: str, before: str) -> None:
    """The head's own lines and the stored tail of `StreamedBody` are `SharedBody`'s."""
    head = before.replace("\r", "") + name
    canonical = CanonicalOctets()
    octets = canonical.feed(tail) + canonical.finish()
    fill = tail_offset(head)
    shared_first, shared_tail = SharedBody(tail).split(head + tail)
    lines = Base64Lines(fill)
    data = lines.feed(octets) + lines.finish()
    if shared_tail is None:  # the tail's octets all fall in the head's last line
        assert not data
        return
    assert shared_tail.data == data
    streamed = StreamedBody(octets[:57], {fill: shared_tail})
    assert streamed.split(head) == (shared_first, shared_tail)
