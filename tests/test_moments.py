"""Publication moments as stored: aware UTC, and a date without a time at its UTC midnight."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from storyline.moments import parse_moment
from storyline.stories.placement import at_midnight

UTC = timezone.utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-06-16T09:30:00+01:00", datetime(2025, 6, 16, 8, 30, tzinfo=UTC)),
        ("2025-06-16T09:30:00Z", datetime(2025, 6, 16, 9, 30, tzinfo=UTC)),
        ("2025-06-16T09:30:00", datetime(2025, 6, 16, 9, 30, tzinfo=UTC)),
        ("Mon, 16 Jun 2025 09:30:00 -0400", datetime(2025, 6, 16, 13, 30, tzinfo=UTC)),
        (" 2025-06-16T23:30:00-04:00 ", datetime(2025, 6, 17, 3, 30, tzinfo=UTC)),
        # A date without a time, however the source writes it, is its date's UTC midnight.
        ("2025-06-16", datetime(2025, 6, 16, tzinfo=UTC)),
        ("2025-06-16T00:00:00Z", datetime(2025, 6, 16, tzinfo=UTC)),
        ("2025-06-16T00:00:00-04:00", datetime(2025, 6, 16, tzinfo=UTC)),
        ("2025-06-16T00:00:00+09:00", datetime(2025, 6, 16, tzinfo=UTC)),
        ("Mon, 16 Jun 2025 00:00:00 -0400", datetime(2025, 6, 16, tzinfo=UTC)),
        # A second past midnight is a time.
        ("2025-06-16T00:00:01-04:00", datetime(2025, 6, 16, 4, 0, 1, tzinfo=UTC)),
        ("not a date", None),
        ("99999-99-99", None),
        ("0001-01-01T03:00:00+05:00", None),
        ("November 19, 2019", None),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_moments_are_stored_in_utc_and_dates_at_their_midnight(value, expected):
    moment = parse_moment(value)
    assert moment == expected
    if moment is not None:
        assert moment.tzinfo is UTC or moment.utcoffset().total_seconds() == 0


def test_a_local_midnight_is_read_by_placement_as_a_date():
    assert at_midnight(parse_moment("2025-06-16T00:00:00-04:00"))
    assert not at_midnight(parse_moment("2025-06-16T09:30:00-04:00"))
