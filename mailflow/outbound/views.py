"""What each outbound mail says, as frozen dataclasses the templates render (送付文の内容).

The services fill these from the store; the templates only format them. Views carry
names, never e-mail addresses: the composer puts addresses in the headers, so no
template can leak a member's address into a body that is quoted, forwarded or
published. Every view has a ``kind`` naming its template (``templates/mail/<lang>/
<kind>.txt``) and the outbox log (``call_for_questions``, ``receipt``, …).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

from mailflow.domain import ConsultationRef, ItemKind, Phase, Verdict
from mailflow.parsing.reply_form import short_number
from mailflow.workflow.actions import Audience


@dataclass(frozen=True)
class CommitteeInfo:
    """The committee (審議会) as mails name it, and how to reach its secretariat (事務局)."""

    name: str  # 個人情報保護運営審議会
    secretariat: str  # 総務部 総務課 情報公開係
    contact: str  # telephone and fax, as staff wrote it


@dataclass(frozen=True)
class RoundInfo:
    """A round (開催回): its subject tag, title, fiscal year and the four soft dates."""

    tag: str  # "R2-5", shown in subjects as [R2-5]
    title: str  # 令和2年度第5回個人情報保護運営審議会
    fiscal_year: int  # 2020 → 令和2年度
    deadlines: dict[Phase, datetime]  # aware; the dates shown to people, per phase


@dataclass(frozen=True)
class Recipient:
    """Whom a mail greets: a person (〇〇様) or a department (〇〇課 ご担当者様)."""

    name: str
    department: bool = False


@dataclass(frozen=True)
class ConsultationInfo:
    """A consultation (諮問案件) with the names of its responsible departments (所管課)."""

    key: str  # "13", used in item IDs
    number: str  # 令和2年度諮問第13号
    title: str  # 子育て応援ギフトセット配布業務委託
    departments: tuple[str, ...]  # 子ども保健・給付課

    @property
    def ref(self) -> ConsultationRef:
        return ConsultationRef(self.key, self.number, self.title)

    @property
    def short_number(self) -> str:
        """諮問第13号: the form's and the parsers' way of naming it."""
        return short_number(self.ref)


@dataclass(frozen=True)
class AnswerInfo:
    """One answer (回答) to an item: who answered, the text verbatim, or still pending."""

    author: str  # a department's name or the secretariat's (情報公開係長)
    text: str
    pending: bool = False  # shown as 「回答準備中」; text is then ignored


@dataclass(frozen=True)
class ItemInfo:
    """A member's question, opinion or request (質疑・意見) with its answers and follow-ups.

    ``id`` is None while staff have not placed the item; ``asker`` is the member's
    display name (石田委員) and is shown only where the view says askers are named;
    ``children`` are the ③ items that follow this one, nested as the minutes nest them.
    """

    id: str | None  # "Q13-03"
    consultation: str | None  # consultation key such as "13"
    kind: ItemKind
    text: str  # verbatim, never re-wrapped
    reference: str | None = None  # 諮問書 P.3 5(4)
    asker: str | None = None
    late: bool = False
    follows: str | None = None  # the ID of the item it follows up
    answers: tuple[AnswerInfo, ...] = ()
    children: tuple[ItemInfo, ...] = ()

    @property
    def tag(self) -> str:
        return f"[{self.id}]" if self.id else ""


@dataclass(frozen=True)
class ConsultationItems:
    """One consultation's items, in order: a section of a distribution or a digest."""

    consultation: ConsultationInfo
    items: tuple[ItemInfo, ...]


@dataclass(frozen=True)
class DecisionInfo:
    """The decision (答申) on one consultation; conditions verbatim as the chair wrote them."""

    consultation: ConsultationInfo
    verdict: Verdict
    conditions: str | None = None


def _find(consultations: tuple[ConsultationInfo, ...], key: str | None) -> ConsultationInfo | None:
    return next((c for c in consultations if c.key == key), None)


@dataclass(frozen=True)
class CallForQuestions:
    """① 開催通知: the consultations, the schedule, the materials and the reply form."""

    kind: ClassVar[str] = "call_for_questions"
    recipient: Recipient
    committee: CommitteeInfo
    round: RoundInfo
    consultations: tuple[ConsultationInfo, ...]
    attachments: tuple[str, ...] = ()  # file names of the materials staff attach


