"""The console's words in Japanese (default) and English (``committee.language = "en"``).

One table, key → (日本語, English). A key missing from it is a bug the tests catch;
a value of the record that has no label yet (a new state) is shown as it is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

LABELS: dict[str, tuple[str, str]] = {
    "app.name": ("書面審議 事務局コンソール", "Written deliberation — staff console"),
    "nav.label": ("メニュー", "Menu"),
    "nav.skip": ("本文へ移動", "Skip to content"),
    "nav.rounds": ("開催回", "Rounds"),
    "nav.quarantine": ("未振り分けメール", "Quarantine"),
    "nav.outbox": ("送信メール", "Outbox"),
    "nav.audit": ("操作記録", "Audit log"),
    "nav.health": ("稼働状況", "Health"),
    "nav.committees": ("審議会", "Committees"),
    "nav.logout": ("ログアウト", "Log out"),
    "role.staff": ("事務局", "staff"),
    "role.auditor": ("閲覧のみ", "auditor"),
    "login.title": ("ログイン", "Log in"),
    "login.login": ("ログイン名", "Login"),
    "login.password": ("パスワード", "Password"),
    "login.submit": ("ログイン", "Log in"),
    "login.failed": ("ログイン名またはパスワードが違います。", "Wrong login or password."),
    "login.locked": (
        "ログインの失敗が続いたため、しばらくログインできません。15分ほど後にお試しください。",
        "Too many failed logins: this login is locked for a while. Try again later.",
    ),
    "error.title": ("操作できませんでした", "That did not work"),
    "error.back": ("戻る", "Back"),
    "error.not_found": ("見つかりません。", "Not found."),
    "error.csrf": (
        "フォームの有効期限が切れたか、不正な送信です。ページを開き直してください。",
        "The form has expired or was not sent from this console. Reload the page.",
    ),
    "error.auditor": ("閲覧のみの権限では変更できません。", "Auditors cannot change anything."),
    "form.why": ("理由", "Reason"),
    "form.why_missing": (
        "理由を入力してください（操作記録に残ります）。",
        "Give the reason (it is kept in the audit log).",
    ),
    "done.imported": ("開催回を取り込みました。", "Round imported."),
    "done.opened": ("開催回を開始しました。", "Round opened."),
    "done.deadline_set": ("期限を変更しました。", "Deadline changed."),
    "done.close_early": ("受付を締め切りました。", "Phase closed early."),
    "done.delegate": ("会長職務代理に委ねました。", "Decision delegated."),
    "done.cancel": ("開催回を中止しました。", "Round cancelled."),
    "done.edited": (
        "公表用の文言を保存しました（原文は保存されています）。",
        "Published wording saved (the original is kept).",
    ),
    "done.accepted": ("遅れて届いた項目を受け付けました。", "Late item accepted."),
    "done.rejected": ("遅れて届いた項目を受け付けませんでした。", "Late item rejected."),
    "done.answered": ("回答を記録しました。", "Answer recorded."),
    "done.reprocessed": ("再処理しました。", "Reprocessed."),
    "done.assigned": ("メールを振り分けました。", "Mail assigned."),
    "done.discarded": ("メールを破棄しました。", "Mail discarded."),
    "done.approved": ("送信を承認しました。", "Approved for sending."),
    "done.retried": ("再送信を指示しました。", "Queued to be sent again."),
    "rounds.title": ("開催回の一覧", "Rounds"),
    "rounds.caption": ("開催回ごとの状態、次の期限、件数", "State, next deadline and counts"),
    "rounds.id": ("ID", "ID"),
    "rounds.name": ("名称", "Title"),
    "rounds.state": ("状態", "State"),
    "rounds.next": ("次の期限", "Next deadline"),
    "rounds.items": ("質疑・意見", "Items"),
    "rounds.answered": ("回答済み", "answered"),
    "rounds.late": ("遅延", "late"),
    "rounds.held": ("保留", "Held"),
    "rounds.decisions": ("答申", "Decisions"),
    "rounds.actions": ("操作", "Actions"),
    "rounds.none": ("開催回はまだありません。", "No rounds yet."),
    "rounds.open": ("開始する", "Open"),
    "rounds.deadline": ("期限を変更", "Set a deadline"),
    "rounds.import": ("開催回ファイルの取り込み", "Import a round file"),
    "rounds.round_file": ("開催回ファイル（.toml）", "Round file (.toml)"),
    "rounds.documents": (
        "添付する資料（開催回ファイルに書かれたもの）",
        "Documents the round file names",
    ),
    "rounds.import_submit": ("取り込む", "Import"),
    "rounds.import_missing": ("開催回ファイルを選んでください。", "Choose a round file."),
    "deadline.title": ("期限の変更", "Change a deadline"),
    "deadline.current": ("現在の期限", "Current deadlines"),
    "deadline.phase": ("手順", "Step"),
    "deadline.when": ("新しい期限", "New deadline"),
    "deadline.when_help": (
        "日付（2021-01-20：その日の終わり）または日時（2021-01-20T17:00+09:00）",
        "A date (2021-01-20: the end of that day) or a date-time with offset",
    ),
    "deadline.preview": ("お知らせを確認する", "Preview the notices"),
    "deadline.notices": (
        "関係者へのお知らせ（確定すると送信待ちに入ります）",
        "Notices to those concerned (queued when you confirm)",
    ),
    "deadline.no_notices": ("お知らせは送られません。", "No notice goes out."),
    "deadline.confirm": ("この内容で期限を変更する", "Change the deadline"),
    "deadline.again": ("入力し直す", "Start again"),
    "deadline.bad_phase": ("手順を選んでください。", "Choose a step."),
    "command.close-early": ("受付を締め切る", "Close early"),
    "command.close-early.help": (
        "出席委員全員が回答済みのとき、①または③の受付を今締め切ります。",
        "Close ① or ③ now, when every present member has replied.",
    ),
    "command.delegate": ("会長職務代理に委ねる", "Delegate to the deputy"),
    "command.delegate.help": (
        "答申を会長に代わって会長職務代理が行います。",
        "The deputy chair decides in the chair's place.",
    ),
    "command.cancel": ("中止する", "Cancel the round"),
    "command.cancel.help": (
        "開催回を中止し、関係者全員に知らせます。取り消せません。",
        "Cancel the round and tell everyone concerned. This cannot be undone.",
    ),
    "command.cancel.confirm": ("中止することを確認しました", "I confirm the cancellation"),
    "command.confirm_missing": ("確認のチェックを入れてください。", "Tick the confirmation."),
    "command.member": ("委ねる委員", "Member"),
    "round.notice": ("通知日", "Notice"),
    "round.mail": ("受信メール", "Mail"),
    "round.minutes": ("会議録", "Minutes"),
    "round.timeline": ("日程", "Timeline"),
    "round.now": ("現在", "Now"),
    "round.closed_early": ("早期締切", "closed early"),
    "round.matrix": ("回答状況", "Replies"),
    "round.member": ("委員", "Member"),
    "round.role": ("役職", "Role"),
    "round.reminded": ("督促", "reminded"),
    "round.held": ("保留中の遅延項目", "Late items held"),
    "round.departments": ("所管課", "Departments"),
    "round.decision": ("答申", "Decision"),
    "round.confirmed": ("確認済み", "confirmed"),
    "round.unconfirmed": ("確認待ち", "awaiting confirmation"),
    "round.no_decision": ("まだありません", "none yet"),
    "round.no_items": ("質疑・意見はまだありません。", "No items yet."),
    "round.unplaced": ("諮問案件のない項目", "Items without a consultation"),
    "item.kind": ("種別", "Kind"),
    "item.author": ("委員", "Author"),
    "item.state": ("状態", "State"),
    "item.text": ("内容", "Text"),
    "item.answers": ("回答", "Answers"),
    "item.unanswered": ("未回答", "unanswered"),
    "item.edited": ("文言修正", "reworded"),
    "item.consultation": ("諮問案件", "Consultation"),
    "item.received": ("受信", "Received"),
    "item.follows": ("関連する項目", "Follows"),
    "item.reference": ("資料の箇所", "Reference"),
    "item.original": ("原文", "Original"),
    "item.published": ("公表用の文言", "Published wording"),
    "item.diff": ("変更箇所", "Changes"),
    "item.accept": ("受け付ける", "Accept"),
    "item.reject": ("受け付けない", "Reject"),
    "item.edit": ("公表用の文言を編集", "Edit the published wording"),
    "item.wording": ("公表用の文言", "Published wording"),
    "item.save": ("保存する", "Save"),
    "item.record_answer": ("メール以外で受けた回答を記録", "Record an answer received otherwise"),
    "item.by": ("回答者", "Answered by"),
    "item.secretariat": ("事務局", "Secretariat"),
    "item.label": (
        "会議録での表記（事務局のとき。例：情報公開係長）",
        "Name in the minutes (secretariat only)",
    ),
    "item.answer_text": ("回答", "Answer"),
    "item.record": ("記録する", "Record"),
    "mail.envelope": ("送信先", "Envelope"),
    "mail.attachment": ("添付", "Attachment"),
    "mail.no_subject": ("（件名なし）", "(no subject)"),
    "mail.none": ("この開催回のメールはまだありません。", "No mail for this round yet."),
    "mail.understood": ("読み取った内容", "Understood as"),
    "mail.nothing_read": ("記録はありません。", "Nothing recorded."),
    "mail.text": ("本文", "Text"),
    "mail.reprocess": ("再処理", "Reprocess"),
    "mail.reprocess_round": ("この開催回のメールをすべて再処理", "Reprocess the round's mail"),
    "record.item": ("項目", "Item"),
    "record.answer": ("回答", "Answer"),
    "record.decision": ("答申", "Decision"),
    "quarantine.reason": ("理由", "Reason"),
    "quarantine.round": ("開催回", "Round"),
    "quarantine.party": ("差出人", "From"),
    "quarantine.assign": ("振り分ける", "Assign"),
    "quarantine.discard": ("破棄する", "Discard"),
    "quarantine.none": ("未振り分けのメールはありません。", "Nothing in quarantine."),
    "quarantine.choose": ("開催回と差出人を選んでください。", "Choose a round and a sender."),
    "outbox.by_state": ("状態で絞り込み", "By state"),
    "outbox.all": ("すべて", "All"),
    "outbox.state": ("状態", "State"),
    "outbox.kind": ("種類", "Kind"),
    "outbox.to": ("宛先", "To"),
    "outbox.subject": ("件名", "Subject"),
    "outbox.attempts": ("試行", "Attempts"),
    "outbox.when": ("日時", "When"),
    "outbox.none": ("送信メールはありません。", "No outgoing mail."),
    "outbox.approve": ("承認", "Approve"),
    "outbox.approve_all": ("承認待ちをすべて承認", "Approve all drafts"),
    "outbox.retry": ("再送信", "Retry"),
    "outbox.retry_all": ("失敗したものをすべて再送信", "Retry all failed"),
    "outbox.preview": ("送信内容", "Preview"),
    "outbox.open_page": ("このメールのページを開く", "Open this mail's page"),
    "outbox.approved_by": ("承認者", "approved by"),
    "minutes.html": ("HTML をダウンロード", "Download HTML"),
    "minutes.md": ("Markdown をダウンロード", "Download Markdown"),
    "minutes.pdf": ("PDF をダウンロード", "Download PDF"),
    "minutes.json": ("記録一式（JSON）をダウンロード", "Download the record (JSON)"),
    "minutes.preview": ("プレビュー", "Preview"),
    "audit.round": ("開催回", "Round"),
    "audit.actor": ("操作者", "Who"),
    "audit.kind": ("種類", "Kind"),
    "audit.since": ("開始日", "From"),
    "audit.until": ("終了日", "Until"),
    "audit.any": ("すべて", "any"),
    "audit.filter": ("絞り込む", "Filter"),
    "audit.at": ("日時", "When"),
    "audit.reason": ("理由", "Reason"),
    "audit.detail": ("詳細", "Details"),
    "audit.none": ("該当する記録はありません。", "No matching events."),
    "audit.truncated": (
        "新しいものから500件を表示しています。絞り込んでください。",
        "Showing the newest 500: narrow the filters.",
    ),
    "health.cycle": ("最後の処理", "Last cycle"),
    "health.no_cycle": (
        "デーモンの処理記録はまだありません（mailflow run）。",
        "No daemon cycle recorded yet (mailflow run).",
    ),
    "health.servers": ("サーバーへの接続", "Servers"),
    "health.ok": ("接続できます", "reachable"),
    "health.leases": ("メールボックスの担当", "Mailbox leases"),
    "health.live": ("有効", "held"),
    "health.expired": ("期限切れ", "expired"),
    "health.no_leases": ("ありません", "none"),
}

# Values of the record, by prefix: rounds' states, phases, marks, kinds …
VALUES: dict[str, tuple[str, str]] = {
    "state.draft": ("準備中", "draft"),
    "state.collecting_questions": ("① 質疑・意見の受付", "① collecting questions"),
    "state.answering": ("② 所管課の回答", "② answering"),
    "state.distributed": ("② 一括送付済み", "② distributed"),
    "state.collecting_further": ("③ さらなる意見の受付", "③ collecting further opinions"),
    "state.responding": ("③ 所管課の回答", "③ responding"),
    "state.awaiting_decision": ("④ 答申待ち", "④ awaiting the decision"),
    "state.decided": ("答申済み", "decided"),
    "state.minutes_published": ("会議録公表済み", "minutes published"),
    "state.cancelled": ("中止", "cancelled"),
    "phase.1": ("① 質疑・意見", "① questions"),
    "phase.2": ("② 回答", "② answers"),
    "phase.3": ("③ さらなる意見", "③ further opinions"),
    "phase.4": ("④ 答申", "④ decision"),
    "mark.replied": ("回答あり", "replied"),
    "mark.nothing": ("特になし", "nothing to add"),
    "mark.late": ("遅延", "late"),
    "mark.waiting": ("未回答", "nothing yet"),
    "mark.absent": ("欠席", "absent"),
    "kind.question": ("質問", "question"),
    "kind.opinion": ("意見", "opinion"),
    "kind.request": ("要望", "request"),
    "istate.active": ("有効", "active"),
    "istate.held": ("保留", "held"),
    "istate.rejected": ("不受理", "rejected"),
    "istate.withdrawn": ("取消", "withdrawn"),
    "istate.corrected": ("訂正済み", "corrected"),
    "mstate.stored": ("未処理", "stored"),
    "mstate.done": ("処理済み", "done"),
    "mstate.quarantined": ("隔離", "quarantined"),
    "mstate.failed": ("処理失敗", "failed"),
    "mstate.discarded": ("破棄", "discarded"),
    "ostate.draft": ("承認待ち", "draft"),
    "ostate.approved": ("送信予定", "approved"),
    "ostate.sending": ("送信中", "sending"),
    "ostate.sent": ("送信済み", "sent"),
    "ostate.failed": ("送信失敗", "failed"),
    "ostate.cancelled": ("取消", "cancelled"),
    "party.member": ("委員", "member"),
    "party.department": ("所管課", "department"),
    "party.chair": ("会長", "chair"),
    "verdict.approve": ("可", "approve"),
    "verdict.approve_with_conditions": ("条件付き可", "approve with conditions"),
    "verdict.reject": ("否", "reject"),
    "verdict.unclear": ("不明確", "unclear"),
}


@lru_cache(maxsize=2)
def translator(lang: str) -> Callable[[str], str]:
    col = 1 if lang == "en" else 0

    def t(key: str) -> str:
        if key in LABELS:
            return LABELS[key][col]
        if key in VALUES:
            return VALUES[key][col]
        prefix, _, value = key.partition(".")
        if value and any(k.startswith(prefix + ".") for k in VALUES):
            return value  # a stored value without a label yet: shown as stored
        raise KeyError(f"no console label {key!r}")

    return t


class Labels(dict[str, str]):
    """The labels of one kind of value; a value without a label is shown as stored."""

    def __missing__(self, key: str) -> str:
        return key


@lru_cache(maxsize=32)
def group(lang: str, prefix: str) -> Labels:
    """{value: label} for every key ``prefix.value``: one lookup per cell of a big table."""
    col = 1 if lang == "en" else 0
    head = prefix + "."
    return Labels({k[len(head):]: v[col] for table in (LABELS, VALUES) for k, v in table.items()
                   if k.startswith(head)})  # fmt: skip
