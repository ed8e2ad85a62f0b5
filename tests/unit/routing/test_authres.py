"""Authentication-Results: only our server's topmost headers count, and policy decides."""

from __future__ import annotations

import pytest

from mailflow.routing.authres import (
    AuthAction,
    AuthPolicy,
    combine,
    evaluate,
    from_authenticated,
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
    assert is_failure(combine([parse_header(header)[1]])) is failed


REAL_FAIL = (
    "mx.city.example.jp; dkim=none; spf=fail smtp.mailfrom=ex.jp; dmarc=fail header.from=ex.jp"
)
PLANTED_PASS = "mx.city.example.jp; dkim=pass header.d=ex.jp; dmarc=pass header.from=ex.jp"


def test_a_planted_pass_directly_below_the_real_fail_does_not_win() -> None:
    headers = [
        ("Authentication-Results", REAL_FAIL),
        ("Authentication-Results", PLANTED_PASS),
        ("Received", "from attacker by mx.city.example.jp"),
    ]
    verdict = evaluate(headers, OURS, AuthPolicy.QUARANTINE, from_address="a@ex.jp")
    assert (verdict.results.dmarc, verdict.results.dkim) == ("fail", "none")
    assert verdict.failed and not verdict.from_authenticated


def test_a_planted_pass_below_a_received_line_counts_for_nothing() -> None:
    # Our border wrote no results of its own (say, a path around it): what the sender
    # wrote under the Received line is never read as ours.
    headers = [
        ("Received", "from attacker by mx.city.example.jp"),
        ("Authentication-Results", PLANTED_PASS),
    ]
    verdict = evaluate(headers, OURS, AuthPolicy.QUARANTINE, from_address="a@ex.jp")
    assert verdict.trusted_headers == 0 and not verdict.from_authenticated


def test_inner_received_headers_are_skipped_as_configured() -> None:
    headers = [
        ("Received", "from mx.city.example.jp by store.city.example.jp with LMTP"),
        ("Authentication-Results", "mx.city.example.jp; dmarc=pass header.from=ex.jp"),
        ("Received", "from mail.ex.jp by mx.city.example.jp"),
        ("Authentication-Results", PLANTED_PASS),
    ]
    assert (
        evaluate(headers, OURS, AuthPolicy.QUARANTINE, from_address="a@ex.jp").trusted_headers == 0
    )
    verdict = evaluate(headers, OURS, AuthPolicy.QUARANTINE, from_address="a@ex.jp", own_received=1)
    assert verdict.trusted_headers == 1 and verdict.from_authenticated


@pytest.mark.parametrize(
    ("header", "sender", "proven"),
    [
        ("x; dmarc=pass header.from=ex.jp", "a@ex.jp", True),
        ("x; dmarc=pass header.from=other.jp", "a@ex.jp", False),
        ("x; dmarc=none header.from=ex.jp", "a@ex.jp", False),
        ("x; dmarc=fail header.from=ex.jp; dkim=pass header.d=ex.jp", "a@ex.jp", False),
        ("x; dkim=pass header.d=ex.jp", "a@EX.JP", True),
        ("x; dkim=pass header.d=mail.ex.jp", "a@ex.jp", True),
        ("x; dkim=pass header.d=ex.jp", "a@city.ex.jp", True),
        ("x; dkim=pass header.d=bulk-sender.example", "a@ex.jp", False),
        ("x; dkim=pass header.i=@ex.jp", "a@ex.jp", True),
        ("x; dkim=fail header.d=ex.jp; spf=pass smtp.mailfrom=ex.jp", "a@ex.jp", False),
        ("x; spf=pass smtp.mailfrom=ex.jp", "a@ex.jp", False),
        ("x; dkim=pass header.d=notex.jp", "a@ex.jp", False),
        ("x; dmarc=pass header.from=ex.jp", "", False),
    ],
)
def test_what_proves_the_from_domain(header: str, sender: str, proven: bool) -> None:
    results = combine([parse_header(header)[1]])
    assert (from_authenticated(results, sender) and not is_failure(results)) is proven
