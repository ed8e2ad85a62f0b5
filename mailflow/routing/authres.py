"""Authentication-Results (RFC 8601) of our own border server: failures, and proof of From.

Only headers whose authserv-id is our server's are read, and of those only the block
above the first Received header (after the ones our own inner servers add): our
border MTA prepends its results, so anything further down, even with our
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
    # DMARC pass, or a DKIM pass aligned with the From domain: the domain wrote the mail.
    from_authenticated: bool = False


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


def trusted_results(
    headers: Iterable[tuple[str, str]], authserv_id: str, own_received: int = 0
) -> list[MethodResult]:
    """The results of our border server's block of Authentication-Results headers."""
    return [r for results in _trusted_block(headers, authserv_id, own_received) for r in results]


def _trusted_block(
    headers: Iterable[tuple[str, str]], authserv_id: str, own_received: int = 0
) -> list[tuple[MethodResult, ...]]:
    """Each header's results in the block our border server added, top first.

    RFC 8601 §5: results are prepended, so ours sit above the Received header our
    border wrote; ``own_received`` counts the Received headers our inner servers
    (an LMTP hop to the mailbox server) add above them. The block ends at the next
    Received header or at an Authentication-Results of another authserv-id, so
    milters that each add one header (DKIM, SPF, DMARC) all count, and a header the
    sender planted below a Received line never does.
    """
    want = authserv_id.strip().lower()
    block: list[tuple[MethodResult, ...]] = []
    received = 0
    for name, value in headers:
        low = name.lower()
        if low == "received":
            received += 1
            if received > own_received:
                break
        elif low == "authentication-results" and received == own_received:
            server, results = parse_header(value)
            if server == want:
                block.append(results)
            elif block:
                break
    return block


def combine(headers: Iterable[Iterable[MethodResult]]) -> AuthResults:
    """One result per method, from the topmost header that reports it.

    A header further down the block that says otherwise does not win: if the border
    server failed to strip a planted copy of its own header, the copy sits below the
    real one. Within one header several DKIM signatures may be reported; any pass
    there counts (a mailing list's signature beside the author's).
    """
    per_header = [tuple(h) for h in headers]
    methods = tuple(m for h in per_header for m in h)
    return AuthResults(
        dmarc=_topmost(per_header, "dmarc"),
        dkim=_topmost(per_header, "dkim"),
        spf=_topmost(per_header, "spf"),
        methods=tuple(_topmost_results(per_header, "dmarc"))
        + tuple(_topmost_results(per_header, "dkim"))
        + tuple(_topmost_results(per_header, "spf"))
        + tuple(m for m in methods if m.method not in ("dmarc", "dkim", "spf")),
    )


def from_authenticated(results: AuthResults, from_address: str) -> bool:
    """DMARC pass for the From domain, or a DKIM pass by a domain aligned with it.

    Alignment is relaxed (RFC 7489 §3.1.1) without a public-suffix list: the
    signing domain equals the From domain or one is a subdomain of the other.
    Signing as a parent domain needs its DNS, which nobody but its owner has.
    """
    domain = _domain(from_address)
    if not domain:
        return False
    for m in results.methods:
        props = dict(m.properties)
        if m.method == "dmarc" and m.result == "pass":
            header_from = props.get("header.from", domain).lower().strip(".")
            if header_from == domain:
                return True
        if m.method == "dkim" and m.result == "pass":
            signer = props.get("header.d") or _domain(props.get("header.i", ""))
            if signer and _aligned(signer.lower().strip("."), domain):
                return True
    return False


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
    headers: Iterable[tuple[str, str]],
    authserv_id: str | None,
    policy: AuthPolicy,
    *,
    from_address: str = "",
    own_received: int = 0,
) -> AuthVerdict:
    """Read our server's results from the headers (in order, top first) and apply policy."""
    if not authserv_id:
        return AuthVerdict(combine(()), False, AuthAction.ACCEPT, 0)
    block = _trusted_block(headers, authserv_id, own_received)
    results = combine(block)
    failed = is_failure(results)
    action = AuthAction.ACCEPT
    if failed and policy is AuthPolicy.QUARANTINE:
        action = AuthAction.QUARANTINE
    elif failed and policy is AuthPolicy.FLAG:
        action = AuthAction.FLAG
    proven = not failed and from_authenticated(results, from_address)
    return AuthVerdict(results, failed, action, len(block), proven)


def _topmost_results(headers: list[tuple[MethodResult, ...]], name: str) -> list[MethodResult]:
    for header in headers:
        found = [m for m in header if m.method == name]
        if found:
            return found
    return []


def _topmost(headers: list[tuple[MethodResult, ...]], name: str) -> str | None:
    results = [m.result for m in _topmost_results(headers, name)]
    if not results:
        return None
    return "pass" if "pass" in results else results[0]


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().strip(".").lower()


def _aligned(signer: str, domain: str) -> bool:
    return signer == domain or domain.endswith("." + signer) or signer.endswith("." + domain)


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
