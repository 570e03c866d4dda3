"""The throttle and the digest schedule as pure functions of a fake clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from storyline.alerts.throttle import (
    ReaderLimits,
    Verdict,
    checked_time_zone,
    decide,
    digest_due_at,
    in_quiet_hours,
    local_day_start,
)
from storyline.errors import InputError

UTC = timezone.utc
NOON = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)  # a Wednesday; London is on BST (UTC+1)
LONDON_QUIET = ReaderLimits(time_zone="Europe/London", quiet_start=22, quiet_end=7)


@pytest.mark.parametrize(
    ("now", "limits", "last_sent", "sent_today", "verdict"),
    [
        (NOON, ReaderLimits(), None, 0, Verdict.SEND),
        # one alert per story per interval (3 hours by default)
        (NOON, ReaderLimits(), NOON - timedelta(hours=2, minutes=59), 0, Verdict.HOLD),
        (NOON, ReaderLimits(), NOON - timedelta(hours=3), 0, Verdict.SEND),
        (NOON, ReaderLimits(interval=timedelta(minutes=30)), NOON - timedelta(minutes=31), 0, Verdict.SEND),
        # the daily cap
        (NOON, ReaderLimits(daily_cap=3), None, 2, Verdict.SEND),
        (NOON, ReaderLimits(daily_cap=3), None, 3, Verdict.HOLD),
        # quiet hours in the reader's zone: 21:30 UTC is 22:30 in London, 06:30 UTC is 07:30 there
        (datetime(2026, 6, 10, 21, 30, tzinfo=UTC), LONDON_QUIET, None, 0, Verdict.HOLD),
        (datetime(2026, 6, 10, 20, 30, tzinfo=UTC), LONDON_QUIET, None, 0, Verdict.SEND),
        (datetime(2026, 6, 11, 5, 30, tzinfo=UTC), LONDON_QUIET, None, 0, Verdict.HOLD),
        (datetime(2026, 6, 11, 6, 30, tzinfo=UTC), LONDON_QUIET, None, 0, Verdict.SEND),
    ],
)
def test_decide(now, limits, last_sent, sent_today, verdict):
    assert decide(now, limits, last_sent, sent_today) is verdict


@pytest.mark.parametrize(
    ("start", "end", "hour", "quiet"),
    [
        (None, None, 3, False),
        (9, 17, 12, True),
        (9, 17, 17, False),
        (23, 6, 0, True),
        (23, 6, 22, False),
        (5, 5, 5, False),
    ],
)
def test_quiet_hours_in_utc(start, end, hour, quiet):
    limits = ReaderLimits(quiet_start=start, quiet_end=end)
    assert in_quiet_hours(datetime(2026, 1, 5, hour, 15, tzinfo=UTC), limits) is quiet


@pytest.mark.parametrize(
    ("last", "first_waiting", "limits", "due"),
    [
        # daily at 08:00 in Tokyo (UTC+9): 23:00 UTC the day before
        (
            None,
            datetime(2026, 6, 10, 12, tzinfo=UTC),
            ReaderLimits(time_zone="Asia/Tokyo"),
            datetime(2026, 6, 10, 23, tzinfo=UTC),
        ),
        # the next digest after one just sent is a day later
        (
            datetime(2026, 6, 10, 8, 0, 5, tzinfo=UTC),
            datetime(2026, 6, 10, 7, tzinfo=UTC),
            ReaderLimits(),
            datetime(2026, 6, 11, 8, tzinfo=UTC),
        ),
        # weekly: the next Monday at the hour (2026-06-10 is a Wednesday)
        (None, NOON, ReaderLimits(digest_hour=18, digest_weekly=True), datetime(2026, 6, 15, 18, tzinfo=UTC)),
        # across the clock change in New York (8 March 2026): 07:00 local is 12:00 UTC before, 11:00 UTC after
        (
            None,
            datetime(2026, 3, 7, 13, tzinfo=UTC),
            ReaderLimits(time_zone="America/New_York", digest_hour=7),
            datetime(2026, 3, 8, 11, tzinfo=UTC),
        ),
    ],
)
def test_digest_schedule(last, first_waiting, limits, due):
    assert digest_due_at(last, first_waiting, limits) == due


def test_the_daily_cap_counts_from_local_midnight():
    start = local_day_start(datetime(2026, 6, 10, 23, 30, tzinfo=UTC), ReaderLimits(time_zone="Europe/Berlin"))
    assert start == datetime(2026, 6, 10, 22, 0, tzinfo=UTC)  # 00:00 on the 11th in Berlin (UTC+2)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd"])
def test_unknown_time_zones_are_refused(name):
    with pytest.raises(InputError):
        checked_time_zone(name)
