"""The feed administration and filter rule queries, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from storyline.store import feeds_admin, queries, transaction
from storyline.store.models import Article, Comment, User

NOW = datetime(2026, 12, 5, 8, tzinfo=timezone.utc)


def _article(session, public_id: str, feed_id: int | None, story_id: int = 1, duplicate_of: int | None = None):
    outlet = queries.get_or_create_outlet(session, "Example News")
    queries.upsert_story(session, story_id, "A story", NOW)
    row = Article(
        public_id=public_id,
        url=f"https://news.example/{public_id}",
        title=f"Title {public_id}",
        text="Body.",
        sentences=["Body."],
        language="en",
        published_at=NOW,
        outlet_id=outlet.id,
        feed_id=feed_id,
        story_id=story_id,
        duplicate_of_id=duplicate_of,
        summary=[],
        quotes=[],
        figures=[],
    )
    session.add(row)
    session.flush()
    return row


def test_folders_order_and_pause(sessions):
    with transaction(sessions) as session:
        a = queries.add_feed(session, "https://a.example/feed", "Alpha")
        b = queries.add_feed(session, "https://b.example/feed", "Beta")
        c = queries.add_feed(session, "https://c.example/feed", "Gamma")
        feeds_admin.set_folder(session, b.id, "Tech")
        feeds_admin.set_folder(session, c.id, "News")
        ids = a.id, b.id, c.id
    with transaction(sessions) as session:
        assert [feed.id for feed in feeds_admin.feeds_by_folder(session)] == [ids[2], ids[1], ids[0]]
        assert feeds_admin.folder_names(session) == ["News", "Tech"]
        feeds_admin.set_paused(session, ids[0], True)
    later = datetime.now(timezone.utc) + timedelta(minutes=1)
    with transaction(sessions) as session:
        assert {feed.id for feed in queries.due_feeds(session, later)} == {ids[1], ids[2]}
        feeds_admin.set_paused(session, ids[0], False)
    with transaction(sessions) as session:
        assert ids[0] in {feed.id for feed in queries.due_feeds(session, later)}
        feeds_admin.set_custom_title(session, ids[0], "My alpha")
        feeds_admin.set_options(session, ids[0], {"page_mode": "never", "user_agent": "Reader/1.0"})
    with transaction(sessions) as session:
        feed = queries.get_feed(session, ids[0])
        assert (feed.display_title, feed.page_mode, feed.user_agent) == ("My alpha", "never", "Reader/1.0")
        assert feeds_admin.find_feed_by_url(session, "https://b.example/feed").id == ids[1]


def test_delete_keeping_articles(sessions):
    with transaction(sessions) as session:
        feed = queries.add_feed(session, "https://a.example/feed", "Alpha")
        _article(session, "kept00000001", feed.id)
        feeds_admin.add_rule(session, feed.id, "block", "title", "words", "x")
        feed_id = feed.id
    with transaction(sessions) as session:
        assert feeds_admin.feed_article_count(session, feed_id) == 1
        feeds_admin.detach_feed_articles(session, feed_id)
        feeds_admin.delete_feed(session, feed_id)
    with transaction(sessions) as session:
        assert queries.get_feed(session, feed_id) is None
        article = queries.get_article(session, "kept00000001")
        assert article is not None and article.feed_id is None
        assert feeds_admin.list_rules(session) == []


def test_delete_removing_articles_keeps_other_feeds_and_their_copies(sessions):
    with transaction(sessions) as session:
        gone = queries.add_feed(session, "https://a.example/feed", "Alpha")
        other = queries.add_feed(session, "https://b.example/feed", "Beta")
        original = _article(session, "gone00000001", gone.id)
        _article(session, "gone00000002", gone.id, duplicate_of=original.id)
        _article(session, "copy00000001", other.id, duplicate_of=original.id)
        user = User(username="reader", password_hash="x")
        session.add(user)
        session.flush()
        session.add(Comment(article_id=original.id, user_id=user.id, body="hello"))
        gone_id = gone.id
    with transaction(sessions) as session:
        keys = feeds_admin.feed_article_keys(session, gone_id)
        assert sorted(keys) == [("gone00000001", 1), ("gone00000002", 1)]
        feeds_admin.delete_feed_articles(session, gone_id)
        feeds_admin.delete_feed(session, gone_id)
        queries.refresh_story_counts(session, 1)
    with transaction(sessions) as session:
        assert queries.get_article(session, "gone00000001") is None
        assert queries.get_article(session, "gone00000002") is None
        copy = queries.get_article(session, "copy00000001")
        assert copy is not None and copy.duplicate_of_id is None
        assert queries.get_story(session, 1).article_count == 1
        assert session.query(Comment).count() == 0


def test_rules_counts_and_remembered_urls(sessions):
    with transaction(sessions) as session:
        feed = queries.add_feed(session, "https://a.example/feed", "Alpha")
        everywhere = feeds_admin.add_rule(session, None, "block", "title", "words", "casino")
        mine = feeds_admin.add_rule(session, feed.id, "keep", "body", "regex", r"\bbridge\b")
        other = queries.add_feed(session, "https://b.example/feed", "Beta")
        theirs = feeds_admin.add_rule(session, other.id, "block", "url", "words", "ads")
        ids = feed.id, everywhere.id, mine.id, theirs.id, other.id
    feed_id, everywhere_id, mine_id, theirs_id, theirs_feed = ids
    with transaction(sessions) as session:
        assert [rule.id for rule in feeds_admin.list_rules(session)] == [everywhere_id, mine_id, theirs_id]
        assert [rule.id for rule in feeds_admin.rules_for_feeds(session, [feed_id])] == [everywhere_id, mine_id]
        assert [rule.id for rule in feeds_admin.rules_for_feeds(session, [None])] == [everywhere_id]
        feeds_admin.count_hits(session, {everywhere_id: 2, mine_id: 3})
        feeds_admin.count_hits(session, {everywhere_id: 1})
        feeds_admin.remember_filtered(
            session,
            [("https://x.example/1", feed_id, everywhere_id), ("https://x.example/2", feed_id, None)]
            + [("https://x.example/1", feed_id, everywhere_id)],  # the same URL twice is remembered once
        )
    with transaction(sessions) as session:
        assert feeds_admin.get_rule(session, everywhere_id).hits == 3
        counts = feeds_admin.rule_counts_by_feed(session)
        assert counts == {None: (1, 3), feed_id: (1, 3), theirs_feed: (1, 0)}
        assert feeds_admin.filtered_urls(session, ["https://x.example/1", "https://x.example/2", "https://y"]) == {
            "https://x.example/1",
            "https://x.example/2",
        }
        feeds_admin.remember_filtered(session, [("https://x.example/1", feed_id, everywhere_id)])
    with transaction(sessions) as session:
        feeds_admin.delete_rule(session, mine_id)  # a keep rule: "no keep rule matched" decisions are forgotten
    with transaction(sessions) as session:
        assert feeds_admin.filtered_urls(session, ["https://x.example/1", "https://x.example/2"]) == {
            "https://x.example/1"
        }
        feeds_admin.delete_rule(session, everywhere_id)
    with transaction(sessions) as session:
        assert feeds_admin.filtered_urls(session, ["https://x.example/1"]) == set()
        assert [rule.id for rule in feeds_admin.list_rules(session)] == [theirs_id]
