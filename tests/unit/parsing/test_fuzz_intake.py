"""A bounded fuzz of intake's pure stages, run with the suite (bench/fuzz.py runs longer).

Hypothesis mutates real fixture mails (cuts, repeated slices, pieces of the parsers'
vocabulary, random bytes) and every stage must turn each into a result: no exception
escapes decode → classify → route → parse, for any role.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.harness.fuzz_target import run_one

_SEEDS = [p.read_bytes() for p in sorted(Path("tests/fixtures/mail").rglob("*.eml"))][::7]
_PIECES = [
    b" " * 40, "\u3000".encode(), b"\r\n", b"--", b">", b"[Q13-01]", "訂正 Q13-1".encode(),
    b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n", b"=?utf-8?b?", b"\x1b$B",
    "諮問第13号について、可とする。".encode(), b"\x00", b"\xff", "条件：".encode(), b"a@b.c",
]  # fmt: skip


@st.composite
def mails(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(_SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.integers(0, 3))
        if op == 0:
            data[at:at] = draw(st.sampled_from(_PIECES)) * draw(st.sampled_from([1, 3, 50]))
        elif op == 1:
            del data[at : at + draw(st.integers(1, 300))]
        elif op == 2 and data:
            piece = data[at : at + draw(st.integers(1, 200))]
            data[at:at] = piece * draw(st.integers(1, 20))
        else:
            data[at:at] = draw(st.binary(max_size=64))
    return bytes(data)


@settings(
    max_examples=150,
    deadline=None,  # the bound is per suite, below; a slow machine must not flake
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
@given(mails())
def test_no_input_escapes_intake(raw: bytes) -> None:
    took = run_one(raw)
    assert took < 10.0  # generous: a hang, not a slow machine
