"""Follows, mutes and read state in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from storyline.readers.follows import HOME_SCOPE, follow_scope
from storyline.store import community, queries, transaction
from storyline.store import readers as store
from storyline.store.models import Article, ArticleEntity, Follow
from storyline.web import reading

NOW = datetime(2025, 6, 16, 12, tzinfo=timezone.utc)
# public id: (story, outlet, hashtags, section, title, hours before NOW, duplicate of)
CORPUS = {
    "a1": (1, "Daily", ["alpha"], "Politics", "Budget vote passes", 1, None),
    "a2": (1, "Herald", ["alpha"], "Politics", "Budget row deepens", 2, None),
    "a3": (2, "Herald", ["beta"], "Sport", "Cup final tonight", 3, None),
    "a4": (3, "Daily", [], "Sport", "Storm floods the stadium", 4, None),
    "a5": (2, "Daily", ["beta"], "Sport", "Cup final tonight", 3, "a3"),
}


@pytest.fixture
def corpus(sessions):
    """The corpus and a reader's id; returns (sessions, user id, public id -> row id)."""
    ids: dict[str, int] = {}
    with transaction(sessions) as session:
        user = community.create_user(session, "reader", "hash")
        for public_id, (story, outlet, tags, section, title, hours, copy_of) in CORPUS.items():
            when = NOW - timedelta(hours=hours)
            queries.upsert_story(session, story, title, when)
            row = Article(
                public_id=public_id,
                url=f"https://example.com/{public_id}",
                title=title,
                text=f"{title}. More words about it.",
                sentences=[title],
                published_at=when,
                outlet_id=queries.get_or_create_outlet(session, outlet).id,
                story_id=story,
                section=section,
                duplicate_of_id=ids.get(copy_of),
            )
            session.add(row)
            session.flush()
            ids[public_id] = row.id
            for rank, slug in enumerate(tags):
                entity = queries.get_or_create_entity(session, slug, slug.title(), "topic")
                session.add(ArticleEntity(article_id=row.id, entity_id=entity.id, rank=rank))
        for story in (1, 2, 3):
            queries.refresh_story_counts(session, story)
    return sessions, user.id, ids


def follow(session, user_id: int, kind: str, target: str) -> Follow:
    store.add_follow(session, user_id, kind, target, f"token-{kind}-{target}")
    return store.find_follow(session, user_id, kind, target)


def titles(rows) -> list[str]:
    return [row.public_id for row in rows]


def test_following_twice_keeps_one_follow_and_its_token(corpus):
    sessions, user_id, _ = corpus
    with transaction(sessions) as session:
        first = follow(session, user_id, "hashtag", "alpha")
        store.add_follow(session, user_id, "hashtag", "alpha", "another-token")
        assert [f.id for f in store.user_follows(session, user_id)] == [first.id]
        assert store.get_follow(session, first.id).feed_token == "token-hashtag-alpha"


@pytest.mark.parametrize(
    "mutes, shown",
    [
        ([], ["a1", "a2", "a3", "a4"]),
        ([("outlet", "daily")], ["a2", "a3"]),
        ([("hashtag", "alpha")], ["a3", "a4"]),
        ([("keyword", "budget")], ["a3", "a4"]),
        ([("keyword", "50%_")], ["a1", "a2", "a3", "a4"]),  # LIKE's wildcards are plain characters
        ([("hashtag", "beta"), ("keyword", "storm")], ["a1", "a2"]),
        ([("hashtag", "no-such-tag")], ["a1", "a2", "a3", "a4"]),
    ],
)
def test_mutes_leave_out_outlets_hashtags_and_title_keywords(corpus, mutes, shown):
    sessions, user_id, _ = corpus
    with transaction(sessions) as session:
        for kind, target in mutes:
            store.add_mute(session, user_id, kind, target)
        muted = store.muted(session, user_id)
        assert titles(queries.latest_articles(session, 10, muted=muted)) == shown
        members = queries.stories_lead_articles(session, [1, 2, 3], muted=muted)
        assert sorted(titles(members)) == shown


def test_mutes_apply_to_search(corpus):
    sessions, user_id, _ = corpus
    with transaction(sessions) as session:
        assert sorted(titles(queries.search_articles(session, "budget"))) == ["a1", "a2"]
        store.add_mute(session, user_id, "outlet", "herald")
        assert titles(queries.search_articles(session, "budget", muted=store.muted(session, user_id))) == ["a1"]


@pytest.mark.parametrize(
    "kind, target, held",
    [
        ("hashtag", "alpha", ["a1", "a2"]),
        ("outlet", "herald", ["a2", "a3"]),
        ("section", "Sport", ["a3", "a4"]),
        ("story", "2", ["a3"]),
        ("search", "budget", ["a1", "a2"]),
    ],
)
def test_each_kind_of_follow_holds_its_articles(corpus, kind, target, held):
    sessions, user_id, _ = corpus
    with transaction(sessions) as session:
        assert titles(store.follow_articles(session, follow(session, user_id, kind, target), 10, 0)) == held


def test_a_followed_story_merged_into_another_follows_the_survivor(corpus):
    sessions, user_id, _ = corpus
    with transaction(sessions) as session:
        queries.mark_story_merged(session, 3, 2)
        assert titles(store.follow_articles(session, follow(session, user_id, "story", "3"), 10, 0)) == ["a3", "a4"]


def test_recent_unread_articles_newest_first_without_read_or_muted(corpus):
    sessions, user_id, ids = corpus
    with transaction(sessions) as session:
        marks = [NOW - timedelta(days=3), NOW - timedelta(hours=2.5), NOW - timedelta(hours=1.5)]
        recent = store.recent_unread(session, user_id, marks, None, 10)
        assert [row[0] for row in recent] == [ids[p] for p in ("a1", "a2", "a3", "a4")]  # no copy (a5)
        assert recent[3][1:4] == (3, queries.get_outlet_by_slug(session, "daily").id, "Sport")
        # newer than: a1 (1 h ago) all three marks, a2 (2 h) two, a3 and a4 (3 and 4 h) only the first
        assert [row[4] for row in recent] == [3, 2, 1, 1]
        store.mark_read(session, user_id, [ids["a3"]])
        store.add_mute(session, user_id, "hashtag", "alpha")
        muted = store.muted(session, user_id)
        assert [row[0] for row in store.recent_unread(session, user_id, marks, muted, 10)] == [ids["a4"]]
        assert len(store.recent_unread(session, user_id, marks[1:], None, 10)) == 2
        assert len(store.recent_unread(session, user_id, marks, None, 1)) == 1


def test_what_for_you_matches_follows_with(corpus):
    sessions, user_id, ids = corpus
    with transaction(sessions) as session:
        assert sorted(store.hashtags_of(session, ["alpha", "beta"], ids["a2"])) == sorted(
            [(ids["a2"], "alpha"), (ids["a3"], "beta"), (ids["a5"], "beta")]
        )
        assert store.outlet_ids(session, ["herald", "nowhere"]) == {
            "herald": queries.get_outlet_by_slug(session, "herald").id
        }
        queries.mark_story_merged(session, 3, 2)
        assert store.surviving_stories(session, [2, 3, 99]) == {2: 2, 3: 2}
        live = store.live_stories(session, [1, 2, 3])
        assert sorted(live) == [1, 2] and live[1][0] == 2
        assert sorted(store.search_matches(session, "budget", None)) == [ids["a1"], ids["a2"]]


def test_unread_counts_stop_at_the_cap_and_follow_the_read_mark(corpus):
    sessions, user_id, ids = corpus
    with transaction(sessions) as session:
        section = follow(session, user_id, "section", "Politics")
        long_ago = NOW - timedelta(days=7)
        assert store.unread_count(session, user_id, section, long_ago, None, cap=99) == 2
        assert store.unread_count(session, user_id, section, long_ago, None, cap=0) == 1  # "0+"
        store.mark_read(session, user_id, [ids["a1"], ids["a1"]])
        assert store.unread_count(session, user_id, section, long_ago, None, cap=99) == 1
        assert store.unread_count(session, user_id, section, NOW - timedelta(hours=1.5), None, cap=99) == 0
        store.add_mute(session, user_id, "outlet", "herald")
        assert store.unread_count(session, user_id, section, long_ago, store.muted(session, user_id), cap=99) == 0


def test_a_read_mark_never_moves_back(corpus):
    sessions, user_id, _ = corpus
    with transaction(sessions) as session:
        store.raise_read_mark(session, user_id, "home", NOW)
        store.raise_read_mark(session, user_id, "home", NOW - timedelta(days=7))
        store.raise_read_mark(session, user_id, "section:Sport", NOW - timedelta(days=1))
    with transaction(sessions) as session:
        marks = store.read_marks(session, user_id, ["home", "section:Sport", "follow:1"])
    assert marks == {"home": NOW, "section:Sport": NOW - timedelta(days=1)}


def test_story_visits_remember_the_story_as_it_was(corpus):
    sessions, user_id, _ = corpus
    with transaction(sessions) as session:
        story = queries.get_story(session, 1)
        store.record_story_visit(session, user_id, story)
        story.article_count, story.outlet_count = 5, 3
        store.record_story_visit(session, user_id, queries.get_story(session, 2))
        visits = store.story_visits(session, user_id, [1, 2, 3])
        assert sorted(visits) == [1, 2]
        assert (visits[1].article_count, visits[1].outlet_count) == (2, 2)
        store.record_story_visit(session, user_id, story)
        session.expire_all()
        assert store.story_visits(session, user_id, [1])[1].article_count == 5


def test_saved_articles_newest_saved_first(corpus):
    sessions, user_id, ids = corpus
    with transaction(sessions) as session:
        for public_id in ("a3", "a1", "a3"):
            store.save_article(session, user_id, ids[public_id])
        assert store.is_saved(session, user_id, ids["a1"])
        assert sorted(titles(store.saved_articles(session, user_id, 10, 0))) == ["a1", "a3"]
        store.unsave_article(session, user_id, ids["a3"])
        assert titles(store.saved_articles(session, user_id, 10, 0)) == ["a1"]
        assert not store.is_saved(session, user_id, ids["a3"])


def test_for_you_ranks_by_follows_touched_then_outlets_and_leaves_out_what_is_read(corpus):
    sessions, user_id, ids = corpus
    with transaction(sessions) as session:
        user = community.get_user(session, user_id)
        pairs = [("hashtag", "alpha"), ("section", "Sport"), ("outlet", "herald"), ("story", "3")]
        follows = [follow(session, user_id, *pair) for pair in pairs]

        def ranked() -> list[tuple[int, int]]:
            return [(story.story_id, story.touches) for story in reading.ranked_for(session, user, follows, None)]

        # Story 1: alpha and Herald, two outlets; story 2: Sport and Herald, one outlet (a5 is a copy), updated
        # after story 3: Sport and the story itself, one outlet.
        assert ranked() == [(1, 2), (2, 2), (3, 2)]
        store.mark_read(session, user_id, [ids["a3"]])
        assert ranked() == [(1, 2), (3, 2)]
        store.raise_read_mark(session, user_id, follow_scope(follows[1].id), NOW)  # Sport read up to now
        assert ranked() == [(1, 2), (3, 1)]
        store.raise_read_mark(session, user_id, HOME_SCOPE, NOW - timedelta(hours=1, minutes=30))
        assert ranked() == [(1, 1)]
