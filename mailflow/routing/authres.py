"""Authentication-Results (RFC 8601) of our own receiving server, and what a failure means.

Only headers whose authserv-id is our server's are read, and of those only the
topmost run: our MTA prepends its results, so anything further down, even with our
authserv-id, was written before the mail reached us — by the sender, perhaps.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass


class AuthPolicy(enum.StrEnum):
    """What staff configured for a sender-authentication failure."""

    QUARANTINE = "quarantine"  # hold for staff, do not process
    FLAG = "flag"  # process, but mark for staff
    IGNORE = "ignore"  # process as if nothing failed


class AuthAction(enum.StrEnum):
    """What routing does with the mail after authentication."""

    ACCEPT = "accept"
    FLAG = "flag"
    QUARANTINE = "quarantine"


@dataclass(frozen=True)
class MethodResult:
    """One ``method=result`` of a resinfo, such as ``dkim=pass header.d=example.jp``."""

    method: str
    result: str
    properties: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class AuthResults:
    """The combined results our server reported; None where it reported nothing."""

    dmarc: str | None
    dkim: str | None
    spf: str | None
    methods: tuple[MethodResult, ...]


@dataclass(frozen=True)
class AuthVerdict:
    """The results, whether they count as a failure, and the action policy gives it."""

    results: AuthResults
    failed: bool
    action: AuthAction
    trusted_headers: int  # how many headers were ours; 0 means nothing was checked


_FAIL_RESULTS = frozenset({"fail", "permerror"})


def parse_header(value: str) -> tuple[str, tuple[MethodResult, ...]]:
    """One Authentication-Results value → (authserv-id, results); ("", ()) if unreadable."""
    text = _strip_comments(value)
    parts = [p.strip() for p in _split_semicolons(text)]
    if not parts or not parts[0]:
        return "", ()
    authserv_id = parts[0].split()[0].lower()
    results: list[MethodResult] = []
    for part in parts[1:]:
        m = re.match(r"^([A-Za-z0-9_.-]+)(?:/\d+)?\s*=\s*([A-Za-z0-9_-]+)(.*)$", part, re.S)
        if not m:
            continue  # "none" or a malformed resinfo
        props = tuple(
            (k.lower(), v.strip('"'))
            for k, v in re.findall(r"([A-Za-z0-9_.-]+)\s*=\s*(\"[^\"]*\"|[^\s;]+)", m.group(3))
        )
        results.append(MethodResult(m.group(1).lower(), m.group(2).lower(), props))
    return authserv_id, tuple(results)


def trusted_results(headers: Iterable[tuple[str, str]], authserv_id: str) -> list[MethodResult]:
    """The results of the topmost run of our server's Authentication-Results headers."""
    return [r for results in _trusted_run(headers, authserv_id) for r in results]


def _trusted_run(
    headers: Iterable[tuple[str, str]], authserv_id: str
) -> list[tuple[MethodResult, ...]]:
    """Each header's results in the topmost run of headers with our authserv-id.

    The run ends at the first Received header or the first Authentication-Results of
    another authserv-id after it began, so milters that each add one header (DKIM,
    SPF, DMARC) all count, and a header the sender planted below does not.
    """
    want = authserv_id.strip().lower()
    run: list[tuple[MethodResult, ...]] = []
    for name, value in headers:
        low = name.lower()
        if low == "authentication-results":
            server, results = parse_header(value)
            if server == want:
                run.append(results)
                continue
            if run:
                break
        elif low == "received" and run:
            break
    return run


def combine(methods: Iterable[MethodResult]) -> AuthResults:
    """One result per method: any pass wins (several DKIM signatures), else the first."""
    methods = tuple(methods)
    return AuthResults(
        dmarc=_best(methods, "dmarc"),
        dkim=_best(methods, "dkim"),
        spf=_best(methods, "spf"),
        methods=methods,
    )


def is_failure(results: AuthResults) -> bool:
    """DMARC fail; or, where no DMARC result exists, DKIM or SPF fail with nothing passing.

    SPF softfail and neutral are not failures: forwarding and mobile carriers'
    relays produce them for genuine members every day.
    """
    if results.dmarc is not None:
        return results.dmarc in _FAIL_RESULTS
    failing = results.dkim in _FAIL_RESULTS or results.spf in _FAIL_RESULTS
    passing = "pass" in (results.dkim, results.spf)
    return failing and not passing


def evaluate(
    headers: Iterable[tuple[str, str]], authserv_id: str | None, policy: AuthPolicy
) -> AuthVerdict:
    """Read our server's results from the headers (in order, top first) and apply policy."""
    if not authserv_id:
        return AuthVerdict(combine(()), False, AuthAction.ACCEPT, 0)
    run = _trusted_run(headers, authserv_id)
    results = combine(r for header in run for r in header)
    failed = is_failure(results)
    action = AuthAction.ACCEPT
    if failed and policy is AuthPolicy.QUARANTINE:
        action = AuthAction.QUARANTINE
    elif failed and policy is AuthPolicy.FLAG:
        action = AuthAction.FLAG
    return AuthVerdict(results, failed, action, len(run))


def _best(methods: tuple[MethodResult, ...], name: str) -> str | None:
    results = [m.result for m in methods if m.method == name]
    if not results:
        return None
    return "pass" if "pass" in results else results[0]


def _strip_comments(text: str) -> str:
    """Remove RFC 5322 comments (nested parentheses) outside quoted strings."""
    out: list[str] = []
    depth, quoted, escaped = 0, False, False
    for ch in text:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(ch)
            continue
        if ch == "\\":
            escaped = True
            if depth == 0:
                out.append(ch)
            continue
        if ch == '"' and depth == 0:
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
            continue
        elif not quoted and ch == ")" and depth:
            depth -= 1
            continue
        if depth == 0:
            out.append(ch)
    return "".join(out)


def _split_semicolons(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts
