"""For you: stories ranked by how many of the reader's follows their unread coverage touches, then by breadth of
coverage (outlets), then by recency."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Candidate:
    """A story some unread, unmuted article of which matches one of the reader's follows."""

    story_id: int
    follow_id: int
    outlet_count: int
    updated_at: datetime


@dataclass(frozen=True)
class Ranked:
    story_id: int
    touches: int  # distinct follows
    outlet_count: int
    updated_at: datetime

    def key(self) -> tuple[int, int, float, int]:
        return (-self.touches, -self.outlet_count, -self.updated_at.timestamp(), self.story_id)


def rank_stories(candidates: Iterable[Candidate], limit: int) -> list[Ranked]:
    """One entry a story, best first: most follows touched, then most outlets, then most recently updated."""
    follows: dict[int, set[int]] = defaultdict(set)
    stories: dict[int, Candidate] = {}
    for candidate in candidates:
        follows[candidate.story_id].add(candidate.follow_id)
        stories[candidate.story_id] = candidate
    ranked = [
        Ranked(story_id, len(follows[story_id]), story.outlet_count, story.updated_at)
        for story_id, story in stories.items()
    ]
    return sorted(ranked, key=Ranked.key)[:limit]
