"""Every regular expression applied to mail text takes linear time on hostile lines.

Python's `re` backtracks: a pattern with adjacent quantifiers over overlapping classes
(``\\s*[x]?\\s*``) or a scan that restarts a long run at every position takes quadratic or
cubic time, holds the interpreter lock and stalls the daemon (a line of 4,000 spaces once
took minutes in the answer parser). Each module pattern is fed lines of 100 KB built from
its own pieces and the characters mail is made of, applied as its module applies it.
"""

from __future__ import annotations

import time

import pytest

import mailflow.parsing
import mailflow.routing
from tests.harness.adversarial import FoundPattern, apply, lines_for, module_patterns

# Each line is tried at growing lengths, each with a bound far above a linear pass (a
# millisecond per 10 KB) on a busy machine and far below what a quadratic or cubic pattern
# takes, so that such a pattern fails at a short length instead of hanging at 100 KB.
STEPS = ((1_000, 0.25), (10_000, 0.75), (100_000, 2.0))
BOUND = STEPS[-1][1]

# Applied in a way the source does not show by name.
APPLIED_AS = {
    "sections._MARKER": frozenset({"match"}),
    "sections._BRACKET": frozenset({"match"}),
    "quote_patterns.FROM_FIELD": frozenset({"fullmatch"}),
}

PATTERNS = module_patterns(mailflow.parsing, mailflow.routing, applied_as=APPLIED_AS)


def test_patterns_are_collected() -> None:
    found = {p.where for p in PATTERNS}
    assert {"answers._ID_LINE", "signature._CONTACT", "bounce._ADDR"} <= found
    assert len(PATTERNS) > 100


@pytest.mark.parametrize("found", PATTERNS, ids=lambda f: f.where)
def test_pattern_is_linear_on_hostile_lines(found: FoundPattern) -> None:
    for size, bound in STEPS:
        for line in lines_for(found.pattern, size):
            text = line.encode() if isinstance(found.pattern.pattern, bytes) else line
            start = time.perf_counter()
            apply(found, text)
            took = time.perf_counter() - start
            assert took < bound, (
                f"{found.where}: {took:.2f} s on {len(line):,} chars {line[:30]!r}…"
            )


def test_known_offenders_are_fast() -> None:
    """The two reported hangs, on their own inputs."""
    from mailflow.parsing.answers import _ID_LINE
    from mailflow.parsing.signature import _CONTACT

    start = time.perf_counter()
    _ID_LINE.match(" " * 4_000)
    _CONTACT.search("E-mail: ken@exa" + "m" * 40_000)
    assert time.perf_counter() - start < BOUND