@dataclass(frozen=True)
class Receipt:
    """受付確認: the reply as understood, item by item, and how to correct it.

    ``unplaced`` counts items staff still have to assign to a consultation;
    ``late`` says the whole reply arrived after the phase's deadline.
    """

    kind: ClassVar[str] = "receipt"
    recipient: Recipient
    committee: CommitteeInfo
    round: RoundInfo
    consultations: tuple[ConsultationInfo, ...]
    items: tuple[ItemInfo, ...]
    empty_reply: bool
    late: bool
    unplaced: int
    corrections_allowed_until: datetime
    phase: Phase = Phase.QUESTIONS
    # 訂正 / 取消 of earlier items by this reply: as corrected, withdrawn, or held for staff
    corrected: tuple[ItemInfo, ...] = ()
    withdrawn: tuple[str, ...] = ()
    held: tuple[str, ...] = ()
    # attached documents read as the reply, and those staff will read by hand
    documents_read: tuple[str, ...] = ()
    documents_unread: tuple[str, ...] = ()

    def consultation(self, key: str | None) -> ConsultationInfo | None:
        return _find(self.consultations, key)


@dataclass(frozen=True)
class AnswerReceipt:
    """受付確認 to a department: which answers were read, which are still owed.

    ``unknown`` lists IDs the reply named that are not this round's items (a typo such
    as Q13-30 for Q13-03), so the department can send that answer again. ``refused``
    names the attached sheets that were not read and why (too large, …).
    """

    kind: ClassVar[str] = "answer_receipt"
    recipient: Recipient
    committee: CommitteeInfo
    round: RoundInfo
    answered: tuple[str, ...]
    unanswered: tuple[str, ...]
    unknown: tuple[str, ...] = ()
    # Attached answer sheets that were not read: (file name, why: a Refusal value)
    refused: tuple[tuple[str, str], ...] = ()
    # 「確認中のため後日回答」: taken as a promise, shown to members as 回答準備中
    deferred: tuple[str, ...] = ()
    # When the unanswered items are due: ② for ① items, the ③ responses date for ③ ones
    answers_due: datetime | None = None


@dataclass(frozen=True)
class Reminder:
    """A reminder before a deadline, to one who has not replied in the phase.

    ``item_ids`` lists, for a department, the questions still without an answer.
    """

    kind: ClassVar[str] = "reminder"
    recipient: Recipient
    committee: CommitteeInfo
    round: RoundInfo
    phase: Phase
    deadline: datetime
    audience: Audience
    item_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class DepartmentBundle:
    """The items of a phase for one department, with the answer form (回答欄).

    Each item opens with its ID on its own line and ends with 「回答：」, under which
    the department answers; :func:`mailflow.parsing.answers.parse_answers` reads it back.
    ``followup`` marks the short bundle of items staff accepted after the first one
    went (追加送付).
    """

    kind: ClassVar[str] = "department_bundle"
    department: Recipient
    committee: CommitteeInfo
    round: RoundInfo
    phase: Phase
    consultations: tuple[ConsultationInfo, ...]
    items: Sequence[ItemInfo]  # in round order; a `ConsultationItemsRead` is read per consultation
    deadline: datetime
    name_askers: bool = False
    followup: bool = False

    def consultation(self, key: str | None) -> ConsultationInfo | None:
        return _find(self.consultations, key)

    def items_of(self, key: str) -> Iterable[ItemInfo]:
        """The items of one consultation, in order."""
        if isinstance(self.items, ConsultationItemsRead):
            return self.items.of(key)
        return (i for i in self.items if i.consultation == key)


class ConsultationItemsRead(Sequence[ItemInfo]):
    """Items in round order that can also be read one consultation at a time (`of`),
    without the others: a bundle of thousands of items is written one consultation's
    items at a time."""

    def of(self, key: str) -> Iterable[ItemInfo]:
        raise NotImplementedError


@dataclass(frozen=True)
class Distribution:
    """② every question with its answers, to all members at once (一括して全員に送る).

    ``pending_note`` adds the line that 「回答準備中」 answers follow later;
    ``supplement`` marks the later mail that carries those answers (追加送付), and
    ``renewed`` the IDs in it whose earlier answer members had was withdrawn by staff
    (回答の訂正のお知らせ told them): the mail brings the department's new answer.
    """

    kind: ClassVar[str] = "distribution"
    recipient: Recipient
    committee: CommitteeInfo
    round: RoundInfo
    items_by_consultation: Sequence[ConsultationItems]  # read once, in order
    pending_note: bool = False
    supplement: bool = False
    name_askers: bool = False
    renewed: tuple[str, ...] = ()

    @property
    def awaited(self) -> bool:
        """Whether it carries answers to items members were shown as 「回答準備中」."""
        return any(i.id not in self.renewed for s in self.items_by_consultation for i in s.items)


