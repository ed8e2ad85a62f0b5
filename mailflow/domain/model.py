"""Core value types of a round: Phase, Role, ItemKind, Verdict, ItemId, ConsultationRef."""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass


class Phase(enum.IntEnum):
    """The four deadline phases of a round (docs/design.md "The process")."""

    QUESTIONS = 1  # ① 質疑及び意見
    ANSWERS = 2  # ② 所管課の回答、全員へ一括送付
    FURTHER = 3  # ③ さらに意見
    DECISION = 4  # ④ 会長の答申

    @property
    def mark(self) -> str:
        return "①②③④"[self.value - 1]


class Role(enum.StrEnum):
    """A committee member's role (会長 / 会長職務代理 / 委員)."""

    CHAIR = "chair"
    DEPUTY = "deputy"
    MEMBER = "member"

    @property
    def title_ja(self) -> str:
        return {"chair": "会長", "deputy": "会長職務代理", "member": "委員"}[self.value]


class ItemKind(enum.StrEnum):
    """What a member's item is: a question (質疑), an opinion (意見) or a request (要望)."""

    QUESTION = "question"
    OPINION = "opinion"
    REQUEST = "request"


class Verdict(enum.StrEnum):
    """The chair's decision (答申) on one consultation."""

    APPROVE = "approve"  # 可
    APPROVE_WITH_CONDITIONS = "approve_with_conditions"  # 条件付き可
    REJECT = "reject"  # 否
    UNCLEAR = "unclear"  # not understood: goes to staff

    @property
    def label_ja(self) -> str:
        return {
            "approve": "可",
            "approve_with_conditions": "条件付き可",
            "reject": "否",
            "unclear": "不明",
        }[self.value]


_ITEM_ID = re.compile(
    r"^\s*\[?\s*([QqＱｑ])\s*([0-9A-Za-z０-９]+)\s*[-－ー‐―]\s*([0-9０-９]+)\s*\]?\s*$"
)


@dataclass(frozen=True, order=True)
class ItemId:
    """The public ID of an item, such as ``Q13-03``: consultation key and sequence.

    Members and departments quote it back, so parsing accepts full-width digits,
    brackets and a missing zero (``Ｑ１３－３`` is ``Q13-03``).
    """

    consultation: str
    seq: int

    def __str__(self) -> str:
        return f"Q{self.consultation}-{self.seq:02d}"

    @property
    def tag(self) -> str:
        return f"[{self}]"

    @classmethod
    def parse(cls, text: str) -> ItemId:
        m = _ITEM_ID.match(text)
        if not m:
            raise ValueError(f"not an item ID: {text!r}")
        key = unicodedata.normalize("NFKC", m.group(2))
        seq = int(unicodedata.normalize("NFKC", m.group(3)))
        return cls(key, seq)


@dataclass(frozen=True)
class ConsultationRef:
    """What the parser needs to know of a consultation (諮問案件): its key, number and title."""

    key: str  # short key such as "13"
    number: str  # as written, such as "令和2年度諮問第13号"
    title: str  # such as "子育て応援ギフトセット配布業務委託"
