"""Every quote fixture pair: the extracted new text equals the hand-written expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow.parsing.quote import extract_new_text

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mail" / "quote"
CASES = sorted(p for p in FIXTURES.glob("*.txt") if not p.name.endswith(".expected.txt"))


def _expected(path: Path) -> str:
    return path.with_name(path.name.removesuffix(".txt") + ".expected.txt").read_text("utf-8")


def _is_subsequence(small: str, big: str) -> bool:
    chars = iter(big)
    return all(ch in chars for ch in small)


def test_the_collection_covers_the_clients() -> None:
    clients = {p.name.split("-")[0] for p in CASES}
    assert len(CASES) >= 60
    assert {"outlook", "gmail", "thunderbird", "iphone", "docomo", "au", "becky"} <= clients
    for path in CASES:
        assert path.with_name(path.name.removesuffix(".txt") + ".expected.txt").exists()


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fixture(path: Path) -> None:
    body = path.read_text("utf-8")
    got = extract_new_text(body)
    assert got == _expected(path).rstrip("\n")
    assert _is_subsequence(got, body)
