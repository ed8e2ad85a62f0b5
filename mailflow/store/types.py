"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out.

    SQLite keeps no offset and hands back naive values; storing UTC and re-attaching it
    on the way out keeps deadline and arrival comparisons right on both databases.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"an aware datetime is required, got {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is UTC:  # PostgreSQL in a UTC session: already what we want
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """On SQLite, the stored text (ISO 8601 in UTC, without an offset) is read aware in
        one C call; anything else goes the usual way (the dialect's parse, then
        `process_result_value`). A round's facts read tens of thousands of these."""
        usual = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite" or usual is None:
            return usual

        def process(value: Any) -> datetime | None:
            if isinstance(value, str):
                try:
                    parsed = datetime.fromisoformat(value + "+00:00")
                except ValueError:  # not the form SQLAlchemy writes: it has an offset
                    parsed = None
                # A bare date parses too, with the offset dropped: that goes the usual way.
                if parsed is not None and parsed.tzinfo is UTC:
                    return parsed
            found: datetime | None = usual(value)
            return found

        return process
