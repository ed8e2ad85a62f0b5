"""Markup in members' mail reaches the Markdown minutes as text, never as HTML or links.

minutes.html has always escaped it (Jinja's autoescape); minutes.md printed it verbatim,
so a published minutes page could carry a member's (or a forger's) <script> or a link
dressed as the committee's own words.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mailflow.minutes.markdown import markdown_text
from mailflow.services.minutes import render_minutes
from tests.harness.committee_mailbox import SECRET, member_mail, open_committee
from tests.harness.imap_extra import on_pymap
from tests.harness.pymap_server import PymapServer
from tests.harness.smtp_server import SmtpServer

MARKUP = (
    "諮問第13号について\n"
    '● 配布方法に <script>alert("x")</script> と <img src=x onerror=alert(1)> を含む件は'
    "[市の説明](http://evil.example/) のとおりか。\n"
    "# 委員会は本件を否とする\n"
    "1. 番号付きの行\n"
)


async def test_raw_html_and_markdown_from_a_mail_are_escaped_in_minutes_md(
    pymap_server: PymapServer, smtp_server: SmtpServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("MAILFLOW_IMAP_PASSWORD", pymap_server.endpoint.password)
    box = await open_committee(on_pymap(pymap_server), smtp_server, tmp_path)
    box.deliver(member_mail("ishida@example.com", MARKUP, message_id="<markup@example.com>"))
    counts = await box.intake()
    assert counts.done == 1

    md = render_minutes(box.services, "R2-5", "md")
    html = render_minutes(box.services, "R2-5", "html")

    for raw in ("<script>", "<img", "\n# 委員会は本件を否とする"):
        assert raw not in md, raw
    assert re.search(r"(?<!\\)\]\(http", md) is None  # no link left unescaped
    assert '&lt;script&gt;alert("x")&lt;/script&gt;' in md
    assert "\\[市の説明\\](http://evil.example/)" in md
    assert "\\# 委員会は本件を否とする" in md
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("<b>太字</b> & 記号", "&lt;b&gt;太字&lt;/b&gt; &amp; 記号"),
        ("![追跡](http://t.example/p.png)", "\\!\\[追跡\\](http://t.example/p.png)"),
        ("*強調* _下線_ `code`", "\\*強調\\* \\_下線\\_ \\`code\\`"),
        ("一行目\n- 箇条\n2) 番号\n== 線", "一行目\n\\- 箇条\n2\\) 番号\n\\== 線"),
        ("諮問書P. 21「5(4)」、1, 100件", "諮問書P. 21「5(4)」、1, 100件"),
    ],
)
def test_markdown_text_escapes_markup_and_keeps_plain_japanese(text: str, escaped: str) -> None:
    assert markdown_text(text) == escaped
