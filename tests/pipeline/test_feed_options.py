"""Per-feed options and filter rules on the real poll and import paths (loopback feed server, real models):
paused feeds are not polled, a feed's user agent, page mode and title rewrite are honoured, and filter rules
drop items before storage, count them, and remember them so later polls neither fetch nor count them again."""

from __future__ import annotations

from datetime import datetime, timezone

from storyline.collect import PollReport, add_feed, poll_due, poll_feed
from storyline.domain import ArticleInput
from storyline.fetch.http import Fetcher
from storyline.pipeline import ingest
from storyline.store import feeds_admin, queries, transaction

BODY = (
    "The {topic} was the talk of the town on Monday as residents gathered to see it for themselves. "
    "Officials said the {topic} had taken two years of planning and cost less than expected, and that the work "
    "would be finished before the winter. Residents told reporters they were pleased with the outcome and "
    "hoped for more such news from the council, which meets again next month to discuss the budget. The "
    "mayor thanked the engineers, the volunteers and the shopkeepers who had put up with the noise, and said "
    "that the town would hold a small celebration on Saturday afternoon for everyone who wanted to come along."
)
PAGE = """<!doctype html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>
<p>The page version: {body}</p><p>{body}</p></article></body></html>"""


def _rss(base: str, topics: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Town: the {topic} is finished</title><link>{base}/{topic}</link>"
        f"<pubDate>Mon, 16 Jun 2025 1{n}:00:00 GMT</pubDate>"
        f"<description>{BODY.format(topic=topic)}</description></item>"
        for n, topic in enumerate(topics)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Town News</title><link>{base}/</link>'
        f"{items}</channel></rss>"
    ).encode()


def _serve(server, topics: list[str]) -> None:
    base = server.base_url
    server.routes = {
        "/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"),
        "/feed.xml": (200, {"Content-Type": "application/rss+xml"}, _rss(base, topics)),
    }
    for topic in topics:
        page = PAGE.format(title=f"The {topic} is finished", body=BODY.format(topic=topic)).encode()
        server.routes[f"/{topic}"] = (200, {"Content-Type": "text/html; charset=utf-8"}, page)


def _paths(server) -> list[str]:
    return [path for path, _ in server.requests]


def _make_due(runtime, feed_id: int) -> None:
    with transaction(runtime.sessions) as session:
        queries.get_feed(session, feed_id).next_poll_at = datetime.now(timezone.utc)


def test_a_paused_feed_is_not_polled_by_the_schedule_or_by_poll_now(sqlite_runtime, loopback_server):
    _serve(loopback_server, ["bridge"])
    feed = add_feed(sqlite_runtime, loopback_server.url("/feed.xml"))
    with transaction(sqlite_runtime.sessions) as session:
        feeds_admin.set_paused(session, feed.id, True)
    assert poll_due(sqlite_runtime).feeds == 0
    poll_feed(sqlite_runtime, Fetcher(sqlite_runtime.settings), feed.id, PollReport())
    assert loopback_server.requests == []
    with transaction(sqlite_runtime.sessions) as session:
        feeds_admin.set_paused(session, feed.id, False)
    assert poll_due(sqlite_runtime).articles.imported == 1


def test_user_agent_feed_text_and_title_rewrite(sqlite_runtime, loopback_server):
    _serve(loopback_server, ["bridge"])
    feed = add_feed(sqlite_runtime, loopback_server.url("/feed.xml"))
    with transaction(sqlite_runtime.sessions) as session:
        feeds_admin.set_options(
            session,
            feed.id,
            {
                "user_agent": "FriendlyReader/2.0",
                "page_mode": "never",
                "title_pattern": r"^Town: the ",
                "title_replacement": "The ",
            },
        )
        feeds_admin.set_custom_title(session, feed.id, "Our Town")
    assert poll_due(sqlite_runtime).articles.imported == 1
    feed_headers = [headers for path, headers in loopback_server.requests if path == "/feed.xml"]
    assert feed_headers[0]["User-Agent"] == "FriendlyReader/2.0"
    assert "/bridge" not in _paths(loopback_server)  # the feed's text is kept: no page fetch
    with transaction(sqlite_runtime.sessions) as session:
        article = queries.get_article_by_url(session, loopback_server.url("/bridge"))
        assert article.title == "The bridge is finished"
        assert "The page version" not in article.text
        assert article.outlet.name == "Our Town"


def test_page_mode_always_fetches_the_page_even_for_a_full_feed_text(sqlite_runtime, loopback_server):
    _serve(loopback_server, ["bridge"])
    feed = add_feed(sqlite_runtime, loopback_server.url("/feed.xml"))
    with transaction(sqlite_runtime.sessions) as session:
        feeds_admin.set_options(session, feed.id, {"page_mode": "always"})
    assert poll_due(sqlite_runtime).articles.imported == 1
    assert "/bridge" in _paths(loopback_server)
    with transaction(sqlite_runtime.sessions) as session:
        assert "The page version" in queries.get_article_by_url(session, loopback_server.url("/bridge")).text


