"""Feed autodiscovery: the <link rel="alternate"> parser on saved pages, and the fetch step through the
SSRF-guarded fetcher against a loopback server (127.0.0.2 counting as public, 127.0.0.1 as private)."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyline.errors import BlockedURLError, InputError
from storyline.fetch.discover import common_feed_urls, discover, feed_links

TESTDATA = Path(__file__).parent / "testdata" / "discover"

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Gazette</title><link>http://x/</link>
<item><title>Bridge reopens</title><link>http://x/bridge</link></item></channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Notes</title>
<id>urn:x</id><updated>2025-06-16T10:00:00Z</updated><entry><title>One</title><id>urn:1</id>
<link href="http://x/one"/><updated>2025-06-16T10:00:00Z</updated></entry></feed>"""
PAGE = b"""<!doctype html><html><head><title>Site</title>
<link rel="alternate" type="application/rss+xml" href="/news/feed.rss"></head><body>Hi</body></html>"""
HTML = {"Content-Type": "text/html; charset=utf-8"}
XML = {"Content-Type": "application/rss+xml"}


@pytest.mark.parametrize(
    ("fixture", "page_url", "expected"),
    [
        (
            "wordpress.html",
            "https://gazette.example/",
            ["https://gazette.example/feed/", "https://gazette.example/comments/feed/"],
        ),
        # <base href>, relative hrefs, upper-case markup, a parameter on the type, "alternate feed", duplicates;
        # javascript:, data: and empty hrefs and non-feed alternates are left out.
        (
            "relative-and-base.html",
            "https://elsewhere.example/",
            ["https://blog.example/atom.xml", "https://blog.example/posts/feed.json"],
        ),
        ("hugo.html", "https://notes.example/", ["https://notes.example/index.xml"]),
        ("no-feed.html", "https://plain.example/", []),
    ],
)
def test_feed_links_on_saved_pages(fixture, page_url, expected):
    assert feed_links((TESTDATA / fixture).read_bytes(), page_url) == expected


@pytest.mark.parametrize("page", [b"", b"   ", b"\x00\xff\xfe", b"<" * 10_000, "<html><p>é</p>".encode("latin-1")])
def test_feed_links_survive_junk(page):
    assert feed_links(page, "https://x.example/") == []


def test_common_paths_are_on_the_site_root():
    urls = common_feed_urls("https://news.example/section/page?x=1")
    assert "https://news.example/feed" in urls and "https://news.example/index.xml" in urls
    assert all(url.startswith("https://news.example/") for url in urls)


def test_a_feed_address_is_its_own_feed(public_server, make_fetcher):
    public_server.serve("/feed.xml", 200, RSS, XML)
    found = discover(make_fetcher(), public_server.url("/feed.xml"))
    assert found.url == public_server.url("/feed.xml") and found.feed.title == "Gazette"


def test_a_site_address_finds_the_announced_feed(public_server, make_fetcher):
    public_server.serve("/", 200, PAGE, HTML)
    public_server.serve("/news/feed.rss", 200, RSS, XML)
    found = discover(make_fetcher(), public_server.url("/"))
    assert found.url == public_server.url("/news/feed.rss")
    assert public_server.paths == ["/", "/news/feed.rss"]


def test_a_site_without_links_is_tried_at_the_common_paths(public_server, make_fetcher):
    public_server.serve("/", 200, (TESTDATA / "no-feed.html").read_bytes(), HTML)
    public_server.serve("/atom.xml", 200, ATOM, {"Content-Type": "application/atom+xml"})
    found = discover(make_fetcher(), public_server.url("/"))
    assert found.url == public_server.url("/atom.xml") and found.feed.title == "Notes"
    assert public_server.paths[:4] == ["/", "/feed", "/rss", "/atom.xml"]


def test_an_announced_feed_that_is_broken_falls_back_to_the_next(public_server, make_fetcher):
    public_server.serve("/", 200, PAGE, HTML)
    public_server.serve("/news/feed.rss", 200, b"<html>moved</html>", HTML)
    public_server.serve("/index.xml", 200, RSS, {"Content-Type": "text/xml"})
    assert discover(make_fetcher(), public_server.url("/")).url == public_server.url("/index.xml")


def test_feeds_are_judged_by_their_bytes_not_their_content_type(public_server, make_fetcher):
    public_server.serve("/", 200, PAGE, {"Content-Type": "text/xml"})  # HTML mislabelled as XML
    public_server.serve("/news/feed.rss", 200, RSS, HTML)  # RSS mislabelled as HTML
    assert discover(make_fetcher(), public_server.url("/")).url == public_server.url("/news/feed.rss")


def test_no_feed_anywhere_is_an_input_error(public_server, make_fetcher):
    public_server.serve("/", 200, (TESTDATA / "no-feed.html").read_bytes(), HTML)
    with pytest.raises(InputError, match="no feed found"):
        discover(make_fetcher(), public_server.url("/"))


def test_announced_feeds_on_private_addresses_are_refused(public_server, make_fetcher):
    """A public page announcing a feed on a private address gains nothing: every candidate goes through the
    same guard as the page."""
    page = PAGE.replace(b"/news/feed.rss", b"http://127.0.0.1:9/feed.rss")
    public_server.serve("/", 200, page, HTML)
    with pytest.raises(InputError, match="no feed found"):
        discover(make_fetcher(), public_server.url("/"))


def test_a_private_site_address_is_refused(make_fetcher):
    with pytest.raises(BlockedURLError):
        discover(make_fetcher(), "http://127.0.0.1:9/")


@pytest.mark.parametrize("address", ["javascript:alert(1)", "file:///etc/passwd", "ftp://x.example/", ""])
def test_addresses_that_are_not_http_are_refused(address, make_fetcher):
    with pytest.raises(InputError):
        discover(make_fetcher(), address)


def test_a_feed_user_agent_is_sent(public_server, make_fetcher):
    seen = []

    def answer(request):
        seen.append(request.headers.get("User-Agent"))
        public_server.reply(request, 200, RSS, XML)

    public_server.handlers["/feed.xml"] = answer
    discover(make_fetcher(), public_server.url("/feed.xml"), user_agent="FriendlyReader/2.0")
    discover(make_fetcher(), public_server.url("/feed.xml"), user_agent="Bad\r\nX-Injected: 1")
    assert seen[0] == "FriendlyReader/2.0"
    assert seen[1] != "Bad\r\nX-Injected: 1" and "Injected" not in seen[1]
