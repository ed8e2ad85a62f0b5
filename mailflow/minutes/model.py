"""What the minutes (会議録) say, as frozen values the templates render; no IO, no database."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Attendee:
    """A member (委員) as listed under 参加委員: name and role title, never an address."""

    name: str
    role_title: str  # 会長 / 会長職務代理 / 委員

    @property
    def label(self) -> str:
        return f"{self.name}{self.role_title}"


@dataclass(frozen=True)
class ConsultationLine:
    """One line of 諮問案件: 令和2年度諮問第13号 子育て応援ギフトセット配布業務委託（所管課）."""

    number: str
    title: str
    departments: tuple[str, ...]

    @property
    def label(self) -> str:
        depts = f"（{'・'.join(self.departments)}）" if self.departments else ""
        return f"{self.number} {self.title}{depts}"


@dataclass(frozen=True)
class ResponderGroup:
    """One row of 回答者一覧: who answered in a phase (names only)."""

    label: str  # ① 質疑及び意見
    names: tuple[str, ...]

    @property
    def names_text(self) -> str:
        return "、".join(self.names) if self.names else "なし"


@dataclass(frozen=True)
class AnswerEntry:
    """An answer (-) under an item; the label is kept only for the secretariat, as the seed does."""

    text: str
    label: str | None = None

    @property
    def line(self) -> str:
        return f"({self.label}){self.text}" if self.label else self.text


@dataclass(frozen=True)
class ItemEntry:
    """An item (●) as published: its text, its answers, and the follow-ups that name it."""

    public_id: str
    text: str
    answers: tuple[AnswerEntry, ...] = ()
    follow_ups: tuple[ItemEntry, ...] = ()
    author: str | None = None  # only when the committee does not publish anonymously

    @property
    def line(self) -> str:
        return f"({self.author}){self.text}" if self.author else self.text


@dataclass(frozen=True)
class Proceedings:
    """会議経過 of one consultation: the decision line, the items, the chair's conditions."""

    number: str
    title: str
    decision_line: str  # ○「…」について、諮問どおり行うことを「可」とする。
    answered_by_line: str  # ※委員意見及び子ども保健・給付課の回答
    items: tuple[ItemEntry, ...]
    closing: str | None  # 仕様書への追記等指摘事項の実施をお願いし、本件を可とする。

    @property
    def heading(self) -> str:
        return f"{self.number} {self.title}"


@dataclass(frozen=True)
class MinutesView:
    """The whole minutes of one round, in the seed's order."""

    round_key: str
    title: str  # 会議の名称
    held: str  # 開催日時 and 開催場所 of an email round
    attendees: tuple[Attendee, ...]
    absentees: tuple[Attendee, ...]
    consultations: tuple[ConsultationLine, ...]
    method_intro: str
    steps: tuple[str, ...]  # ① … ④ with their dates
    contact: str
    period: str  # 審議期間
    responders: tuple[ResponderGroup, ...]  # 回答者一覧
    proceedings: tuple[Proceedings, ...]
    non_disclosure_note: str

    @property
    def attendees_text(self) -> str:
        return "・".join(a.label for a in self.attendees)

    @property
    def absentees_text(self) -> str:
        return "・".join(a.label for a in self.absentees) if self.absentees else "なし"

    @property
    def participants_text(self) -> str:
        """The seed's one-line form: (委員) …会長・…委員 (欠席委員) なし."""
        return f"(委員) {self.attendees_text} (欠席委員) {self.absentees_text}"

    @property
    def note_lines(self) -> tuple[str, ...]:
        return tuple(line for line in self.non_disclosure_note.splitlines() if line.strip())
