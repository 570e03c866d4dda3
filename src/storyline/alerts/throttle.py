"""Per reader: what is sent now and what waits for the digest. Pure functions of a clock reading.

At most one instant alert per story per interval (default 3 hours), none in the reader's quiet hours (their
own time zone), at most ``daily_cap`` a local day. What the throttle holds back goes into the next digest; it
is never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from storyline.errors import InputError
from storyline.i18n import N_

DEFAULT_INTERVAL = timedelta(hours=3)
DEFAULT_DAILY_CAP = 10
DEFAULT_DIGEST_HOUR = 8
DIGEST_WEEKDAY = 0  # weekly digests go out on Mondays
UNKNOWN_TIME_ZONE = N_("unknown time zone; use a name such as Europe/London")
DIGEST_HOUR_RULE = N_("the digest hour is an hour from 0 to 23")
QUIET_HOURS_RULE = N_("quiet hours are hours from 0 to 23")


class Verdict(Enum):
    SEND = "send"
    HOLD = "hold"  # for the next digest


@dataclass(frozen=True)
class ReaderLimits:
    """A reader's alert preferences, as the throttle and the digest schedule need them."""

    time_zone: str = "UTC"
    quiet_start: int | None = None  # local hour quiet hours begin (inclusive)
    quiet_end: int | None = None  # local hour they end (exclusive); may wrap past midnight
    interval: timedelta = DEFAULT_INTERVAL
    daily_cap: int = DEFAULT_DAILY_CAP
    digest_hour: int = DEFAULT_DIGEST_HOUR
    digest_weekly: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def checked_time_zone(name: str) -> str:
    """The IANA time zone name, or InputError."""
    name = name.strip()
    if name not in available_timezones():
        raise InputError(UNKNOWN_TIME_ZONE, subject=name[:64])
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(UNKNOWN_TIME_ZONE, subject=name[:64]) from exc
    return name


def checked_hour(value: int | None, rule: str) -> int | None:
    """The hour, or InputError with ``rule`` (``DIGEST_HOUR_RULE``, ``QUIET_HOURS_RULE``)."""
    if value is not None and not 0 <= value <= 23:
        raise InputError(rule, subject=str(value))
    return value


def in_quiet_hours(now: datetime, limits: ReaderLimits) -> bool:
    if limits.quiet_start is None or limits.quiet_end is None or limits.quiet_start == limits.quiet_end:
        return False
    hour = now.astimezone(limits.zone).hour
    if limits.quiet_start < limits.quiet_end:
        return limits.quiet_start <= hour < limits.quiet_end
    return hour >= limits.quiet_start or hour < limits.quiet_end


def local_day_start(now: datetime, limits: ReaderLimits) -> datetime:
    """Midnight of the reader's current day, as an aware datetime (the daily cap counts from here)."""
    local = now.astimezone(limits.zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def decide(now: datetime, limits: ReaderLimits, last_sent_for_story: datetime | None, sent_today: int) -> Verdict:
    """Whether an instant alert goes out now or waits for the digest."""
    if in_quiet_hours(now, limits):
        return Verdict.HOLD
    if last_sent_for_story is not None and now - last_sent_for_story < limits.interval:
        return Verdict.HOLD
    if sent_today >= limits.daily_cap:
        return Verdict.HOLD
    return Verdict.SEND


def digest_due_at(last_digest: datetime | None, first_waiting: datetime, limits: ReaderLimits) -> datetime:
    """When the next digest goes out: the first digest hour (a Monday's, when weekly) after the last digest, or
    after the oldest alert waiting for it when there was none."""
    since = max(last_digest, first_waiting) if last_digest else first_waiting
    local = since.astimezone(limits.zone)
    candidate = local.replace(hour=limits.digest_hour, minute=0, second=0, microsecond=0)
    while candidate <= local or (limits.digest_weekly and candidate.weekday() != DIGEST_WEEKDAY):
        candidate = _next_local_day(candidate, limits)
    return candidate


def _next_local_day(moment: datetime, limits: ReaderLimits) -> datetime:
    """The same wall-clock hour a day later (not 24 hours later: days around a clock change are 23 or 25)."""
    naive = moment.replace(tzinfo=None) + timedelta(days=1)
    return naive.replace(tzinfo=limits.zone)
