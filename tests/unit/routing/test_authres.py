"""Authentication-Results: only our server's topmost headers count, and policy decides."""

from __future__ import annotations

import pytest

from mailflow.routing.authres import (
    AuthAction,
    AuthPolicy,
    combine,
    evaluate,
    is_failure,
    parse_header,
    trusted_results,
)
from tests.unit.routing.mail import load

OURS = "mx.city.example.jp"


def test_forged_pass_below_our_header_is_ignored() -> None:
    _raw, decoded = load("gmail-utf8-forged-authres.eml")
    verdict = evaluate(decoded.headers, OURS, AuthPolicy.QUARANTINE)
    assert verdict.trusted_headers == 1
    assert (verdict.results.dmarc, verdict.results.dkim, verdict.results.spf) == (
        "fail",
        "none",
        "fail",
    )
    assert verdict.failed and verdict.action is AuthAction.QUARANTINE


@pytest.mark.parametrize(
    ("policy", "action"),
    [
        (AuthPolicy.QUARANTINE, AuthAction.QUARANTINE),
        (AuthPolicy.FLAG, AuthAction.FLAG),
        (AuthPolicy.IGNORE, AuthAction.ACCEPT),
    ],
)
def test_policy_maps_failure(policy: AuthPolicy, action: AuthAction) -> None:
    _raw, decoded = load("gmail-utf8-forged-authres.eml")
    assert evaluate(decoded.headers, OURS, policy).action is action


def test_passing_mail_is_accepted() -> None:
    _raw, decoded = load("iphone-utf8-reply.eml")
    verdict = evaluate(decoded.headers, OURS, AuthPolicy.QUARANTINE)
    assert (verdict.results.dmarc, verdict.failed, verdict.action) == (
        "pass",
        False,
        AuthAction.ACCEPT,
    )


def test_only_a_sender_written_header_means_nothing_checked() -> None:
    headers = [
        ("Received", "from a by mx.city.example.jp"),
        ("Authentication-Results", "smtp.attacker.example; dmarc=fail header.from=example.jp"),
    ]
    verdict = evaluate(headers, OURS, AuthPolicy.QUARANTINE)
    assert verdict.trusted_headers == 0 and verdict.action is AuthAction.ACCEPT


def test_without_a_configured_server_nothing_is_trusted() -> None:
    _raw, decoded = load("gmail-utf8-forged-authres.eml")
    verdict = evaluate(decoded.headers, None, AuthPolicy.QUARANTINE)
    assert verdict.trusted_headers == 0 and not verdict.failed


def test_milters_each_adding_a_header_all_count() -> None:
    headers = [
        ("Authentication-Results", "mx.city.example.jp; dmarc=pass (p=none) header.from=ex.jp"),
        ("Authentication-Results", "MX.City.Example.JP 1; spf=pass smtp.mailfrom=ex.jp"),
        ("DKIM-Filter", "OpenDKIM Filter v2.11.0 mx.city.example.jp"),
        ("Authentication-Results", "mx.city.example.jp; dkim=pass (2048-bit key) header.d=ex.jp"),
        ("Received", "from mail.ex.jp by mx.city.example.jp"),
        ("Authentication-Results", "mx.city.example.jp; dmarc=fail header.from=ex.jp"),
    ]
    methods = trusted_results(headers, OURS)
    assert [(m.method, m.result) for m in methods] == [
        ("dmarc", "pass"),
        ("spf", "pass"),
        ("dkim", "pass"),
    ]


def test_parse_header_with_comments_versions_and_quotes() -> None:
    server, results = parse_header(
        'mx.city.example.jp 1; (checked (nested) here) dkim/1=fail reason="bad; sig"'
        " header.d=ex.jp header.s=sel1; spf=softfail smtp.mailfrom=ex.jp; arc=none"
    )
    assert server == "mx.city.example.jp"
    assert [(r.method, r.result) for r in results] == [
        ("dkim", "fail"),
        ("spf", "softfail"),
        ("arc", "none"),
    ]
    assert ("header.d", "ex.jp") in results[0].properties
    assert parse_header("mx.city.example.jp; none") == ("mx.city.example.jp", ())


@pytest.mark.parametrize(
    ("header", "failed"),
    [
        ("x; dmarc=fail; dkim=pass; spf=pass", True),
        ("x; dmarc=pass; dkim=fail; spf=fail", False),
        ("x; dkim=fail; spf=fail", True),
        ("x; dkim=fail; spf=pass", False),
        ("x; dkim=pass; dkim=fail", False),
        ("x; spf=softfail", False),
        ("x; spf=permerror", True),
        ("x; none", False),
    ],
)
def test_what_counts_as_failure(header: str, failed: bool) -> None:
    assert is_failure(combine(parse_header(header)[1])) is failed