@dataclass(frozen=True)
class IdSpan:
    """A consultation's item IDs in order, as the ③ call names them: the first, the last,
    and how many."""

    first: str
    last: str
    count: int


class ItemIds(Protocol):
    """Item IDs of a phase in round order, as the ③ call reads them."""

    @property
    def first(self) -> str | None:
        """The round's first, if any."""
        ...

    def span(self, key: str) -> IdSpan | None:
        """Those of one consultation (Q13-…); None when it has none."""
        ...


@dataclass(frozen=True)
class ListedIds:
    """`ItemIds` from the IDs in round order."""

    ids: tuple[str, ...]

    @property
    def first(self) -> str | None:
        return self.ids[0] if self.ids else None

    def span(self, key: str) -> IdSpan | None:
        mine = [i for i in self.ids if i.startswith(f"Q{key}-")]
        return IdSpan(mine[0], mine[-1], len(mine)) if mine else None


@dataclass(frozen=True)
class CallForFurther:
    """③ the call for further opinions; the reply form names the items one may follow up."""

    kind: ClassVar[str] = "call_for_further"
    recipient: Recipient
    committee: CommitteeInfo
    round: RoundInfo
    consultations: tuple[ConsultationInfo, ...]
    deadline: datetime
    item_ids: ItemIds

    def ids_of(self, key: str) -> IdSpan | None:
        """The item IDs of one consultation (Q13-…), in order."""
        return self.item_ids.span(key)


@dataclass(frozen=True)
class ChairDigest:
    """④ ①–③ compiled for the decider, with the decision form (答申欄)."""

    kind: ClassVar[str] = "chair_digest"
    recipient: Recipient
    committee: CommitteeInfo
    round: RoundInfo
    items_by_consultation: tuple[ConsultationItems, ...]
    deadline: datetime
    name_askers: bool = False

    @property
    def consultations(self) -> tuple[ConsultationInfo, ...]:
        return tuple(s.consultation for s in self.items_by_consultation)


@dataclass(frozen=True)
class DecisionEcho:
    """The decision as understood, back to the decider for confirmation (確認)."""

    kind: ClassVar[str] = "decision_echo"
    recipient: Recipient
    committee: CommitteeInfo
    round: RoundInfo
    decisions: tuple[DecisionInfo, ...]


@dataclass(frozen=True)
class DecisionEchoAgain:
    """The echo once more, when the decider's reply to it neither confirmed nor decided."""

    kind: ClassVar[str] = "decision_echo_again"
    recipient: Recipient
    committee: CommitteeInfo
    round: RoundInfo
    decisions: tuple[DecisionInfo, ...]


@dataclass(frozen=True)
class CorrectionInfo:
    """A 訂正 (with the new text) or 取消 of one item, as a mail asked for it."""

    item: str  # "Q13-01"
    withdraw: bool
    text: str = ""


@dataclass(frozen=True)
class ConfirmRequest:
    """確認のお願い: a mail from the party's address would change the record, but did not
    prove who sent it; nothing changes until the party replies to this mail.

    Only what the mail would change is shown (its corrections, answers, decisions),
    so the party knows what a reply confirms; the mail's other text is not repeated.
    """

    kind: ClassVar[str] = "confirm_request"
    recipient: Recipient
    committee: CommitteeInfo
    round: RoundInfo
    received: datetime
    corrections: tuple[CorrectionInfo, ...] = ()
    answers: tuple[tuple[str, str], ...] = ()  # (item ID, the answer's text)
    decisions: tuple[DecisionInfo, ...] = ()


@dataclass(frozen=True)
class DecisionReask:
    """The decider's reply left these consultations undecided or unclear: ask again."""

    kind: ClassVar[str] = "decision_reask"
    recipient: Recipient
    committee: CommitteeInfo
    round: RoundInfo
    consultations: tuple[ConsultationInfo, ...]
    # What was understood for the other consultations, so the chair sees the whole.
    understood: tuple[DecisionInfo, ...] = ()


