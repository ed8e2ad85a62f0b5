"""Test helpers: a fixture's bytes and the DecodedMessage the parser makes of them."""

from __future__ import annotations

from pathlib import Path

from mailflow.parsing.mime import decode
from mailflow.parsing.model import DecodedMessage

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mail" / "classify"
FIXTURE_SECRET = b"fixture secret, not for production"
COMMITTEE = "shingikai@city.example.jp"


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def load(name: str) -> tuple[bytes, DecodedMessage]:
    data = raw(name)
    return data, decode(data)