def test_block_rule_at_poll_is_counted_once_and_the_page_never_fetched_again(sqlite_runtime, loopback_server):
    _serve(loopback_server, ["bridge", "library"])
    feed = add_feed(sqlite_runtime, loopback_server.url("/feed.xml"))
    with transaction(sqlite_runtime.sessions) as session:
        feeds_admin.set_options(session, feed.id, {"page_mode": "always"})
        rule_id = feeds_admin.add_rule(session, feed.id, "block", "title", "words", "bridge").id
    report = poll_due(sqlite_runtime)
    assert (report.articles.imported, report.articles.filtered) == (1, 1)
    with transaction(sqlite_runtime.sessions) as session:
        assert queries.get_article_by_url(session, loopback_server.url("/bridge")) is None
        assert queries.get_article_by_url(session, loopback_server.url("/library")) is not None
        assert feeds_admin.get_rule(session, rule_id).hits == 1
    _serve(loopback_server, ["bridge", "library", "harbour"])
    loopback_server.requests.clear()
    _make_due(sqlite_runtime, feed.id)
    report = poll_due(sqlite_runtime)
    assert (report.articles.imported, report.articles.filtered) == (1, 0)
    assert "/bridge" not in _paths(loopback_server)
    with transaction(sqlite_runtime.sessions) as session:
        assert feeds_admin.get_rule(session, rule_id).hits == 1


def test_rules_apply_on_the_import_path_too(sqlite_runtime):
    """Imported items belong to no feed: rules for every feed apply, a keep rule keeps only what matches it."""
    with transaction(sqlite_runtime.sessions) as session:
        keep_id = feeds_admin.add_rule(session, None, "keep", "outlet", "words", "Town News").id
        block_id = feeds_admin.add_rule(session, None, "block", "author", "regex", r"^Spam").id
    items = [
        ArticleInput(
            url="https://town.example/a",
            title="The bridge is finished",
            text=BODY.format(topic="bridge"),
            source="Town News",
        ),
        ArticleInput(
            url="https://town.example/b",
            title="The park is finished",
            text=BODY.format(topic="park"),
            source="Elsewhere",
        ),
        ArticleInput(
            url="https://town.example/c",
            title="The mill is finished",
            text=BODY.format(topic="mill"),
            source="Town News",
            author="Spam Bot",
        ),
    ]
    report = ingest(sqlite_runtime.sessions, sqlite_runtime.processor, items)
    assert (report.imported, report.filtered) == (1, 2)
    with transaction(sqlite_runtime.sessions) as session:
        assert queries.existing_urls(session, [item.url for item in items]) == {"https://town.example/a"}
        assert feeds_admin.get_rule(session, keep_id).hits == 1
        assert feeds_admin.get_rule(session, block_id).hits == 1
    again = ingest(sqlite_runtime.sessions, sqlite_runtime.processor, items)
    assert (again.imported, again.filtered, again.skipped) == (0, 0, 3)


class DeletingFetcher:
    """Deletes a feed (as an administrator might, from the admin page) right after its feed was fetched."""

    def __init__(self, runtime, doomed_url: str) -> None:
        self.real, self.runtime, self.doomed_url = Fetcher(runtime.settings), runtime, doomed_url

    def fetch(self, url: str, **options):
        result = self.real.fetch(url, **options)
        if url == self.doomed_url:
            with transaction(self.runtime.sessions) as session:
                feed = feeds_admin.find_feed_by_url(session, url)
                feeds_admin.detach_feed_articles(session, feed.id)
                feeds_admin.delete_feed(session, feed.id)
        return result


def test_a_feed_deleted_while_it_is_polled_stops_nothing(sqlite_runtime, loopback_server):
    _serve(loopback_server, ["bridge"])
    loopback_server.routes["/other.xml"] = loopback_server.routes["/feed.xml"][:2] + (
        _rss(loopback_server.base_url, ["library"]),
    )
    loopback_server.routes["/library"] = loopback_server.routes["/bridge"]
    doomed = add_feed(sqlite_runtime, loopback_server.url("/feed.xml"))
    other = add_feed(sqlite_runtime, loopback_server.url("/other.xml"))
    with transaction(sqlite_runtime.sessions) as session:
        for feed in (doomed, other):
            feeds_admin.set_options(session, feed.id, {"page_mode": "never"})
        queries.get_feed(session, doomed.id).next_poll_at = datetime(2000, 1, 1, tzinfo=timezone.utc)
    report = poll_due(sqlite_runtime, DeletingFetcher(sqlite_runtime, doomed.url))
    assert report.feeds == 2
    with transaction(sqlite_runtime.sessions) as session:
        assert queries.get_feed(session, doomed.id) is None
        assert queries.get_article_by_url(session, loopback_server.url("/library")).feed_id == other.id