@dataclass(frozen=True)
class ResultNotice:
    """The confirmed 答申, to every member and department (結果のお知らせ)."""

    kind: ClassVar[str] = "result_notice"
    recipient: Recipient
    committee: CommitteeInfo
    round: RoundInfo
    decisions: tuple[DecisionInfo, ...]


@dataclass(frozen=True)
class DeadlineNotice:
    """Staff moved a deadline: the phase and its new date (期限変更のお知らせ)."""

    kind: ClassVar[str] = "deadline_notice"
    recipient: Recipient
    committee: CommitteeInfo
    round: RoundInfo
    phase: Phase
    deadline: datetime


@dataclass(frozen=True)
class CancellationNotice:
    """Staff cancelled the round (開催中止のお知らせ)."""

    kind: ClassVar[str] = "cancellation_notice"
    recipient: Recipient
    committee: CommitteeInfo
    round: RoundInfo


@dataclass(frozen=True)
class ItemChange:
    """What staff did to one of a member's items, as the member is told.

    ``kind`` is a :class:`mailflow.workflow.corrections.ChangeKind` value; ``new`` the
    ID(s) to use from now on (a split's both halves); ``excerpt`` how the item begins.
    """

    kind: str
    old: str | None
    new: tuple[str, ...]
    excerpt: str
    consultation: ConsultationInfo | None = None


@dataclass(frozen=True)
class CorrectionNotice:
    """事務局による整理のお知らせ: a member's item got an ID, a new one, split, merged or
    was withdrawn by staff."""

    kind: ClassVar[str] = "correction_notice"
    recipient: Recipient
    committee: CommitteeInfo
    round: RoundInfo
    change: ItemChange


@dataclass(frozen=True)
class AnswerCorrection:
    """回答の訂正のお知らせ: an answer members already received was replaced or removed."""

    kind: ClassVar[str] = "answer_correction"
    recipient: Recipient
    committee: CommitteeInfo
    round: RoundInfo
    item_id: str
    item_text: str
    author: str  # the department (or the secretariat's label) that answered
    old_text: str
    new_text: str | None  # None: the answer is withdrawn


@dataclass(frozen=True)
class AlertLine:
    """One thing staff must look at: what, for which round, and a one-line reason."""

    round_tag: str | None
    what: str  # an alert kind such as "unanswered", or "late_item"
    subject: str  # what it is about: a phase, an item ID, a consultation
    detail: str  # a reason in staff's words; never a message body
    parties: tuple[str, ...] = ()  # the people or departments concerned, by name
    items: tuple[str, ...] = ()  # the item IDs or consultations concerned
    followup: bool = False
    supplement: bool = False


@dataclass(frozen=True)
class QuarantineLine:
    """A quarantined mail: its stored id, Message-ID and why; the sender only as a name."""

    message: str  # the store's message id, for `mailflow quarantine show`
    message_id: str | None
    reason: str
    sender: str = ""  # display name or "unknown"; addresses stay in the database


@dataclass(frozen=True)
class StaffAlertDigest:
    """Everything staff must look at after one cycle, in one mail (職員向け通知).

    It carries message ids and reasons, never message bodies: a staff inbox is not
    where members' words should be copied to.
    """

    kind: ClassVar[str] = "staff_alert"
    committee: CommitteeInfo
    alerts: tuple[AlertLine, ...] = ()
    quarantined: tuple[QuarantineLine, ...] = ()
    bounces: tuple[str, ...] = ()  # one line per failed delivery, in staff's words
    rounds: tuple[str, ...] = ()  # the round tags concerned, for the subject

    @property
    def tag(self) -> str | None:
        """The one round this digest is about, if there is exactly one."""
        tags = set(self.rounds) | {a.round_tag for a in self.alerts if a.round_tag}
        return tags.pop() if len(tags) == 1 else None


MailView = (
    CallForQuestions
    | Receipt
    | AnswerReceipt
    | Reminder
    | DepartmentBundle
    | Distribution
    | CallForFurther
    | ChairDigest
    | DecisionEcho
    | DecisionEchoAgain
    | ConfirmRequest
    | DecisionReask
    | ResultNotice
    | DeadlineNotice
    | CancellationNotice
    | CorrectionNotice
    | AnswerCorrection
    | StaffAlertDigest
)
