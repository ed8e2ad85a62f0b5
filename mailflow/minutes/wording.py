"""The fixed Japanese wording of the minutes, as the seed writes it, filled with a round's facts."""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo

from mailflow.domain import Phase, Verdict
from mailflow.domain.endofday import is_end_of_day
from mailflow.domain.jadate import month_day, month_day_time, wareki, weekday

# An email round has no date or place of its own: both point to the note on the method.
HELD_BY_EMAIL = "※「開催方法の変更について」のとおり"
CLOSING_WORD = "以上"

_VERDICT_WORD = {
    Verdict.APPROVE: "可",
    # The seed's headline says 「可」 for an approval with conditions; the conditions
    # follow the items, in the chair's words (仕様書への追記等…をお願いし、本件を可とする。).
    Verdict.APPROVE_WITH_CONDITIONS: "可",
    Verdict.REJECT: "否",
}
# A condition already phrased as a clause (…をお願いし / …を条件に / …を付して) reads on.
_CLAUSE_END = re.compile(r"(?:し|に|て)[、,]?$")


def decision_line(title: str, verdict: Verdict | None) -> str:
    """○「…」について、諮問どおり行うことを「可」とする。 (or 「否」; or not yet decided)."""
    word = _VERDICT_WORD.get(verdict) if verdict is not None else None
    if word is None:
        return f"○「{title}」について、答申は確認中である。"
    return f"○「{title}」について、諮問どおり行うことを「{word}」とする。"


def closing_line(verdict: Verdict | None, conditions: str | None) -> str | None:
    """The chair's conditions as the last line of a consultation, or None without any."""
    if verdict is not Verdict.APPROVE_WITH_CONDITIONS or not conditions or not conditions.strip():
        return None
    cond = " ".join(conditions.split()).rstrip("。.")
    if _CLAUSE_END.search(cond):
        return f"{cond.rstrip('、,')}、本件を可とする。"
    return f"{cond}を条件とし、本件を可とする。"


def answered_by_line(departments: tuple[str, ...]) -> str:
    """※委員意見及び子ども保健・給付課の回答 (several departments joined with 及び)."""
    if not departments:
        return "※委員意見"
    return f"※委員意見及び{'及び'.join(departments)}の回答"


def _deadline(when: datetime, tz: tzinfo) -> str:
    local = when.astimezone(tz)
    if is_end_of_day(local):  # a bare date in the round file: the end of that day
        return month_day(local)
    return month_day_time(local)


def full_date(d: date) -> str:
    """令和3年1月5日（火）."""
    return f"{wareki(d)}（{weekday(d)}）"


def method_intro(title: str, committee: str, notice: date) -> str:
    """The paragraph that opens 開催方法の変更について, with the chair's notice date."""
    return (
        f"{title}は、{wareki(notice)}付{committee}会長通知“{title}の開催について”により、"
        "従前の参集しての審議から、電子メールによる審議へ変更し、"
        "以下①から④までの手順において実施しました。"
    )


def steps(deadlines: dict[Phase, datetime], tz: tzinfo) -> tuple[str, ...]:
    """The four steps of the seed, each with its real deadline."""
    d = {p: _deadline(w, tz) for p, w in deadlines.items()}
    return (
        f"① 委員各位は、質疑及び意見を市宛に{d[Phase.QUESTIONS]}までにメールでお送りいただく。",
        f"② 市は、{d[Phase.ANSWERS]}までに回答を返信する。"
        "返信は委員各位からの質疑及び意見を全て一括して全員に送る。",
        f"③ 委員各位は、②を受け、さらに意見があれば、{d[Phase.FURTHER]}までに"
        "市宛にメールでお送りいただく。",
        "④ 市は、①から③までをとりまとめ、会長へメールで送り、"
        f"会長は{d[Phase.DECISION]}までに答申内容を市へ返信する。",
    )


def period(start: date, end: date) -> str:
    """審議期間: 令和3年1月5日（火）から令和3年1月27日（水）まで."""
    return f"{full_date(start)}から{full_date(end)}まで"


RESPONDER_LABELS: tuple[tuple[str, int, str], ...] = (
    # (label, phase, who): the rows of 回答者一覧, in the order of the process.
    ("① 質疑及び意見", 1, "member"),
    ("② 回答", 2, "answerer"),
    ("③ さらなる意見", 3, "member"),
    ("③ 意見への回答", 3, "answerer"),
    ("④ 答申", 4, "decider"),
)
