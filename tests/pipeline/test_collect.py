"""Feed polling through a loopback HTTP server: new entries are fetched, extracted and stored; a second
poll is a conditional GET; a broken feed is recorded with its error and backed off."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

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


FEED_ITEMS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>
<link>{base}/</link><description>Latest</description>{items}</channel></rss>"""
ITEM = "<item>{title}<link>{link}</link><pubDate>Mon, 16 Jun 2025 {hour}:00:00 GMT</pubDate>{body}</item>"
LONG_BODY = (
    "<description>The {topic} was the talk of the town on Monday as residents gathered to see it for themselves. "
    "Officials said the {topic} had taken two years of planning and cost less than expected, and that the work "
    "would be finished before the winter. Residents told reporters they were pleased with the outcome and "
    "hoped for more such news from the council, which meets again next month to discuss the budget. The "
    "mayor thanked the engineers, the volunteers and the shopkeepers who had put up with the noise, and said "
    "that the town would hold a small celebration on Saturday afternoon for everyone who wanted to come along "
    "and see what had been done.</description>"
)


def _feed(base: str, name: str, topics: list[str], title: bool = True) -> bytes:
    items = "".join(
        ITEM.format(
            title=f"<title>{name}: the {topic} is finished</title>" if title else "",
            link=f"{base}/{name}/{n}",
            hour=10 + n,
            body=LONG_BODY.format(topic=topic),
        )
        for n, topic in enumerate(topics)
    )
    return FEED_ITEMS.format(title=name, base=base, items=items).encode()


def _serve_feeds(server, feeds: dict[str, bytes]) -> None:
    server.routes = {"/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n")}
    for name, body in feeds.items():
        server.routes[f"/{name}.xml"] = (200, {"Content-Type": "application/rss+xml"}, body)


def test_an_entry_refused_at_storage_costs_only_that_entry(
    sqlite_runtime, loopback_server, monkeypatch, refuse_storing
):
    """The other entries of its feed are stored, the feeds after it are polled, the feeds page names the entry,
    and the next poll tries it again."""
    base = loopback_server.base_url
    _serve_feeds(loopback_server, {"first": _feed(base, "first", ["bridge", "library"]),
                                   "second": _feed(base, "second", ["harbour", "museum"])})  # fmt: skip
    refused = f"{base}/first/1"
    refuse_storing(refused)
    first = add_feed(sqlite_runtime, loopback_server.url("/first.xml"))
    second = add_feed(sqlite_runtime, loopback_server.url("/second.xml"))
    report = poll_due(sqlite_runtime)
    assert report.feeds == 2 and not report.failed_feeds
    assert report.articles.imported == 3 and [f.subject for f in report.articles.failed] == [refused]
    with transaction(sqlite_runtime.sessions) as session:
        stored = queries.get_feed(session, first.id)
        assert stored.last_status == "ok, 1 entries refused" and stored.error_count == 0
        assert stored.last_error.startswith(f"{refused}: store: refused the article: ValueError")
        assert queries.get_feed(session, second.id).last_polled_at is not None
        assert len(queries.existing_urls(session, [f"{base}/second/0", f"{base}/second/1"])) == 2
        stored.next_poll_at = datetime.now(timezone.utc)
    monkeypatch.undo()
    again = poll_due(sqlite_runtime)
    assert again.articles.imported == 1 and not again.articles.failed
    with transaction(sqlite_runtime.sessions) as session:
        assert queries.get_feed(session, first.id).last_error is None


