"""Publication moments as every source's dates are stored: aware UTC, and a date without a time at its midnight.

Story placement reads a UTC midnight as a date without a time (``stories.placement.at_midnight``): the time of
day is unknown, not 00:00. Sources write such a date in three ways: a bare date ("2025-06-16"), a UTC midnight,
or the midnight of their own zone ("2025-06-16T00:00:00-04:00", "Mon, 16 Jun 2025 00:00:00 -0400", as CMSs
that keep dates only emit them). Converted to UTC the last would read as 04:00, a time the source never gave,
so it is stored as its date's UTC midnight instead. A report really published at midnight to the second is the
rare price: it is read as a date.
"""

from __future__ import annotations

from datetime import datetime, time, timezone
from email.utils import parsedate_to_datetime


def parse_moment(value: str | None) -> datetime | None:
    """ISO 8601 / RFC 3339 (feeds, sitemaps, JSON-LD, the import format) or RFC 2822 (RSS, some meta tags),
    stored as ``as_stored`` does; None when ``value`` is neither or no real moment."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (ValueError, TypeError, IndexError):
            return None
    return as_stored(moment)


def as_stored(moment: datetime) -> datetime | None:
    """``moment`` in UTC (a naive one is UTC already); a midnight of its own zone becomes its date's UTC
    midnight. None when the conversion leaves the calendar (year 1 in a zone east of UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    if moment.timetz().replace(tzinfo=None) == time(0):
        return datetime.combine(moment.date(), time(0), tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None
