"""Time: store and compute in UTC, show and read in Dutch wall time (Europe/Amsterdam).

Naive datetimes are ambiguous about their zone, so nothing here produces one, and the
database column type refuses to store one.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, TypeDecorator

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Browsers send "HH:MM", or "HH:MM:SS" when the input has a step below one minute.
_TIME = re.compile(r"[0-9]{2}:[0-9]{2}(?::[0-9]{2})?")


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def local_today(now: datetime | None = None) -> date:
    """Today's date in the Netherlands. Never ``date.today()``: that is the machine's date
    (UTC on a server), a day behind Amsterdam for an hour or two every night."""
    return to_local(now or utcnow()).date()


def to_local(dt: datetime) -> datetime:
    """Convert to Amsterdam time. A naive datetime is taken to be UTC, as we store it."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(AMSTERDAM)


def parse_local(date_str: str, time_str: str) -> datetime:
    """Read a date ("YYYY-MM-DD") and time ("HH:MM") as Amsterdam wall time; return UTC.

    A wall time skipped by the switch to summer time (e.g. 02:30 on the last Sunday of
    March) does not exist, so it is rejected instead of silently shifted by an hour.
    A wall time that occurs twice when summer time ends (02:00-02:59 on the last Sunday of
    October) is read as the first occurrence (fold=0, still summer time): there is no way
    to ask which one on a plain form, and the earlier one is the usual reading.
    """
    date_str, time_str = date_str.strip(), time_str.strip()
    if not _DATE.fullmatch(date_str):
        raise ValueError("Vul een geldige datum in, bijvoorbeeld 2026-03-29.")
    if not _TIME.fullmatch(time_str):
        raise ValueError("Vul een geldige tijd in, bijvoorbeeld 09:30.")
    try:
        day = date.fromisoformat(date_str)
    except ValueError:
        raise ValueError(f"De datum {date_str} bestaat niet.") from None
    try:
        wall = datetime.combine(day, time.fromisoformat(time_str))
    except ValueError:
        raise ValueError(f"De tijd {time_str} bestaat niet.") from None

    local = wall.replace(tzinfo=AMSTERDAM, fold=0)
    result = local.astimezone(UTC)
    # In the spring gap the round trip lands on a different wall time.
    if result.astimezone(AMSTERDAM).replace(tzinfo=None) != wall:
        raise ValueError(
            f"Het tijdstip {wall:%H:%M} op {wall:%d-%m-%Y} bestaat niet: die nacht gaat de klok "
            "van 02:00 naar 03:00 (zomertijd). Kies een ander tijdstip."
        )
    return result


def format_datetime_local(dt: datetime, locale: str = "nl", format: str = "medium") -> str:
    """Format in Amsterdam time, e.g. "29 mrt 2026, 11:05:00" (nl, medium)."""
    return format_datetime(to_local(dt), format=format, tzinfo=AMSTERDAM, locale=locale)


def format_date_local(value: datetime | date, locale: str = "nl", format: str = "medium") -> str:
    """Format the Amsterdam calendar date of a datetime (or a plain date as is)."""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return format_date(value, format=format, locale=locale)


class UTCDateTime(TypeDecorator[datetime]):
    """DateTime column that only accepts aware datetimes and always returns aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, not {type(value).__name__}")
        if value.utcoffset() is None:
            raise ValueError("naive datetime refused: use utcnow() or parse_local()")
        value = value.astimezone(UTC)
        # SQLite cannot store an offset; by convention its values are naive UTC.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)  # PostgreSQL returns the session time zone