def test_a_feed_whose_poll_crashes_is_recorded_and_the_rest_are_polled(sqlite_runtime, loopback_server, monkeypatch):
    from storyline import collect

    base = loopback_server.base_url
    _serve_feeds(
        loopback_server, {"first": _feed(base, "first", ["bridge"]), "second": _feed(base, "second", ["harbour"])}
    )
    real = collect.parse_feed

    def parse_feed(content, url):
        if url.endswith("/first.xml"):
            raise RuntimeError("a fault no one foresaw")
        return real(content, url)

    monkeypatch.setattr(collect, "parse_feed", parse_feed)
    first = add_feed(sqlite_runtime, loopback_server.url("/first.xml"))
    add_feed(sqlite_runtime, loopback_server.url("/second.xml"))
    report = poll_due(sqlite_runtime)
    assert report.feeds == 2 and report.articles.imported == 1
    assert [url for url, _ in report.failed_feeds] == [first.url]
    with transaction(sqlite_runtime.sessions) as session:
        stored = queries.get_feed(session, first.id)
        assert stored.last_status == "error" and "RuntimeError: a fault no one foresaw" in stored.last_error


def test_an_entry_without_a_title_is_titled_from_its_text(sqlite_runtime, loopback_server):
    base = loopback_server.base_url
    _serve_feeds(loopback_server, {"notes": _feed(base, "notes", ["bridge"], title=False)})
    add_feed(sqlite_runtime, loopback_server.url("/notes.xml"))
    assert poll_due(sqlite_runtime).articles.imported == 1
    with transaction(sqlite_runtime.sessions) as session:
        row = queries.get_article_by_url(session, f"{base}/notes/0")
        assert row.title_derived
        assert (
            row.title == "The bridge was the talk of the town on Monday as residents gathered to see it for themselves."
        )


def refetched_by_the_poller(runtime, monkeypatch) -> int:
    return poll_due(runtime).refetched


def refetched_by_the_celery_beat(runtime, monkeypatch) -> int:
    """The beat's ``storyline.refetch_excerpts`` task, run here as a worker runs it."""
    from storyline.workers import tasks

    monkeypatch.setattr(tasks._state, "runtime", runtime)
    return tasks.refetch_excerpts()


@pytest.mark.parametrize("refetched", [refetched_by_the_poller, refetched_by_the_celery_beat])
def test_an_entry_whose_page_fails_keeps_its_excerpt_and_is_completed_later(
    sqlite_runtime, loopback_server, monkeypatch, refetched
):
    base = loopback_server.base_url
    teaser = FEED_ITEMS.format(
        title="Teasers",
        base=base,
        items=ITEM.format(
            title="<title>Harbour bridge reopens after repairs</title>",
            link=f"{base}/bridge",
            hour=10,
            body="<description>The bridge reopened on Monday after two years.</description>",
        ),
    ).encode()
    _serve_feeds(loopback_server, {"teasers": teaser})
    loopback_server.routes["/bridge"] = (503, {"Content-Type": "text/plain"}, b"down for maintenance")
    add_feed(sqlite_runtime, loopback_server.url("/teasers.xml"))
    assert poll_due(sqlite_runtime).articles.imported == 1
    with transaction(sqlite_runtime.sessions) as session:
        row = queries.get_article_by_url(session, f"{base}/bridge")
        assert row.excerpt_only and row.refetch_at is not None and row.text.startswith("The bridge reopened")
        row.refetch_at = datetime.now(timezone.utc)  # due now, as it will be in 15 minutes

    assert refetched(sqlite_runtime, monkeypatch) == 0  # the page is still down: the next try is pushed back
    with transaction(sqlite_runtime.sessions) as session:
        row = queries.get_article_by_url(session, f"{base}/bridge")
        assert row.excerpt_only and row.refetch_attempts == 1 and row.refetch_at > datetime.now(timezone.utc)
        row.refetch_at = datetime.now(timezone.utc)

    loopback_server.routes["/bridge"] = (
        200,
        {"Content-Type": "text/html; charset=utf-8"},
        _page("Harbour bridge reopens after repairs", "bridge"),
    )
    assert refetched(sqlite_runtime, monkeypatch) == 1
    with transaction(sqlite_runtime.sessions) as session:
        row = queries.get_article_by_url(session, f"{base}/bridge")
        assert not row.excerpt_only and row.refetch_at is None
        assert "two years of planning" in row.text and row.story_id is not None
        assert row.sentences and row.summary
