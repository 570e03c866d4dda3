"""For you: stories ranked by how many of the reader's follows their unread coverage touches, then by breadth of
coverage (outlets), then by recency.

The page reads the newest unread articles once (``store.readers.recent_unread``) and matches them against every
follow here, so its cost is bounded by that window, not by how many follows a reader has or how much is stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Recent:
    """An unread article of the window."""

    article_id: int
    story_id: int
    outlet_id: int
    section: str | None
    published_at: datetime


@dataclass(frozen=True)
class Followed:
    """One thing a follow matches: ``(kind, key)`` is ("outlet", id), ("section", name), ("story", id),
    ("hashtag", slug) or, for a saved search, ("article", id) once for each article the search finds."""

    follow_id: int
    kind: str
    key: Hashable
    up_to: datetime  # articles published up to here are read in this follow


@dataclass(frozen=True)
class Ranked:
    story_id: int
    touches: int  # distinct follows
    outlet_count: int
    updated_at: datetime

    def key(self) -> tuple[int, int, float, int]:
        return (-self.touches, -self.outlet_count, -self.updated_at.timestamp(), self.story_id)


def touches(
    articles: Iterable[Recent], follows: Sequence[Followed], hashtags: dict[int, set[str]]
) -> dict[int, set[int]]:
    """Story id -> the follows whose unread articles (published after that follow's mark) it holds."""
    by_key: dict[tuple[str, Hashable], list[Followed]] = defaultdict(list)
    for followed in follows:
        by_key[(followed.kind, followed.key)].append(followed)
    found: dict[int, set[int]] = defaultdict(set)
    for article in articles:
        keys = [
            ("outlet", article.outlet_id),
            ("section", article.section),
            ("story", article.story_id),
            ("article", article.article_id),
            *(("hashtag", slug) for slug in hashtags.get(article.article_id, ())),
        ]
        for key in keys:
            for followed in by_key.get(key, ()):
                if article.published_at > followed.up_to:
                    found[article.story_id].add(followed.follow_id)
    return dict(found)


def rank_stories(touched: dict[int, set[int]], stories: dict[int, tuple[int, datetime]], limit: int) -> list[Ranked]:
    """The best ``limit`` stories of those still live (``stories``: id -> outlet count, last update): most
    follows touched, then most outlets, then most recently updated."""
    ranked = [
        Ranked(story_id, len(follows), *stories[story_id])
        for story_id, follows in touched.items()
        if story_id in stories
    ]
    return sorted(ranked, key=Ranked.key)[:limit]
