"""Japanese date style as the minutes write it."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from mailflow.domain import jadate


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2021, 1, 13), "1月13日（水）"),
        (date(2021, 1, 15), "1月15日（金）"),
        (date(2021, 1, 20), "1月20日（水）"),
        (date(2024, 2, 29), "2月29日（木）"),
    ],
)
def test_month_day(d: date, expected: str) -> None:
    assert jadate.month_day(d) == expected


def test_wareki_and_first_year() -> None:
    assert jadate.wareki(date(2021, 1, 13)) == "令和3年1月13日"
    assert jadate.wareki(date(2019, 5, 1)) == "令和元年5月1日"
    assert jadate.wareki(date(2019, 4, 30)) == "平成31年4月30日"


def test_fiscal_year() -> None:
    assert jadate.fiscal_year_label(2020) == "令和2年度"
    assert jadate.fiscal_year_label(2019) == "令和元年度"  # April 2019 was still 平成, but
    # the fiscal year is named by the era in force at its end.
    assert jadate.fiscal_year_of(date(2021, 1, 13)) == 2020
    assert jadate.fiscal_year_of(date(2021, 4, 1)) == 2021


def test_local_time_decides_the_day() -> None:
    utc = datetime(2021, 1, 13, 15, 30, tzinfo=ZoneInfo("UTC"))  # 00:30 on the 14th in Tokyo
    assert jadate.month_day(utc.astimezone(ZoneInfo("Asia/Tokyo"))) == "1月14日（木）"


def test_console_times_carry_the_year_only_when_it_is_another_year() -> None:
    from datetime import UTC, date, datetime
    from zoneinfo import ZoneInfo

    from mailflow.web.templating import when

    tokyo = ZoneInfo("Asia/Tokyo")
    at = datetime(2021, 1, 13, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo
    assert when(at, tokyo, "ja", date(2021, 1, 5)) == "1月13日（水） 10:00"
    assert when(at, tokyo, "ja", date(2020, 12, 20)) == "令和3年1月13日（水） 10:00"
    assert when(at, tokyo, "en", date(2020, 12, 20)) == "2021-01-13 10:00"
