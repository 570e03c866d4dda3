"""Feed polling through a loopback HTTP server: new entries are fetched, extracted and stored; a second
poll is a conditional GET; a broken feed is recorded with its error and backed off."""

from __future__ import annotations

from datetime import datetime, timezone

from storyline.collect import add_feed, poll_due
from storyline.store import queries, transaction

ARTICLE_PAGE = """<!doctype html><html lang="en"><head><title>{title}</title>
<meta property="og:title" content="{title}"></head><body><nav>Home | World | Sport</nav>
<article><h1>{title}</h1><p>{body}</p><p>{body2}</p><p>{body3}</p></article>
<footer>Copyright Example News</footer></body></html>"""

RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Example News</title>
<link>{base}/</link><description>Latest</description>
<item><title>Harbour bridge reopens after repairs</title><link>{base}/bridge</link>
<pubDate>Mon, 16 Jun 2025 10:00:00 GMT</pubDate><description>The bridge reopened.</description></item>
<item><title>Local school wins national robotics prize</title><link>{base}/robots</link>
<pubDate>Mon, 16 Jun 2025 11:00:00 GMT</pubDate><description>Pupils won.</description></item>
</channel></rss>"""


def _page(title: str, topic: str) -> bytes:
    body = f"The {topic} was the talk of the town on Monday as residents gathered to see it for themselves."
    body2 = f"Officials said the {topic} had taken two years of planning and cost less than expected."
    body3 = "Residents told reporters they were pleased with the outcome and hoped for more such news."
    return ARTICLE_PAGE.format(title=title, body=body, body2=body2, body3=body3).encode()


def test_poll_imports_entries_then_uses_conditional_get(sqlite_runtime, loopback_server):
    base = loopback_server.base_url
    loopback_server.routes = {
        "/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"),
        "/feed.xml": (200, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}, RSS.format(base=base).encode()),
        "/bridge": (
            200,
            {"Content-Type": "text/html; charset=utf-8"},
            _page("Harbour bridge reopens after repairs", "bridge"),
        ),
        "/robots": (
            200,
            {"Content-Type": "text/html; charset=utf-8"},
            _page("Local school wins national robotics prize", "prize"),
        ),
    }
    feed = add_feed(sqlite_runtime, loopback_server.url("/feed.xml"))
    report = poll_due(sqlite_runtime)
    assert report.feeds == 1 and not report.failed_feeds
    assert report.articles.imported == 2
    with transaction(sqlite_runtime.sessions) as session:
        bridge = queries.get_article_by_url(session, loopback_server.url("/bridge"))
        assert bridge is not None
        assert "two years of planning" in bridge.text
        assert "Copyright" not in bridge.text
        assert bridge.outlet.name == "Example News"
        stored = queries.get_feed(session, feed.id)
        assert stored.etag == '"v1"' and stored.last_status == "ok"
        stored.next_poll_at = datetime.now(timezone.utc)

    loopback_server.routes["/feed.xml"] = (304, {}, b"")
    second = poll_due(sqlite_runtime)
    assert second.articles.imported == 0
    feed_requests = [headers for path, headers in loopback_server.requests if path == "/feed.xml"]
    assert feed_requests[-1].get("If-None-Match") == '"v1"'
    with transaction(sqlite_runtime.sessions) as session:
        assert queries.get_feed(session, feed.id).last_status == "not modified"


def test_broken_feed_is_recorded_and_backed_off(sqlite_runtime, loopback_server):
    loopback_server.routes = {"/feed.xml": (200, {"Content-Type": "text/html"}, b"<html>not a feed</html>")}
    feed = add_feed(sqlite_runtime, loopback_server.url("/feed.xml"))
    report = poll_due(sqlite_runtime)
    assert [url for url, _ in report.failed_feeds] == [feed.url]
    with transaction(sqlite_runtime.sessions) as session:
        stored = queries.get_feed(session, feed.id)
        assert stored.error_count == 1 and stored.last_status == "error"
        assert stored.last_error
        assert stored.next_poll_at > datetime.now(timezone.utc)
