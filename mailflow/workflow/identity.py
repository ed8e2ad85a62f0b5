"""Which changes to a round's record a mail may make, by how well it proves its sender.

From: is not identity. A reply token or a reference to our own mail (both carry the
HMAC token), or our border server's DMARC pass, proves who wrote; anything else only
claims it. A claimed change that would rewrite the record is kept pending, and the
party confirms it by replying to the mail we send to their registered address (the
confirmation loop Mailman uses for subscriptions). One table says it for every kind
of change; services apply the table and never decide it themselves.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping

from mailflow.routing.outcome import Proof


class Change(enum.StrEnum):
    """What one mail would do to the record of a round."""

    ITEMS = "items"  # new questions and opinions, or 特になし
    CORRECTIONS = "corrections"  # 訂正 / 取消 of the author's own items
    ANSWERS = "answers"  # a department's answers (回答)
    DECISIONS = "decisions"  # the decider's 答申


class Disposition(enum.StrEnum):
    """What becomes of a change."""

    APPLY = "apply"
    CONFIRM = "confirm"  # kept pending until the party replies to our request


# New items stay open to a claimed sender: members write fresh mails, and the receipt
# goes to the registered address, so the member a forger imitates sees the forgery.
DISPOSITIONS: Mapping[tuple[Change, Proof], Disposition] = {
    (Change.ITEMS, Proof.PROVEN): Disposition.APPLY,
    (Change.ITEMS, Proof.CLAIMED): Disposition.APPLY,
    (Change.CORRECTIONS, Proof.PROVEN): Disposition.APPLY,
    (Change.CORRECTIONS, Proof.CLAIMED): Disposition.CONFIRM,
    (Change.ANSWERS, Proof.PROVEN): Disposition.APPLY,
    (Change.ANSWERS, Proof.CLAIMED): Disposition.CONFIRM,
    (Change.DECISIONS, Proof.PROVEN): Disposition.APPLY,
    (Change.DECISIONS, Proof.CLAIMED): Disposition.CONFIRM,
}


def dispose(change: Change, proof: Proof) -> Disposition:
    """Apply the change now, or keep it until its party confirms."""
    return DISPOSITIONS[(change, proof)]


class RequestKind(enum.StrEnum):
    """What we asked a party to answer by replying (the token names the request)."""

    CHANGE = "change"  # confirm the changes of a mail that did not prove its sender
    DECISION_ECHO = "decision_echo"  # confirm the decision as we understood it


class Reply(enum.StrEnum):
    """What a reply to a request says."""

    ASSENT = "assent"  # 確認しました, はい, an empty reply
    DISSENT = "dissent"  # 送っていません, 身に覚えがありません
    OTHER = "other"  # anything else: new content, to be read as a mail of its own


class Resolution(enum.StrEnum):
    """What a reply to an open request does."""

    APPLY = "apply"  # the pending change is applied (the decision with it confirmed)
    CONFIRM = "confirm"  # the echoed decision is confirmed
    REFUSE = "refuse"  # the party disowns the change: nothing applied, staff told
    READ = "read"  # the reply is read as an ordinary mail; the request stays open


RESOLUTIONS: Mapping[tuple[RequestKind, Reply], Resolution] = {
    (RequestKind.CHANGE, Reply.ASSENT): Resolution.APPLY,
    (RequestKind.CHANGE, Reply.DISSENT): Resolution.REFUSE,
    (RequestKind.CHANGE, Reply.OTHER): Resolution.READ,
    (RequestKind.DECISION_ECHO, Reply.ASSENT): Resolution.CONFIRM,
    # 「違います」 to an echo is the decider correcting it: their new lines are read.
    (RequestKind.DECISION_ECHO, Reply.DISSENT): Resolution.READ,
    (RequestKind.DECISION_ECHO, Reply.OTHER): Resolution.READ,
}


def resolve(kind: RequestKind, reply: Reply) -> Resolution:
    """What a proven reply to an open request of ``kind`` does."""
    return RESOLUTIONS[(kind, reply)]


# はい / いいえ / ok stand alone: 「予測数はいくつか」 holds はい, 「token」 holds ok.
_ALONE_BEFORE = r"(?:^|(?<=[\s、。,.!！]))"
_ALONE_AFTER = r"(?=$|[\s、。,.!！])"
_DISSENT = re.compile(
    r"送って(?:い)?ません|送信して(?:い)?ません|送っていない|送信していない|身に覚え|心当たり"
    r"|覚えが(?:ありません|ない)|私ではありません|本人ではありません|なりすまし|成りすまし"
    r"|違います|ちがいます|not me|did not send|didn't send"
    rf"|{_ALONE_BEFORE}(?:いいえ|no){_ALONE_AFTER}",
    re.IGNORECASE | re.MULTILINE,
)
_ASSENT = re.compile(
    r"確認(?:しました|いたしました|致しました|済み)|相違(?:ありません|ございません|なし)"
    r"|間違いありません|了解|承知|了承|確定(?:します|してください|願います|をお願い)"
    r"|問題(?:ありません|ございません|ない)|異議(?:ありません|ございません|なし)"
    r"|その(?:内容|とおり|通り)で|それで(?:お願い|よろしく|結構|大丈夫)|大丈夫です"
    r"|よろしいです|結構です|(?<![A-Za-z])(?:ok|yes|confirm|confirmed)(?![A-Za-z])"
    rf"|{_ALONE_BEFORE}はい{_ALONE_AFTER}",
    re.IGNORECASE | re.MULTILINE,
)
# An assent is a short reply; a long one carries content of its own and is read as such.
_ASSENT_MAX_CHARS = 200


def read_reply(new_text: str, *, content: bool = False) -> Reply:
    """What the new text of a reply to a request says (quotes already removed).

    ``content`` says the reply carries changes of its own (a decision line, a 訂正,
    answers by ID): it is then read as a mail, never taken as a bare 「確認しました」.
    An empty reply assents, as a reply to a Mailman confirmation does; a disowning
    word wins over an assenting one (「確認しましたが、送っていません」).
    """
    text = unicodedata.normalize("NFKC", new_text).strip()
    if _DISSENT.search(text):
        return Reply.DISSENT
    if content:
        return Reply.OTHER
    if not text:
        return Reply.ASSENT
    if len(text) <= _ASSENT_MAX_CHARS and _ASSENT.search(text):
        return Reply.ASSENT
    return Reply.OTHER
