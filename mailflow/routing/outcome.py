"""What routing decides: a round and party with the evidence, or quarantine with a reason.

Every quarantine reason is one member of one enum with its words for staff in Japanese
and English in one table (Discourse's outcome table), so the staff digest, the CLI and
the console never invent text.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mailflow.routing.model import PartyRef


class QuarantineReason(enum.StrEnum):
    """Why a mail could not be placed and waits for staff (保留)."""

    FROM_NOT_SINGLE = "from_not_single"
    AUTH_FAILED = "auth_failed"
    TOKEN_SENDER_MISMATCH = "token_sender_mismatch"
    TOKEN_PARTY_UNKNOWN = "token_party_unknown"
    TOKEN_ROUND_UNKNOWN = "token_round_unknown"
    UNKNOWN_SENDER = "unknown_sender"
    TAG_ROUND_NOT_OPEN = "tag_round_not_open"
    AMBIGUOUS_ROUND = "ambiguous_round"
    NO_OPEN_ROUND = "no_open_round"
    ROUND_CLOSED = "round_closed"
    SENDER_OVER_RATE = "sender_over_rate"

    def words(self, language: str) -> str:
        """The reason as staff read it, in ``language`` ("ja" unless "en"): the digest,
        `mailflow quarantine list/show` and the console all take it from here."""
        return _WORDS[self][1 if language == "en" else 0]


def reason_words(code: str, language: str) -> str:
    """A stored reason code in words; a code this version does not know, as stored."""
    try:
        return QuarantineReason(code).words(language)
    except ValueError:
        return code


# (Japanese, English) per reason; a test checks that every reason has both.
_WORDS: dict[QuarantineReason, tuple[str, str]] = {
    QuarantineReason.FROM_NOT_SINGLE: (
        "差出人（From）が一つではありません（複数のアドレスまたは複数のFrom欄）。",
        "The mail has more than one From address or From header, or none readable.",
    ),
    QuarantineReason.AUTH_FAILED: (
        "送信元認証（DMARC/DKIM/SPF）に失敗しました。",
        "Sender authentication (DMARC/DKIM/SPF) failed.",
    ),
    QuarantineReason.TOKEN_SENDER_MISMATCH: (
        "返信用アドレスの宛先と差出人が一致しません（転送・なりすましの可能性）。",
        "The reply token belongs to someone other than the sender (forwarded or spoofed).",
    ),
    QuarantineReason.TOKEN_PARTY_UNKNOWN: (
        "返信用アドレスの宛先が名簿にありません。",
        "The reply token names a member or department no longer registered.",
    ),
    QuarantineReason.TOKEN_ROUND_UNKNOWN: (
        "返信用アドレスの開催回がこの審議会にありません（削除された回など）。",
        "The reply token names a round this committee does not have (deleted since?).",
    ),
    QuarantineReason.UNKNOWN_SENDER: (
        "差出人が委員・所管課として登録されていません。",
        "The sender is not a registered member or department.",
    ),
    QuarantineReason.TAG_ROUND_NOT_OPEN: (
        "件名の開催回タグが受付中の回と一致しません。",
        "The subject's round tag names no round that is open for this sender.",
    ),
    QuarantineReason.AMBIGUOUS_ROUND: (
        "受付中の回が複数あり、どの回への返信か判断できません。",
        "Several rounds are open for this sender; which one is meant is unclear.",
    ),
    QuarantineReason.NO_OPEN_ROUND: (
        "差出人に受付中の回がありません。",
        "No round is open for this sender.",
    ),
    QuarantineReason.ROUND_CLOSED: (
        "返信先の開催回は中止・終了したか、見つかりません。",
        "The mail answers a round that is cancelled, closed or unknown.",
    ),
    QuarantineReason.SENDER_OVER_RATE: (
        "同じ差出人から1時間の上限を超えるメールが届きました（自動応答の連鎖など）。",
        "The sender is over its hourly limit of mails (an auto-responder loop, a flood).",
    ),
}


class Proof(enum.StrEnum):
    """How strongly the mail shows who wrote it (本人確認の強さ).

    Only PROVEN mail may change the record of a round (a decision, a correction, an
    answer); a CLAIMED change waits for its party to confirm it by replying.
    """

    PROVEN = "proven"  # our reply token for this party and round, or our border's DMARC pass
    CLAIMED = "claimed"  # only the From header says who wrote it


class EvidenceKind(enum.StrEnum):
    """How a mail was placed, strongest first (docs/design.md "Mail protocol")."""

    TOKEN = "token"
    REFERENCE = "reference"
    SUBJECT_TAG = "subject_tag"
    SOLE_OPEN_ROUND = "sole_open_round"
    AUTHENTICATED = "authenticated"  # our border server vouched for the From domain


@dataclass(frozen=True)
class Evidence:
    """One reason to believe the routing, with a short detail for the audit log."""

    kind: EvidenceKind
    detail: str


@dataclass(frozen=True)
class Routed:
    """The mail belongs to this round and party.

    ``proof`` says whether the sender is shown to be the party or only claims it;
    ``ask`` is the request (pending change, decision echo) a reply token names, when
    the mail answers one. ``flags`` carries what staff should still look at, such as
    ``auth_failed`` when the authentication policy is "flag".
    """

    round_id: str
    party: PartyRef
    evidence: tuple[Evidence, ...]
    flags: tuple[str, ...] = ()
    proof: Proof = Proof.CLAIMED
    ask: int | None = None


@dataclass(frozen=True)
class Quarantine:
    """The mail waits for staff: never dropped, never answered automatically."""

    reason: QuarantineReason
    detail: str


RouteOutcome = Routed | Quarantine
