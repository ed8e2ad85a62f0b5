"""Real mail bytes the harness tests carry through every server."""

from __future__ import annotations

from pathlib import Path

_EML = Path(__file__).parent / "eml"

# A Becky!-style reply in ISO-2022-JP whose ①② are NEC row-13 codes under ESC $ B, as
# Japanese Windows clients write them (Python's strict iso2022_jp codec rejects them).
BECKY_ISO2022JP_QUESTION = "becky-iso2022jp-question.eml"


def sample_mail(name: str) -> bytes:
    return (_EML / name).read_bytes()
