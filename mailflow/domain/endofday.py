"""What a deadline written as a date means, defined once: the end of that day.

「1月13日までに」 means until the end of that day where the committee sits. Stored as
23:59:59 in the committee's zone; shown back as the date alone (1月13日（水）) whenever
the time is from 23:59 on, so a deadline staff typed as 23:59 reads the same way.
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo

END_OF_DAY = time(23, 59, 59)
_READS_AS_DAY = time(23, 59)


def end_of_day(day: date, tz: tzinfo) -> datetime:
    """The last second of ``day`` in ``tz``: what a deadline given as a date means."""
    return datetime.combine(day, END_OF_DAY, tzinfo=tz)


def is_end_of_day(local: datetime) -> bool:
    """Whether a deadline (in the zone it is shown in) is shown as its date alone."""
    return local.time() >= _READS_AS_DAY
