"""The HTML minutes printed to PDF by headless Chromium keep every word (checked with pdftotext).

Needs the Debian packages chromium, fonts-noto-cjk and poppler-utils. Without them the
test is skipped with that reason, except under CI=true, where it fails instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailflow.services.minutes import render_minutes
from tests.harness.seed_round import SEED, SeedItem, build_seed_round, seed_services

TOOLS = ("chromium", "pdftotext", "pdfinfo", "fc-list")


def _require_tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed (Debian: chromium, poppler-utils, fontconfig)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: the PDF test must run under CI")
        pytest.skip(reason)
    fonts = subprocess.run(["fc-list", ":lang=ja"], capture_output=True, text=True).stdout
    if not fonts.strip():
        reason = "no Japanese font installed (Debian: fonts-noto-cjk)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: the PDF test must run under CI")
        pytest.skip(reason)


def chromium_pdf(html: Path, pdf: Path, profile: Path) -> None:
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-pdf-header-footer",
            f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf}",
            html.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def flat(text: str) -> str:
    # Lines wrap anywhere in a printed page; compare without any whitespace at all.
    return re.sub(r"\s+", "", text)


def texts(items: tuple[SeedItem, ...]) -> Iterator[str]:
    for item in items:
        yield item.text
        for a in item.answers:
            yield a.text
        yield from texts(item.follow_ups)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    _require_tools()
    tmp = tmp_path_factory.mktemp("pdf")
    os.environ.setdefault("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    services = seed_services(tmp / "data")
    try:
        build_seed_round(services)
        html = tmp / "minutes.html"
        html.write_text(render_minutes(services, "R2-5", "html"), encoding="utf-8")
    finally:
        services.engine.dispose()
    pdf = tmp / "minutes.pdf"
    chromium_pdf(html, pdf, tmp / "profile")
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True, text=True)
    return text, info.stdout


def test_pdf_is_a4(printed: tuple[str, str]) -> None:
    _, info = printed
    assert re.search(r"Page size:\s+59[45](\.\d+)? x 84[12](\.\d+)? pts \(A4\)", info), info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    assert 3 <= pages <= 30


def test_headings_and_header_block_survive(printed: tuple[str, str]) -> None:
    text = flat(printed[0])
    for words in (
        "令和2年度第5回個人情報保護運営審議会会議録",
        "会議の概要",
        "会議の名称",
        "開催方法の変更について",
        "1月13日（水）",
        "令和3年1月5日付",
        "問い合わせ先",
        "審議期間",
        "回答者一覧",
        "会議経過",
        "令和2年度諮問第13号子育て応援ギフトセット配布業務委託",
        "令和2年度諮問第14号病児保育予約システム使用委託",
        "○「子育て応援ギフトセット配布業務委託」について、諮問どおり行うことを「可」とする。",
        "※委員意見及び保育幼稚園課及び情報政策課の回答",
        "以上",
        "情報公開条例第6条各号に規定する非公開情報",
    ):
        assert flat(words) in text, words


def test_every_item_and_answer_survives_in_order(printed: tuple[str, str]) -> None:
    text = flat(printed[0])
    at = 0
    for t in [*texts(SEED["13"]), *texts(SEED["14"])]:
        found = text.find(flat(t), at)
        assert found >= 0, f"missing or out of order in the PDF: {t[:40]}"
        at = found
    assert text.count("●") == 45
