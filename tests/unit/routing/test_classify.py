"""Classification of real mail bytes: auto-replies, bounces, loops and ordinary replies."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mailflow.parsing.mime import decode, decode_with_message
from mailflow.routing.classify import MailKind, classify
from tests.unit.routing.mail import COMMITTEE, load

OWN = [COMMITTEE]


@pytest.mark.parametrize(
    ("fixture", "kind", "rule"),
    [
        ("outlook-iso2022jp-autoreply.eml", MailKind.AUTO_REPLY, "auto_submitted"),
        ("outlook-iso2022jp-rule-autoreply.eml", MailKind.AUTO_REPLY, "inbox_rules_loop"),
        ("gmail-utf8-vacation.eml", MailKind.AUTO_REPLY, "auto_submitted"),
        ("googlegroups-utf8-list.eml", MailKind.AUTO_REPLY, "precedence"),
        ("melmaga-shiftjis-list.eml", MailKind.AUTO_REPLY, "mailing_list"),
        ("mailflow-iso2022jp-loop.eml", MailKind.LOOP, "own_from"),
        ("postfix-ascii-dsn.eml", MailKind.BOUNCE, "bounce"),
        ("postfix-ascii-dsn-delayed.eml", MailKind.BOUNCE, "bounce"),
        ("exchange-utf8-ndr.eml", MailKind.BOUNCE, "bounce"),
        ("exchange-iso2022jp-ndr-text.eml", MailKind.BOUNCE, "bounce"),
        ("au-ascii-error.eml", MailKind.BOUNCE, "bounce"),
        ("au-ascii-over-quota.eml", MailKind.BOUNCE, "bounce"),
        ("docomo-ascii-error.eml", MailKind.BOUNCE, "bounce"),
        ("iphone-utf8-reply.eml", MailKind.NORMAL, "normal"),
        ("docomo-shiftjis-reply.eml", MailKind.NORMAL, "normal"),
        ("thunderbird-utf8-spoofed-token.eml", MailKind.NORMAL, "normal"),
        ("outlook-iso2022jp-forwarded.eml", MailKind.NORMAL, "normal"),
    ],
)
def test_fixture_kind_and_rule(fixture: str, kind: MailKind, rule: str) -> None:
    raw, decoded = load(fixture)
    result = classify(raw, decoded, OWN)
    assert (result.kind, result.rule) == (kind, rule)
    assert result.reason
    assert (result.bounce is not None) == (kind is MailKind.BOUNCE)


@pytest.mark.parametrize(
    ("fixture", "permanent", "temporary", "detector"),
    [
        ("postfix-ascii-dsn.eml", ("kimura@old.example.jp",), (), "flufl.bounce"),
        ("postfix-ascii-dsn-delayed.eml", (), ("kimura@old.example.jp",), "flufl.bounce"),
        ("exchange-utf8-ndr.eml", ("ito@pref.example.lg.jp",), (), "flufl.bounce"),
        ("docomo-ascii-error.eml", ("tanaka-k@docomo.example.ne.jp",), (), "flufl.bounce"),
        # flufl.bounce knows neither of these; the fallback reads them.
        ("exchange-iso2022jp-ndr-text.eml", ("ito@pref.example.lg.jp",), (), "fallback"),
        ("au-ascii-error.eml", ("kato-m@ezweb.example.ne.jp",), (), "fallback"),
        ("au-ascii-over-quota.eml", (), ("kato-m@ezweb.example.ne.jp",), "fallback"),
    ],
)
def test_bounce_failed_recipients(
    fixture: str, permanent: tuple[str, ...], temporary: tuple[str, ...], detector: str
) -> None:
    raw, decoded = load(fixture)
    report = classify(raw, decoded, OWN).bounce
    assert report is not None
    assert (report.permanent, report.temporary, report.detector) == (permanent, temporary, detector)
    assert report.is_permanent == bool(permanent)
    assert COMMITTEE not in report.failed


def test_loop_is_found_before_anything_else() -> None:
    # Our own receipt carries no Auto-Submitted here; the plus-tagged From alone decides.
    raw, decoded = load("mailflow-iso2022jp-loop.eml")
    assert "+" in decoded.from_address
    assert classify(raw, decoded, OWN).kind is MailKind.LOOP
    assert classify(raw, decoded, ["someone@else.example"]).kind is MailKind.NORMAL


def test_x_loop_names_our_address() -> None:
    raw, decoded = load("iphone-utf8-reply.eml")
    looped = dataclasses.replace(decoded, headers=(*decoded.headers, ("X-Loop", COMMITTEE)))
    result = classify(raw, looped, OWN)
    assert (result.kind, result.rule) == (MailKind.LOOP, "x_loop")


@pytest.mark.parametrize(
    "subject",
    [
        "自動応答: Re: [R2-5] 質疑",
        "【自動返信】[R2-5] 質疑",
        "「不在通知」",
        "不在のお知らせ",
        "外出中です",
        "休暇のため1月15日まで不在です",
        "Out of Office: [R2-5] questions",
        "Automatic reply: [R2-5] questions",
        "AutoReply: [R2-5]",
        "Ｏｕｔ ｏｆ Ｏｆｆｉｃｅ",
    ],
)
def test_out_of_office_subjects(subject: str) -> None:
    raw, decoded = load("iphone-utf8-reply.eml")
    result = classify(raw, dataclasses.replace(decoded, subject=subject), OWN)
    assert (result.kind, result.rule) == (MailKind.AUTO_REPLY, "out_of_office_subject")


@pytest.mark.parametrize(
    "subject",
    [
        "Re: [R2-5] 自動応答サービスの導入について",
        "Re: [R2-5] 休暇取得状況の個人情報について",
        "RE: 諮問第14号 病児保育予約システム（不在時の連絡）",
    ],
)
def test_topic_words_in_a_reply_subject_are_not_auto_replies(subject: str) -> None:
    raw, decoded = load("iphone-utf8-reply.eml")
    assert classify(raw, dataclasses.replace(decoded, subject=subject), OWN).kind is MailKind.NORMAL


def test_auto_response_suppress_is_only_a_hint() -> None:
    raw, decoded = load("iphone-utf8-reply.eml")
    hinted = dataclasses.replace(
        decoded, headers=(*decoded.headers, ("X-Auto-Response-Suppress", "All"))
    )
    assert classify(raw, hinted, OWN).kind is MailKind.NORMAL
    with_word = dataclasses.replace(hinted, subject="Re: [R2-5] 1/15まで不在")
    result = classify(raw, with_word, OWN)
    assert (result.kind, result.rule) == (MailKind.AUTO_REPLY, "suppress_with_hint")


@pytest.mark.parametrize(
    ("header", "value", "kind"),
    [
        ("Auto-Submitted", "no", MailKind.NORMAL),
        ("Auto-Submitted", "auto-generated", MailKind.AUTO_REPLY),
        ("Auto-Submitted", 'auto-notified; owner-email="x@example.jp"', MailKind.AUTO_REPLY),
        ("X-Autoreply", "yes", MailKind.AUTO_REPLY),
        ("X-Autorespond", "Vacation", MailKind.AUTO_REPLY),
        ("Precedence", "bulk", MailKind.AUTO_REPLY),
        ("Precedence", "junk", MailKind.AUTO_REPLY),
        ("Precedence", "auto_reply", MailKind.AUTO_REPLY),
        ("Precedence", "first-class", MailKind.NORMAL),
        ("List-Id", "<council.lists.example.jp>", MailKind.AUTO_REPLY),
    ],
)
def test_header_rules(header: str, value: str, kind: MailKind) -> None:
    raw, decoded = load("iphone-utf8-reply.eml")
    changed = dataclasses.replace(decoded, headers=(*decoded.headers, (header, value)))
    assert classify(raw, changed, OWN).kind is kind


def test_empty_return_path_is_automatic() -> None:
    raw, decoded = load("iphone-utf8-reply.eml")
    headers = tuple((k, "<>" if k.lower() == "return-path" else v) for k, v in decoded.headers)
    result = classify(raw, dataclasses.replace(decoded, headers=headers), OWN)
    assert (result.kind, result.rule) == (MailKind.AUTO_REPLY, "null_return_path")


_ALL_MAIL = sorted((Path(__file__).resolve().parents[2] / "fixtures/mail").rglob("*.eml"))


@pytest.mark.parametrize("path", _ALL_MAIL, ids=lambda p: p.name)
def test_the_message_decode_read_classifies_as_the_bytes_read_again(path: Path) -> None:
    """The read stage parses a mail once: decode's Message, handed to classify, decides
    as classify's own reading of the bytes does (bounce reports included)."""
    raw = path.read_bytes()
    decoded, message = decode_with_message(raw)
    assert decoded == decode(raw)
    assert message is not None or not raw.strip()
    assert classify(raw, decoded, OWN, message) == classify(raw, decoded, OWN)
