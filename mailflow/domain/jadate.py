"""Japanese date style for mails and minutes: 1月13日（水）, 令和3年1月13日, 令和2年度."""

from __future__ import annotations

from datetime import date, datetime

_WEEKDAYS = "月火水木金土日"

# (first day of the era, name). Only eras a living committee can meet in.
_ERAS: tuple[tuple[date, str], ...] = (
    (date(2019, 5, 1), "令和"),
    (date(1989, 1, 8), "平成"),
)


def weekday(d: date) -> str:
    return _WEEKDAYS[d.weekday()]


def month_day(d: date | datetime, today: date | None = None) -> str:
    """``1月13日（水）`` — the form the seed uses for each phase's deadline; with the era's
    year in front (``令和4年1月13日（木）``) when ``today`` is given and in another year."""
    day = d.date() if isinstance(d, datetime) else d
    year = _year_label(*era_year(day)) if today is not None and today.year != day.year else ""
    return f"{year}{day.month}月{day.day}日（{weekday(day)}）"


def month_day_time(d: datetime, today: date | None = None) -> str:
    """``1月13日（水）17時00分`` for deadlines that are not the end of a day."""
    return f"{month_day(d, today)}{d.hour}時{d.minute:02d}分"


def era_year(d: date) -> tuple[str, int]:
    for start, name in _ERAS:
        if d >= start:
            return name, d.year - start.year + 1
    raise ValueError(f"date before 平成 is not supported: {d.isoformat()}")


def _year_label(name: str, n: int) -> str:
    return f"{name}{'元' if n == 1 else n}年"


def wareki(d: date | datetime) -> str:
    """``令和3年1月13日`` (the first year of an era is 元年)."""
    day = d.date() if isinstance(d, datetime) else d
    name, n = era_year(day)
    return f"{_year_label(name, n)}{day.month}月{day.day}日"


def fiscal_year_label(fiscal_year: int) -> str:
    """``令和2年度`` for fiscal year 2020 (April 2020 – March 2021).

    A fiscal year is named by the era in force at its end: FY2019 began in 平成 but is
    officially 令和元年度.
    """
    name, _ = era_year(date(fiscal_year + 1, 3, 31))
    start = next(s for s, n in _ERAS if n == name)
    n = fiscal_year - start.year + 1
    return f"{name}{'元' if n == 1 else n}年度"


def fiscal_year_of(d: date) -> int:
    """The fiscal year (年度) a date falls in: April to March."""
    return d.year if d.month >= 4 else d.year - 1
