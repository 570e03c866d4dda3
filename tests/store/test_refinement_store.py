"""Storing a refinement pass: the migration, merges and splits in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from storyline.pipeline import store_refinement
from storyline.store import make_engine, migrate, queries, transaction
from storyline.store.models import Article, Story
from storyline.stories.refine import Merge, Refinement, Split

START = datetime(2025, 6, 16, 8, tzinfo=timezone.utc)


def add_story(session: Session, story_id: int, keys: list[str], minutes: list[int]) -> None:
    """A story with one article a key, published ``minutes`` after START, from outlets A, B, C ... in turn."""
    queries.upsert_story(session, story_id, f"story {story_id}", START + timedelta(minutes=min(minutes)))
    for number, (key, minute) in enumerate(zip(keys, minutes, strict=True)):
        outlet = queries.get_or_create_outlet(session, f"Outlet {'ABC'[number % 3]}")
        session.add(
            Article(
                public_id=key,
                url=f"https://example.invalid/{key}",
                title=f"headline {key}",
                text=f"text {key}",
                published_at=START + timedelta(minutes=minute),
                outlet_id=outlet.id,
                story_id=story_id,
                enriched_at=START + timedelta(minutes=minute),  # stored whole, as import stores it
            )
        )
    session.flush()
    queries.refresh_story_counts(session, story_id)
    queries.upsert_story(session, story_id, "", START + timedelta(minutes=max(minutes)))


def story_keys(session: Session, story_id: int) -> set[str]:
    return {row.public_id for row in queries.story_articles(session, story_id)}


def test_migration_adds_the_merge_index_to_an_existing_database(database_url):
    engine = make_engine(database_url)
    try:
        migrate(engine, "0003")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO stories (id, title, created_at, updated_at, article_count, outlet_count, "
                    "analysis_article_count) VALUES (7, 'kept', :now, :now, 0, 0, 0)"
                ),
                {"now": START},
            )
        migrate(engine, "0004")
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT version_num FROM alembic_version")) == "0004"
            assert connection.scalar(text("SELECT title FROM stories WHERE id = 7")) == "kept"
        indexes = {index["name"]: index["column_names"] for index in inspect(engine).get_indexes("stories")}
        assert indexes["ix_stories_merged_into"] == ["merged_into"]
    finally:
        engine.dispose()


def test_a_merge_moves_the_articles_to_the_older_story_and_earlier_merges_follow(sessions):
    with transaction(sessions) as session:
        add_story(session, 1, ["a1"], [0])
        add_story(session, 2, ["b1", "b2"], [2, 30])
        add_story(session, 3, ["c1"], [1])
        queries.mark_story_merged(session, 3, 2)  # an earlier pass merged 3 into 2
        session.get(Story, 1).analysis_article_count = 1  # story 1's analysis is up to date
    with transaction(sessions) as session:
        store_refinement(session, Refinement(merges=[Merge(survivor_id=1, absorbed_id=2)]))
    with transaction(sessions) as session:
        survivor, absorbed, earlier = (session.get(Story, story_id) for story_id in (1, 2, 3))
        assert story_keys(session, 1) == {"a1", "b1", "b2", "c1"} and story_keys(session, 2) == set()
        assert (absorbed.merged_into, earlier.merged_into) == (1, 1)  # every old page redirects in one hop
        assert (survivor.article_count, survivor.outlet_count, absorbed.article_count) == (4, 2, 0)
        assert survivor.updated_at == START + timedelta(minutes=30)
        assert queries.stale_story_ids(session) == [1]
        assert queries.get_surviving_story(session, 2).id == 1


def test_a_merge_titles_the_survivor_after_the_earliest_report_it_now_holds(sessions):
    # Story 1 was made first, by a report published at minute 10; story 2's report, published at minute 0, came
    # late (a feed's backlog). The older id survives, but the story began with story 2's report.
    with transaction(sessions) as session:
        add_story(session, 1, ["a1"], [10])
        add_story(session, 2, ["b1"], [0])
        queries.retitle_story(session, 1)
    with transaction(sessions) as session:
        store_refinement(session, Refinement(merges=[Merge(survivor_id=1, absorbed_id=2)]))
    with transaction(sessions) as session:
        assert session.get(Story, 1).title == "headline b1"


@pytest.mark.parametrize(
    ("moved", "kept_title"),
    [
        ({"a3", "a4"}, "headline a1"),
        ({"a1", "a2"}, "headline a3"),  # the story's first article left: the story is renamed after the next
    ],
)
def test_a_split_gives_the_moved_articles_a_new_story(sessions, moved, kept_title):
    with transaction(sessions) as session:
        add_story(session, 5, ["a1", "a2", "a3", "a4"], [0, 1, 2, 3])
        # analysed when it had two articles: after the split it has two again, but not the same two
        session.get(Story, 5).analysis_article_count = 2
    split = Split(5, 6, frozenset(moved), "the new title", START + timedelta(minutes=1), START + timedelta(minutes=3))
    with transaction(sessions) as session:
        store_refinement(session, Refinement(splits=[split]))
    with transaction(sessions) as session:
        old, new = session.get(Story, 5), session.get(Story, 6)
        assert story_keys(session, 6) == moved and story_keys(session, 5) == {"a1", "a2", "a3", "a4"} - moved
        assert (new.title, new.created_at, new.updated_at) == ("the new title", split.first_seen, split.last_seen)
        assert old.title == kept_title
        assert (old.article_count, new.article_count) == (2, 2)
        assert set(queries.stale_story_ids(session)) == {5, 6}
        assert queries.max_story_id(session) == 6
        assert session.scalar(select(Article.story_id).where(Article.public_id == sorted(moved)[0])) == 6
