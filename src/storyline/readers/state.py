"""Read state: what counts as read, how far back unread reaches, and what is new in a story since it was opened."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

# Older coverage counts as read: unread counts, and the For you page, look this far back from the newest story.
UNREAD_WINDOW = timedelta(days=7)
FOR_YOU_WINDOW = timedelta(days=3)
MARK_OLDER_THAN = {"": timedelta(0), "day": timedelta(days=1), "week": timedelta(days=7)}
UNREAD_CAP = 99


def read_up_to(floor: datetime, marks: Iterable[datetime | None]) -> datetime:
    """Where unread starts in a scope: the latest of the window's start and every mark that applies there."""
    return max([floor, *(mark for mark in marks if mark is not None)])


def mark_time(now: datetime, older_than: str) -> datetime:
    """The "read up to" time that marking all read ("older than a day", "older than a week") stores."""
    return now - MARK_OLDER_THAN[older_than]


def unread_ids(published: dict[int, datetime], read: set[int], up_to: datetime) -> set[int]:
    """Of the articles shown (id -> published), those neither read nor published before the scope's mark."""
    return {article_id for article_id, when in published.items() if article_id not in read and when > up_to}


def unread_label(count: int, cap: int = UNREAD_CAP) -> str:
    return f"{cap}+" if count > cap else str(count)


@dataclass(frozen=True)
class NewSince:
    """What a story gained since the reader last opened it."""

    opened_at: datetime
    articles: int
    outlets: int

    def __bool__(self) -> bool:
        return self.articles > 0 or self.outlets > 0


def new_since(opened_at: datetime, seen_articles: int, seen_outlets: int, articles: int, outlets: int) -> NewSince:
    """Counts can fall (a split takes articles away): never below nothing new."""
    return NewSince(opened_at, max(articles - seen_articles, 0), max(outlets - seen_outlets, 0))
