"""A staff alert as one line in the committee's language, people named by name (pure).

The engine's alerts carry ids and flags (`workflow.actions.StaffAlert`); the digest
shows them through this table, one formatter per kind and language. Intake's lines
(`intake_line`, about one stored mail) and the other notices (`notice_line`) are worded
when they are raised, from codes and fields, and travel as a `StaffLine` that says what
it is about: the digest sorts and drops lines by those fields, never by their words.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mailflow.outbound.views import AlertLine
from mailflow.parsing.attachment_bounds import Refusal
from mailflow.routing.echo import EchoReason
from mailflow.routing.outcome import reason_words
from mailflow.workflow.actions import AlertKind

_MARKS = {"1": "①", "2": "②", "3": "③", "4": "④"}


def _mark(a: AlertLine) -> str:
    return _MARKS.get(a.subject, a.subject)


def _late_ja(a: AlertLine) -> str:
    text = f"期限後に届いた {'、'.join(a.items)} を保留しています"
    if a.parties:
        how = "追加送付します" if a.followup else "送付します"
        text += f"。受け付けると{'、'.join(a.parties)}へ{how}"
    if a.supplement:
        text += "。②は送付済みのため、その回答は委員へ追加送付します"
    return text + "（mailflow item accept / reject）"


def _late_en(a: AlertLine) -> str:
    text = f"late {', '.join(a.items)} held"
    if a.parties:
        how = "a follow-up bundle" if a.followup else "their bundle"
        text += f"; if accepted it goes to {', '.join(a.parties)} in {how}"
    if a.supplement:
        text += ", and members get its answer as a supplement (② has gone)"
    return text + " (mailflow item accept / reject)"


def _place(a: AlertLine) -> str:
    return f"mailflow item place {'/'.join(a.items)} --consultation K --why …"


# Keyed by the kind's value (an AlertLine carries it as text); a test checks that every
# AlertKind has words in both tables.
_JA: dict[str, Callable[[AlertLine], str]] = {
    "missing_replies": lambda a: (
        f"{_mark(a)}の期限までに返信のなかった委員：{'、'.join(a.parties)}"
    ),
    "unanswered": lambda a: f"{_mark(a)}で回答の届いていない質疑：{'、'.join(a.items)}",
    "late_item": _late_ja,
    "no_department": lambda a: (
        f"諮問案件 {'、'.join(a.items)} に質疑がありますが所管課がありません（設定を確認）"
    ),
    "decision_incomplete": lambda a: (
        f"{'、'.join(a.parties)}の答申が明確でない諮問案件：{'、'.join(a.items)}（再確認を依頼済み）"
    ),
    "decision_overdue": lambda a: (
        f"④の期限を過ぎても答申がありません：{'、'.join(a.parties)}（{'、'.join(a.items)}）"
    ),
    "no_decider": lambda a: (
        "会長が欠席で、答申の代理も指定されていません"
        "（mailflow round delegate で会長職務代理に委任）"
    ),
    "unplaced_item": lambda a: (
        f"{'、'.join(a.parties) or '委員'}の項目（番号 {'、'.join(a.items)}）に"
        f"諮問案件の指定がありません（{_place(a)}）"
    ),
}

_EN: dict[str, Callable[[AlertLine], str]] = {
    "missing_replies": lambda a: f"{_mark(a)} closed without a reply from {', '.join(a.parties)}",
    "unanswered": lambda a: f"no answer yet in {_mark(a)} to {', '.join(a.items)}",
    "late_item": _late_en,
    "no_department": lambda a: f"consultation {', '.join(a.items)} has items but no department",
    "decision_incomplete": lambda a: (
        f"no clear decision from {', '.join(a.parties)} on {', '.join(a.items)} (asked again)"
    ),
    "decision_overdue": lambda a: (
        f"④ passed with no decision from {', '.join(a.parties)} on {', '.join(a.items)}"
    ),
    "no_decider": lambda a: (
        "no chair present and no delegate (mailflow round delegate to the deputy)"
    ),
    "unplaced_item": lambda a: (
        f"item {', '.join(a.items)} of {', '.join(a.parties) or 'a member'} names no "
        f"consultation ({_place(a)})"
    ),
}

_TABLES = {"ja": _JA, "en": _EN}


def alert_text(line: AlertLine, language: str) -> str:
    """The line staff read: from the table when the kind has words, else as written
    (intake's lines, already worded by `intake_line`)."""
    formatter = _TABLES.get(language, _JA).get(line.what)
    return formatter(line) if formatter is not None else line.detail


def worded_kinds(language: str) -> frozenset[AlertKind]:
    """The engine's alert kinds the table of ``language`` words."""
    return frozenset(k for k in AlertKind if k.value in _TABLES.get(language, {}))


class Intake(enum.StrEnum):
    """What intake tells staff of one stored mail (the digest's 「受信メール N」 lines)."""

    UNPROVEN_HELD = "unproven_held"
    UNPROVEN_NOTHING = "unproven_nothing"
    ECHO_AGAIN = "echo_again"
    DISOWNED = "disowned"
    ECHO_STALE = "echo_stale"
    DOCUMENT_UNREAD = "document_unread"
    LATE_REPLY = "late_reply"
    LOW_CONFIDENCE = "low_confidence"
    UNKNOWN_ANSWER = "unknown_answer"
    SHEET_REFUSED = "sheet_refused"
    DECISION_UNNAMED = "decision_unnamed"
    DECISION_UNCLEAR = "decision_unclear"
    NO_RECEIPT = "no_receipt"
    TRUNCATED = "truncated"
    OVER_BUDGET = "over_budget"
    CORRECTION_REFUSED = "correction_refused"
    CORRECTION_HELD = "correction_held"
    HELD = "held"  # quarantined: `reason`, a routing.QuarantineReason
    FLOOD = "flood"  # the first mail over its sender's hourly rate: `name`, `role`, `limit`
    RECEIPT_ECHO = "receipt_echo"  # a reply to a receipt with nothing new: `why`, an EchoReason
    BOUNCE = "bounce"  # a delivery failed: `address`, `name` (None off the roster), `permanent`


class ParseOverrun(enum.StrEnum):
    """Which limit a mail's parsing went over (OVER_BUDGET; `limit` says how much)."""

    WALL_TIME = "wall_time"  # seconds: the parsing process stopped answering
    CPU_TIME = "cpu_time"  # seconds of CPU
    MEMORY = "memory"  # megabytes
    ENDED = "ended"  # the parsing process died (`status`: its exit status)


class CorrectionReason(enum.StrEnum):
    """Why a member's 訂正/取消 was refused or held (CORRECTION_REFUSED / _HELD)."""

    UNKNOWN_ITEM = "unknown_item"  # no such item in the round
    NOT_AUTHOR = "not_author"  # the sender (`author`) did not write it
    NO_TEXT = "no_text"  # 訂正 with no new text
    STAFF_EDITED = "staff_edited"  # staff changed the item since: a conflict for staff
    BUNDLE_SENT = "bundle_sent"  # the departments already have the item


class ReceiptFailure(enum.StrEnum):
    """Why the receipt of a filed mail could not be queued (NO_RECEIPT; `error` is the
    error's type, a program's word, shown labelled as such)."""

    DATABASE = "database"  # the database refused to store it
    OTHER = "other"  # rendering or composing it failed


_ROLE_JA = {"member": "委員", "chair": "会長", "delegate": "会長職務代理", "department": "所管課"}
_CHANGE_JA = {
    "items": "質疑・意見",
    "corrections": "訂正・取消",
    "answers": "回答",
    "decisions": "答申",
}
_ACTION_JA = {"correct": "訂正", "withdraw": "取消"}


_REFUSAL_JA = {
    Refusal.TOO_LARGE: "ファイルが大きすぎます",
    Refusal.UNPACKS_TOO_LARGE: "展開後の大きさが上限を超えています",
    Refusal.COMPRESSED_TOO_FAR: "圧縮率が異常に高く、安全に開けません",
    Refusal.TOO_MANY_PARTS: "ファイルの構成要素が多すぎます",
    Refusal.NOT_READABLE: "この種類のファイルとして開けません",
    Refusal.NO_TEXT: "文字が含まれていません（画像だけのPDFなど）",
    Refusal.TOO_MANY_ROWS: "行またはセルが多すぎます",
    Refusal.CELL_TOO_LONG: "1つのセルの文字数が上限を超えています",
}
_REFUSAL_EN = {
    Refusal.TOO_LARGE: "the file is too large",
    Refusal.UNPACKS_TOO_LARGE: "it unpacks to more than allowed",
    Refusal.COMPRESSED_TOO_FAR: "it is compressed too far to open safely",
    Refusal.TOO_MANY_PARTS: "it has too many parts",
    Refusal.NOT_READABLE: "it cannot be opened as a file of its type",
    Refusal.NO_TEXT: "it holds no text (a scanned image?)",
    Refusal.TOO_MANY_ROWS: "it has too many rows or cells",
    Refusal.CELL_TOO_LONG: "a cell holds more characters than allowed",
}
_OVERRUN_JA = {
    ParseOverrun.WALL_TIME: "読み取りが {limit:g} 秒を過ぎても終わらず、停止しました",
    ParseOverrun.CPU_TIME: "読み取りが CPU 時間の上限 {limit:g} 秒を超えました",
    ParseOverrun.MEMORY: "読み取りがメモリの上限 {limit:g} MB を超えました",
    ParseOverrun.ENDED: "読み取りの処理が異常終了しました（終了コード {status}）",
}
_OVERRUN_EN = {
    ParseOverrun.WALL_TIME: "parsing ran past {limit:g} s and was stopped",
    ParseOverrun.CPU_TIME: "parsing went over its {limit:g} s of CPU time",
    ParseOverrun.MEMORY: "parsing went over its {limit:g} MB of memory",
    ParseOverrun.ENDED: "the parsing process ended unexpectedly (exit status {status})",
}
_CORRECTION_JA = {
    CorrectionReason.UNKNOWN_ITEM: "この回にその番号の質疑・意見はありません",
    CorrectionReason.NOT_AUTHOR: "{author}さんの質疑・意見ではありません",
    CorrectionReason.NO_TEXT: "訂正後の文がありません",
    CorrectionReason.STAFF_EDITED: "事務局が修正した項目のため、食い違いを確認してください",
    CorrectionReason.BUNDLE_SENT: "所管課へ送付済みです",
}
_CORRECTION_EN = {
    CorrectionReason.UNKNOWN_ITEM: "no such item in the round",
    CorrectionReason.NOT_AUTHOR: "{author} is not its author",
    CorrectionReason.NO_TEXT: "訂正 without the new text",
    CorrectionReason.STAFF_EDITED: "staff edited the item (conflict)",
    CorrectionReason.BUNDLE_SENT: "the departments already have the item",
}
_RECEIPT_JA = {
    ReceiptFailure.DATABASE: "データベースが保存を拒みました",
    ReceiptFailure.OTHER: "返信を作成できませんでした",
}
_RECEIPT_EN = {
    ReceiptFailure.DATABASE: "the database refused it",
    ReceiptFailure.OTHER: "it could not be made",
}


def _ja_list(words: object, table: dict[str, str]) -> str:
    return "・".join(table.get(w, w) for w in words)  # type: ignore[attr-defined]


def _overrun(table: dict[ParseOverrun, str], f: dict[str, Any]) -> str:
    return table[ParseOverrun(f["overrun"])].format(
        limit=f.get("limit") or 0, status=f.get("status")
    )


def _correction(table: dict[CorrectionReason, str], f: dict[str, Any]) -> str:
    return table[CorrectionReason(f["why"])].format(author=f.get("author") or "")


def _late_reply_ja(f: dict[str, Any]) -> str:
    text = f"{f['mark']}の期限後に届いた返信です"
    if f.get("followup"):
        text += f"。受け付け、{'、'.join(f['followup'])}を所管課へ追加送付します"
    return text


def _late_reply_en(f: dict[str, Any]) -> str:
    text = f"late reply for phase {f['mark']}"
    if f.get("followup"):
        text += "; accepted, its departments get it in a follow-up bundle: "
        text += " ".join(f["followup"])
    return text


_ECHO_JA = {
    EchoReason.NO_TEXT: "本文がありません",
    EchoReason.RECEIPT_LINES: "受付確認の文面だけです",
    EchoReason.SAME_AS_EARLIER: "直前のメールと同じ文面です",
}
_ECHO_EN = {
    EchoReason.NO_TEXT: "no text of its own",
    EchoReason.RECEIPT_LINES: "only the receipt's own lines",
    EchoReason.SAME_AS_EARLIER: "the same text as an earlier mail of the sender",
}


def _who_ja(f: dict[str, Any]) -> str:
    """A person by name with さん, a department by its name, the role where none is known."""
    name, role = f.get("name"), f.get("role") or "member"
    if not name:
        return _ROLE_JA.get(role, "委員")
    return name if role == "department" else f"{name}さん"


def _who_en(f: dict[str, Any]) -> str:
    return str(f.get("name") or f"a {f.get('role') or 'member'}")


def _shown(text: str) -> str:
    """Words of another server's, fit for one line: control characters shown, 120 at most."""
    flat = "".join(c if c.isprintable() else "?" for c in text)
    return flat if len(flat) <= 120 else flat[:117] + "..."


def _bounce_ja(f: dict[str, Any]) -> str:
    if f.get("name"):
        text = f"{_who_ja(f)}宛て（{f['address']}）のメールが届かなかったとの通知です"
    else:
        text = (
            "名簿にないアドレス宛てのメールが届かなかったとの通知です"
            f"（通知にあるアドレス：{_shown(f['address'])}）"
        )
    if f.get("permanent"):
        return text + "。アドレスが正しいか確認してください"
    return text + "。一時的な失敗で、相手先のサーバーが送り直すことがあります"


def _bounce_en(f: dict[str, Any]) -> str:
    if f.get("name"):
        text = f"mail to {_who_en(f)} ({f['address']}) was not delivered"
    else:
        text = (
            "mail to an address not on the roster was not delivered "
            f"(the address in the report: {_shown(f['address'])})"
        )
    if f.get("permanent"):
        return text + "; check the address"
    return text + " for now (a temporary failure; the remote server may try again)"


_INTAKE_JA: dict[Intake, Callable[[dict[str, Any]], str]] = {
    Intake.UNPROVEN_HELD: lambda f: (
        f"{_ROLE_JA.get(f['role'], f['role'])}の名義の{_ja_list(f['changes'], _CHANGE_JA)}は"
        f"差出人を確認できない（From: のみ）ため保留し、返信での確定を依頼しました"
        f"（依頼 {f['request']}）"
    ),
    Intake.UNPROVEN_NOTHING: lambda f: (
        f"{_ROLE_JA.get(f['role'], f['role'])}の名義ですが差出人を確認できず、"
        "反映する内容もありません"
    ),
    Intake.ECHO_AGAIN: lambda f: (
        f"答申の確認依頼への返信が確定とも答申とも読めないため、{f['name']}さんに確認依頼を再送しました"
    ),
    Intake.DISOWNED: lambda f: (
        f"{_ROLE_JA.get(f['role'], f['role'])}が「送っていない」と返信しました（返信 {f['reply']}、"
        f"依頼 {f['request']}）。何も反映していません。なりすましの可能性があります"
    ),
    Intake.ECHO_STALE: lambda f: "その後に変わった答申への確認です。反映していません",
    Intake.DOCUMENT_UNREAD: lambda f: (
        f"{f['who'] or '委員'}さんの添付ファイル「{f['filename']}」を読めませんでした"
        f"（{_REFUSAL_JA[Refusal(f['reason'])]}）。内容を確認し、手作業で登録してください"
        "（mailflow item add）"
    ),
    Intake.LATE_REPLY: _late_reply_ja,
    Intake.LOW_CONFIDENCE: lambda f: (
        f"{f['item']}の読み取りに自信がありません。内容を確認してください"
    ),
    Intake.UNKNOWN_ANSWER: lambda f: f"存在しない質疑番号 {f['item']} への回答です",
    Intake.SHEET_REFUSED: lambda f: (
        f"回答シート「{f['filename']}」を受け付けませんでした"
        f"（{_REFUSAL_JA[Refusal(f['reason'])]}）"
    ),
    Intake.DECISION_UNNAMED: lambda f: "諮問案件を特定できない答申があります",
    Intake.DECISION_UNCLEAR: lambda f: f"{f['consultation']}の答申が明確ではありません",
    Intake.NO_RECEIPT: lambda f: (
        f"登録しましたが受付の返信を送れませんでした（{_RECEIPT_JA[ReceiptFailure(f['why'])]}。"
        f"エラーの種類：{f['error']}）。原因を直した後、"
        f"mailflow reprocess --message {f['message']} を実行してください"
    ),
    Intake.TRUNCATED: lambda f: "サイズの上限を超えたため、切り詰めて保存しました",
    Intake.OVER_BUDGET: lambda f: (
        f"処理できませんでした（{_overrun(_OVERRUN_JA, f)}）。保存のみで未処理です"
    ),
    Intake.CORRECTION_REFUSED: lambda f: (
        f"{f['item']}の{_ACTION_JA.get(f['action'], f['action'])}を受け付けませんでした"
        f"（{_correction(_CORRECTION_JA, f)}）"
    ),
    Intake.CORRECTION_HELD: lambda f: (
        f"{f['item']}の{_ACTION_JA.get(f['action'], f['action'])}を保留しました"
        f"（{_correction(_CORRECTION_JA, f)}）"
    ),
    Intake.HELD: lambda f: (
        f"確認待ちとして保留しました：{reason_words(f['reason'], 'ja')}"
        f"（mailflow quarantine show {f['message']}）"
    ),
    Intake.FLOOD: lambda f: (
        f"{_who_ja(f)}から1時間に {f['limit']} 通を超えるメールが届きました。このメールから後は"
        "読み込まずに保留します（mailflow quarantine list で一覧、quarantine assign で振り分け、"
        "discard で除外）"
    ),
    Intake.RECEIPT_ECHO: lambda f: (
        f"{_who_ja(f)}からの受付確認への返信に新しい内容がありません"
        f"（{_ECHO_JA[EchoReason(f['why'])]}）。自動応答とみて保存のみとし、"
        "読み込みも返信もしていません"
    ),
    Intake.BOUNCE: _bounce_ja,
}

_INTAKE_EN: dict[Intake, Callable[[dict[str, Any]], str]] = {
    Intake.UNPROVEN_HELD: lambda f: (
        f"{', '.join(f['changes'])} from a sender not proven (From: alone) held until the "
        f"{f['role']} confirms by reply (request {f['request']})"
    ),
    Intake.UNPROVEN_NOTHING: lambda f: (
        f"in the {f['role']}'s name, sender not proven, nothing to apply"
    ),
    Intake.ECHO_AGAIN: lambda f: (
        "the reply to the decision echo neither confirms nor decides; "
        f"the echo went again to {f['name']}"
    ),
    Intake.DISOWNED: lambda f: (
        f"its {f['role']} says they did not send it (reply {f['reply']} to request "
        f"{f['request']}); nothing applied, possible forgery"
    ),
    Intake.ECHO_STALE: lambda f: "confirms an echo of a decision changed since; not applied",
    Intake.DOCUMENT_UNREAD: lambda f: (
        f"the attached {f['filename']!r} from {f['who'] or 'a member'} could not be read "
        f"({_REFUSAL_EN[Refusal(f['reason'])]}); read it and file its items by hand "
        "(mailflow item add)"
    ),
    Intake.LATE_REPLY: _late_reply_en,
    Intake.LOW_CONFIDENCE: lambda f: f"{f['item']} read with low confidence",
    Intake.UNKNOWN_ANSWER: lambda f: f"answer to unknown item {f['item']}",
    Intake.SHEET_REFUSED: lambda f: (
        f"answer sheet {f['filename']!r} refused: {_REFUSAL_EN[Refusal(f['reason'])]}"
    ),
    Intake.DECISION_UNNAMED: lambda f: "a decision names no consultation",
    Intake.DECISION_UNCLEAR: lambda f: f"the decision on {f['consultation']} is unclear",
    Intake.NO_RECEIPT: lambda f: (
        f"filed, but no receipt could be queued ({_RECEIPT_EN[ReceiptFailure(f['why'])]}; "
        f"error type: {f['error']}); "
        f"`mailflow reprocess --message {f['message']}` once fixed"
    ),
    Intake.TRUNCATED: lambda f: "over the size cap and stored truncated",
    Intake.OVER_BUDGET: lambda f: f"failed: {_overrun(_OVERRUN_EN, f)}; stored, not processed",
    Intake.CORRECTION_REFUSED: lambda f: (
        f"{f['action']} of {f['item']} refused: {_correction(_CORRECTION_EN, f)}"
    ),
    Intake.CORRECTION_HELD: lambda f: (
        f"{f['action']} of {f['item']} held: {_correction(_CORRECTION_EN, f)}"
    ),
    Intake.HELD: lambda f: (
        f"held for staff: {reason_words(f['reason'], 'en')} "
        f"(mailflow quarantine show {f['message']})"
    ),
    Intake.FLOOD: lambda f: (
        f"{_who_en(f)} sent more than {f['limit']} mails within an hour; from this mail on, "
        "their mail is held, not read into items (mailflow quarantine list; "
        "`quarantine assign` releases one, `discard` sets it aside)"
    ),
    Intake.RECEIPT_ECHO: lambda f: (
        f"{_who_en(f)}'s reply to our receipt has nothing new "
        f"({_ECHO_EN[EchoReason(f['why'])]}; an auto-responder?): filed, "
        "not read into items, not answered"
    ),
    Intake.BOUNCE: _bounce_en,
}

_MAIL_JA = "受信メール {}："
_MAIL_EN = "message {}: "


def intake_line(language: str, kind: Intake, message: int, **fields: Any) -> StaffLine:
    """One line of intake about stored mail ``message``, in the committee's language;
    never a message body (the fields are names, IDs, file names and reason codes, each
    code worded by the tables above)."""
    ja = language != "en"
    head = (_MAIL_JA if ja else _MAIL_EN).format(message)
    words = (_INTAKE_JA if ja else _INTAKE_EN)[kind]({**fields, "message": message})
    return StaffLine(kind, head + words, message)


class StaffNotice(enum.StrEnum):
    """What staff are told of no single stored mail's reading: the mailbox, the digest's
    own counts, and why a mail waits for them."""

    FOLDER_REFUSED = "folder_refused"  # `folder`, `setting`, the server's `reply`
    MORE_INTAKE = "more_intake"  # `count` intake lines past the digest's limit
    MORE_WAITING = "more_waiting"  # `count` waiting mails past the digest's limit
    FAILED = "failed"  # processing failed on the mail: `error`, the exception's type or None
    UNREADABLE = "unreadable"  # the server would not send mail `uid` of folder `mailbox`
    DATABASE_WAITED = "database_waited"  # unusable from `since` (local time) for `seconds`


_NOTICE_JA: dict[StaffNotice, Callable[[dict[str, Any]], str]] = {
    StaffNotice.FOLDER_REFUSED: lambda f: (
        f"メールサーバーがフォルダ「{f['folder']}」を作成できませんでした（設定 {f['setting']}）。"
        "フォルダができるか、設定を既にあるフォルダに改めるまで、メールは受信箱に残し、"
        "読み込み済みの印を付けます。"
        f"メールサーバーの応答：{f['reply'] or '（なし）'}"
    ),
    StaffNotice.MORE_INTAKE: lambda f: f"ほか {f['count']} 件の受信時の通知があります",
    StaffNotice.MORE_WAITING: lambda f: (
        f"ほか {f['count']} 通のメールが確認を待っています（mailflow quarantine list）"
    ),
    StaffNotice.FAILED: lambda f: (
        f"処理中にエラーが発生しました（エラーの種類：{f['error'] or '不明'}）。原因を直した後、"
        "mailflow reprocess --failed を実行してください"
    ),
    StaffNotice.UNREADABLE: lambda f: (
        f"メールサーバーがフォルダ「{f['mailbox']}」の UID {f['uid']} のメールを渡しませんでした。"
        "メールはサーバーに残り、mailflow は読んでいません。メールソフトで開いて .eml ファイルに"
        "保存し、mailflow ingest FILE.eml を実行してください"
    ),
    StaffNotice.DATABASE_WAITED: lambda f: (
        f"{f['since']} から約 {f['seconds']} 秒間、データベースを使えませんでした（他のプログラムに"
        "よるロック、またはデータベースサーバーの停止）。mailflow は待ってから処理を続けました。"
        "失われたものはありません"
    ),
}

_NOTICE_EN: dict[StaffNotice, Callable[[dict[str, Any]], str]] = {
    StaffNotice.FOLDER_REFUSED: lambda f: (
        f"the mail server could not create the folder {f['folder']!r} ({f['setting']}); "
        "mail stays in the mailbox, marked as read by mailflow, until the folder exists "
        f"or the setting names one that does. The server's reply: {f['reply'] or '(none)'}"
    ),
    StaffNotice.MORE_INTAKE: lambda f: f"… and {f['count']} more intake alerts",
    StaffNotice.MORE_WAITING: lambda f: (
        f"… and {f['count']} more mails wait for staff: mailflow quarantine list"
    ),
    StaffNotice.FAILED: lambda f: (
        f"processing failed (error type: {f['error'] or 'unknown'}); "
        "`mailflow reprocess --failed` once the cause is fixed"
    ),
    StaffNotice.UNREADABLE: lambda f: (
        f"the mail server failed to send the mail with UID {f['uid']} in {f['mailbox']}: it "
        "is still there, unread by mailflow; open it in a mail client, save it as .eml and "
        "run `mailflow ingest FILE.eml`"
    ),
    StaffNotice.DATABASE_WAITED: lambda f: (
        f"the database could not be used from {f['since']} for about {f['seconds']} s "
        "(locked by another program, or the server down); mailflow waited and went on, "
        "nothing was lost"
    ),
}


def notice_line(language: str, kind: StaffNotice, **fields: Any) -> StaffLine:
    """One such line in the committee's language; the fields are names, counts, a setting,
    an error's type and a server's reply (labelled as such), never a message's text."""
    return StaffLine(kind, (_NOTICE_EN if language == "en" else _NOTICE_JA)[kind](fields))


@dataclass(frozen=True)
class StaffLine:
    """One line for the staff digest, worded, with what it is about: its kind and the
    stored mail it names (「受信メール N」), if any. Equal lines are one line."""

    kind: Intake | StaffNotice
    text: str
    message: int | None = None
