"""Every design note the code cites is a page of docs/, and every cited section exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CITE = re.compile(r"docs/([\w-]+\.md)(?:,?\s*\"([^\"]+)\")?")


def _sources() -> list[Path]:
    return [*sorted((ROOT / "mailflow").rglob("*.py")), ROOT / "pyproject.toml"]


def test_no_citation_of_a_design_file_outside_docs() -> None:
    bare = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in _sources()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"(?<!docs/)\bDESIGN\.md", line)
    ]
    assert bare == []


def test_every_cited_page_and_section_exists() -> None:
    cited = [m for p in _sources() for m in CITE.finditer(p.read_text(encoding="utf-8"))]
    assert any(m.group(1) == "design.md" for m in cited)
    for m in cited:
        page = ROOT / "docs" / m.group(1)
        assert page.is_file(), m.group(0)
        if m.group(2):
            headings = re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), re.M)
            assert m.group(2) in headings, m.group(0)


def test_the_design_page_is_linked_from_the_architecture() -> None:
    assert "(design.md)" in (ROOT / "docs/architecture.md").read_text(encoding="utf-8")
