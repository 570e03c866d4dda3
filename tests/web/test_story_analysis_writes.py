"""A story's analysis is computed outside the writer's lock and stored only if the story is still what it read.

On SQLite a writer holds the one write lock: a story analysed inside its transaction (seconds for a big one) held
up the poller's every write; computed in a read and stored in a short write, it holds up nothing, and an article
that joined meanwhile keeps the computed analysis from being stored as if it covered it."""

from __future__ import annotations

import threading

from sqlalchemy import select

from storyline import pipeline
from storyline.pipeline import draft_story_analysis, refresh_stories, store_story_analysis
from storyline.store import queries, reading, transaction
from storyline.store.models import Article, Outlet, Story

from .conftest import add_coverage

OTHER_WRITER_WAIT_S = 5.0  # far longer than one write takes when nothing holds the lock


def seed_story(runtime) -> int:
    with reading(runtime.sessions) as session:
        return session.scalar(select(Article.story_id).where(Article.story_id.is_not(None)).limit(1))


def mark_stale(runtime, story_id: int) -> None:
    with transaction(runtime.sessions) as session:
        session.get(Story, story_id).analysis_article_count = -1


def analysed_count(runtime, story_id: int) -> int:
    with reading(runtime.sessions) as session:
        return session.get(Story, story_id).analysis_article_count


def test_an_analysis_of_a_story_that_changed_meanwhile_is_not_stored(seeded, seed_batch):
    story_id = seed_story(seeded)
    mark_stale(seeded, story_id)
    with reading(seeded.sessions) as session:
        draft = draft_story_analysis(session, story_id)
    assert draft is not None and draft.originals == 4
    add_coverage(seeded, seed_batch, story_id, "Late Ledger")  # joins, and the story is analysed with it
    assert analysed_count(seeded, story_id) == 5
    with transaction(seeded.sessions) as session:
        assert store_story_analysis(session, draft) is None
    assert analysed_count(seeded, story_id) == 5, "the analysis of four articles did not replace that of five"


def test_an_analysis_unchanged_meanwhile_is_stored(seeded):
    story_id = seed_story(seeded)
    mark_stale(seeded, story_id)
    with reading(seeded.sessions) as session:
        draft = draft_story_analysis(session, story_id)
    with transaction(seeded.sessions) as session:
        assert store_story_analysis(session, draft) == draft.payload
    assert analysed_count(seeded, story_id) == 4


def test_other_writers_write_while_a_story_is_analysed(seeded, monkeypatch):
    story_id = seed_story(seeded)
    mark_stale(seeded, story_id)
    written = threading.Event()

    def other_writer() -> None:
        with transaction(seeded.sessions) as session:
            queries.get_or_create_outlet(session, "Polled meanwhile")
        written.set()

    def analysis_beside_a_writer(*args, **kwargs):
        thread = threading.Thread(target=other_writer)
        thread.start()
        written.wait(OTHER_WRITER_WAIT_S)
        try:
            return original(*args, **kwargs)
        finally:
            thread.join()

    original = pipeline.sampled_story_analysis
    monkeypatch.setattr(pipeline, "sampled_story_analysis", analysis_beside_a_writer)
    assert refresh_stories(seeded.sessions, [story_id]) == 1
    assert written.is_set(), "the other writer waited for the analysis"
    assert analysed_count(seeded, story_id) == 4  # a write elsewhere leaves the story as it was read
    with reading(seeded.sessions) as session:
        assert session.scalar(select(Outlet.id).where(Outlet.name == "Polled meanwhile")) is not None
