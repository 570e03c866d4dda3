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
from typing import NamedTuple


class Recent(NamedTuple):  # a tuple: thousands are made for each For you page
    """An unread article of the window. The reader's distinct "read up to" times, in order, are numbered from 0:
    ``newer_than`` is how many of them the article was published after."""

    article_id: int
    story_id: int
    outlet_id: int
    section: str | None
    newer_than: int


@dataclass(frozen=True)
class Followed:
    """One thing a follow matches: ``(kind, key)`` is ("outlet", id), ("section", name), ("story", id),
    ("hashtag", slug) or, for a saved search, ("article", id) once for each article the search finds."""

    follow_id: int
    kind: str
    key: Hashable
    mark: int  # the number of this follow's "read up to" time: articles not newer than it are read here


@dataclass(frozen=True)
class Ranked:
    story_id: int
    touches: int  # distinct follows
    outlet_count: int
    updated_at: datetime

    def key(self) -> tuple[int, int, float, int]:
        return (-self.touches, -self.outlet_count, -self.updated_at.timestamp(), self.story_id)


def touches(
    articles: Sequence[Recent], follows: Sequence[Followed], hashtags: dict[int, set[str]]
) -> dict[int, set[int]]:
    """Story id -> the follows whose unread articles (newer than that follow's "read up to" time) it holds."""
    index: dict[str, dict[Hashable, list[Followed]]] = defaultdict(lambda: defaultdict(list))
    for followed in follows:
        index[followed.kind][followed.key].append(followed)
    found: dict[int, set[int]] = defaultdict(set)

    def match(article: Recent, candidates: Iterable[Followed]) -> None:
        for followed in candidates:
            if article.newer_than > followed.mark:
                found[article.story_id].add(followed.follow_id)

    # One pass a kind that is followed, over the articles (or, for hashtags, over their tagged articles).
    for kind, field in (
        ("outlet", "outlet_id"),
        ("section", "section"),
        ("story", "story_id"),
        ("article", "article_id"),
    ):
        if kind in index:
            by_key = index[kind]
            for article in articles:
                candidates = by_key.get(getattr(article, field))
                if candidates:
                    match(article, candidates)
    if "hashtag" in index:
        by_id = {article.article_id: article for article in articles}
        for article_id, slugs in hashtags.items():
            if article_id in by_id:
                for slug in slugs:
                    match(by_id[article_id], index["hashtag"].get(slug, ()))
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
