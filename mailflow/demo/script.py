"""Who says what in the demo: the seed's items spread over the members, in the seed's order.

Items are numbered per consultation as they arrive ([Q13-01], …), so each phase's mails
are planned in sequence, each member taking the next run of the seed's items. The clients
vary as members' clients do: Gmail, Outlook (ISO-2022-JP/CP50220), docomo (Shift_JIS),
iPhone (HTML only) and Thunderbird; one member has nothing to ask (特になし) and the
chair's mail comes in after ①'s date, within the grace period (late, still bundled).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mailflow.demo.clock import JST
from mailflow.demo.seed import SEED, SeedItem

CALL = "質疑及び意見のお願い"  # subject words of the call for questions
FURTHER = "さらなるご意見のお願い"  # the call for further opinions (③)
RECEIPT = "受け付けました"
DIGEST = "とりまとめ"  # the chair's digest
ECHO = "答申内容のご確認"
BUNDLE = "への回答のお願い"

NUMBER = {"13": "諮問第13号", "14": "諮問第14号"}
# The chair writes the seed's own sentence per consultation; the parser reads it as 可
# with the condition 「仕様書への追記等指摘事項の実施をお願いし」.
DECISION = (
    "諮問第13号：仕様書への追記等指摘事項の実施をお願いし、本件を可とする。\n"
    "諮問第14号：仕様書への追記等指摘事項の実施をお願いし、本件を可とする。"
)
CONFIRM = "確認しました。"


@dataclass(frozen=True)
class Plan:
    """One member's mail: in reply to the last mail whose subject has `reply_to`, at `at`."""

    who: str
    style: str
    reply_to: str
    at: datetime
    text: str


def _day(day: int, hour: int = 10) -> datetime:
    return datetime(2021, 1, day, hour, 0, tzinfo=JST)


def _phase(n: int) -> dict[str, list[SeedItem]]:
    # The seed's (1)–(3) demands follow their item; they travel in the same mail, after it.
    return {
        k: [j for i in items if i.phase == n for j in (i, *i.follow_ups)]
        for k, items in SEED.items()
    }


# (who, client, ① items of 13, ① items of 14, when), in arrival order.
_FIRST: tuple[tuple[str, str, int, int, datetime], ...] = (
    ("ishida", "gmail", 3, 0, _day(6)),
    ("ueno", "outlook", 3, 1, _day(7)),
    ("okada", "iphone_html", 2, 1, _day(8)),
    ("kato", "docomo", 3, 1, _day(9)),
    ("kimura", "thunderbird", 0, 0, _day(10)),
    ("eto", "gmail", 4, 2, _day(12)),
    ("aoki", "gmail", 0, 2, _day(14, 6)),  # after 1/13's end: late, within the grace
)
_FURTHER: tuple[tuple[str, str, int, int, datetime], ...] = (
    ("ishida", "thunderbird", 3, 2, _day(17, 9)),
    ("ueno", "outlook", 3, 2, _day(17, 15)),
    ("okada", "gmail", 3, 2, _day(18, 9)),
    ("kato", "docomo", 4, 0, _day(18, 15)),  # with the (1)–(3) demands
    ("eto", "gmail", 2, 2, _day(19, 12)),
)


def _section(key: str, items: list[SeedItem], style: str) -> str:
    # Members write differently: ● bullets, ・ bullets, or 【】 headings.
    mark = "・" if style == "outlook" else "●"
    head = f"【{NUMBER[key]}】" if style == "outlook" else f"{NUMBER[key]}について"
    return head + "\n" + "\n".join(f"{mark} {i.text}" for i in items)


def _texts(who: str, style: str, sections: list[str]) -> str:
    if not sections:
        return "特になし"
    body = "\n\n".join(sections)
    if style == "gmail":
        greeting = "お世話になっております。\n以下のとおりお送りします。"
        return f"{greeting}\n\n{body}\n\nよろしくお願いいたします。"
    if style == "outlook":
        return f"事務局　御中\n\n{body}\n\n以上、よろしくお願いします。"
    return body


def _plans(
    rows: tuple[tuple[str, str, int, int, datetime], ...], phase: int, reply_to: str
) -> list[Plan]:
    queue = _phase(phase)
    out = []
    for who, style, n13, n14, at in rows:
        sections = []
        for key, n in (("13", n13), ("14", n14)):
            if n:
                sections.append(_section(key, queue[key][:n], style))
                del queue[key][:n]
        out.append(Plan(who, style, reply_to, at, _texts(who, style, sections)))
    left = {k: len(v) for k, v in queue.items() if v}
    if left:
        raise ValueError(f"the plan leaves seed items unsent: {left}")
    return out


def member_plans() -> list[Plan]:
    """Every member's mail of ① and ③, in the order they are sent."""
    return _plans(_FIRST, 1, CALL) + _plans(_FURTHER, 3, FURTHER)


def answers_of(department: str) -> dict[str, list[str]]:
    """Question text → the answers `department` gives to it, in the seed's order.

    The secretariat's own answers (情報公開係長) are left out: mail from the secretariat
    is not read as an answer (yet).
    """
    out: dict[str, list[str]] = {}
    for key, items in SEED.items():
        first = "kodomo-hoken-kyufu" if key == "13" else "hoiku-yochien"
        for item in (j for i in items for j in (i, *i.follow_ups)):
            texts = [
                a.text
                for a in item.answers
                if not a.secretariat and (a.department or first) == department
            ]
            if texts:
                out[item.text] = texts
    return out


def first_item(text: str) -> str:
    """The seed item that comes first in a member's mail text."""
    found = [
        (text.find(j.text), j.text)
        for items in SEED.values()
        for i in items
        for j in (i, *i.follow_ups)
        if j.text in text
    ]
    if not found:
        raise ValueError("no seed item in this mail")
    return min(found)[1]
