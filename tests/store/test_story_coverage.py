"""A story's coverage read a page at a time, copies folded into their originals, per-outlet counts by GROUP BY:
what lets a story of thousands of articles serve its page. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from storyline.store import queries, transaction
from storyline.store.models import Article

START = datetime(2025, 6, 16, 8, tzinfo=timezone.utc)


def add(session: Session, key: str, outlet: str, minute: int, story_id: int, copy_of: Article | None = None):
    row = Article(
        public_id=key,
        url=f"https://example.invalid/{key}",
        title=f"headline {key}",
        text=f"text {key}",
        published_at=START + timedelta(minutes=minute),
        outlet_id=queries.get_or_create_outlet(session, outlet).id,
        story_id=story_id,
        duplicate_of_id=copy_of.id if copy_of else None,
    )
    session.add(row)
    session.flush()
    return row


def build(session: Session) -> None:
    """Story 1: a1 (Agency) copied by Paper A and Paper B in the story, a2, a3 by Paper A; a copy c9 in story 1 of
    an original o9 in story 2."""
    for story_id in (1, 2):
        queries.upsert_story(session, story_id, f"story {story_id}", START)
    a1 = add(session, "a1", "Agency", 0, 1)
    add(session, "c1", "Paper A", 1, 1, copy_of=a1)
    add(session, "c2", "Paper B", 2, 1, copy_of=a1)
    add(session, "a2", "Paper A", 3, 1)
    add(session, "a3", "Paper A", 4, 1)
    o9 = add(session, "o9", "Other", 0, 2)
    add(session, "c9", "Paper B", 5, 1, copy_of=o9)


def keys(rows) -> list[str]:
    return [row.public_id for row in rows]


def test_coverage_pages_list_originals_and_copies_of_other_stories(sessions):
    with transaction(sessions) as session:
        build(session)
        assert keys(queries.story_coverage(session, 1)) == ["a1", "a2", "a3", "c9"]
        assert keys(queries.story_coverage(session, 1, limit=2)) == ["a1", "a2"]
        assert keys(queries.story_coverage(session, 1, limit=2, offset=2)) == ["a3", "c9"]
        assert keys(queries.story_latest_coverage(session, 1, 2)) == ["c9", "a3"]
        assert keys(queries.story_articles_page(session, 1, limit=10)) == ["a1", "c1", "c2", "a2", "a3", "c9"]


def test_copies_of_a_page_and_outlet_counts(sessions):
    with transaction(sessions) as session:
        build(session)
        a1, a2 = (session.query(Article).filter_by(public_id=key).one() for key in ("a1", "a2"))
        copies = queries.story_copy_outlets(session, 1, [a1.id, a2.id])
        assert [(original, name) for original, _, name in copies] == [(a1.id, "Paper A"), (a1.id, "Paper B")]
        counts = [(outlet.name, count, first) for outlet, count, first in queries.story_outlet_counts(session, 1)]
        assert counts == [
            ("Agency", 1, START),
            ("Paper A", 2, START + timedelta(minutes=3)),
            ("Paper B", 1, START + timedelta(minutes=5)),
        ]
