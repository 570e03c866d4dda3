"""Feeds from saved fixtures: RSS 0.91, 1.0 and 2.0, Atom and JSON Feed, hostile XML and hostile entries."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyline.errors import ParseError, StorylineError
from storyline.fetch import feeds
from storyline.fetch.feeds import parse_feed

TESTDATA = Path(__file__).parent / "testdata"
BASE = "https://base.example/feeds/main.xml"


def load(name: str, feed_id: int | None = None):
    return parse_feed((TESTDATA / name).read_bytes(), BASE, feed_id=feed_id)


def by_url(feed) -> dict:
    return {entry.url: entry for entry in feed.entries}


def test_rss20_entries_are_clean_and_hostile_links_skipped():
    feed = load("rss20.xml", feed_id=7)
    assert feed.title == "Example & Co News" and feed.link == "https://news.example.com/"
    # javascript:, data: and link-less items are dropped; the rest are kept in order.
    assert [entry.url for entry in feed.entries] == [
        "https://news.example.com/bridge?utm_source=rss",
        "https://base.example/local/school",
        "https://news.example.com/permalink",
    ]
    bridge, school, permalink = feed.entries
    assert bridge.title == "Harbour bridge reopens & traffic flows"
    assert bridge.author == "Jane Doe"
    assert (
        bridge.text
        == "The harbour bridge reopened on Monday after two years of repairs. Officials said traffic was flowing."
    )
    assert "<p>" in bridge.html and "script" not in bridge.html and "steal" not in bridge.html
    assert bridge.published == datetime(2025, 6, 16, 9, 0, tzinfo=timezone.utc)
    assert bridge.image_url == "https://images.example.com/bridge.jpg"
    assert bridge.language == "en"
    assert {entry.source for entry in feed.entries} == {"Example & Co News"}
    assert {entry.feed_id for entry in feed.entries} == {7}

    assert school.published is None  # a malformed date drops the date, not the entry
    assert school.image_url == "https://base.example/img/school.jpg"
    assert school.html is None and school.text == "Pupils won a national prize."

    assert permalink.image_url == "https://images.example.com/permalink.jpg"  # the javascript: image is skipped
    assert permalink.published == datetime(2025, 6, 17, 8, 15, tzinfo=timezone.utc)


def test_atom_entries():
    feed = load("atom.xml")
    assert feed.title == "Atom Daily"
    library, maths = feed.entries
    assert library.url == "https://atom.example.org/stories/library"  # resolved against xml:base
    assert library.title == "Council approves new library"
    assert library.text == "The city council approved a new library on Tuesday. Building starts next spring."
    assert library.published == datetime(2025, 6, 16, 10, 30, tzinfo=timezone.utc)
    assert library.author == "Sam Reporter"
    assert maths.title == "Plain text title 3 < 5"
    assert maths.published == datetime(2025, 6, 15, 23, 59, 59, tzinfo=timezone.utc)


def test_rss10_and_rss091():
    rdf = load("rss10.rdf")
    assert rdf.title == "RDF Wire"
    (entry,) = rdf.entries
    assert entry.published == datetime(2025, 6, 16, 14, 0, tzinfo=timezone.utc) and entry.author == "Wire Staff"
    old = load("rss091-doctype.xml")  # a bare DOCTYPE without entities is harmless and allowed
    assert [(e.url, e.title) for e in old.entries] == [("http://old.example.com/cafe", "Café opens")]


def test_json_feed():
    feed = load("jsonfeed.json", feed_id=3)
    assert feed.title == "JSON Times" and feed.link == "https://json.example.com/"
    assert list(by_url(feed)) == ["https://json.example.com/markets", "https://base.example/weather"]
    markets, weather = feed.entries
    assert markets.title == "Markets rally & close higher"
    assert markets.text == "Shares rose on Monday."
    assert "script" not in markets.html
    assert markets.published == datetime(2025, 6, 16, 14, 0, tzinfo=timezone.utc)
    assert markets.author == "Alex Writer" and markets.image_url == "https://json.example.com/markets.png"
    assert markets.language == "en" and markets.feed_id == 3 and markets.source == "JSON Times"
    assert weather.text == "Heavy rain expected."
    assert weather.published is None and weather.image_url is None  # bad date and data: image dropped


def _atom(entry: str) -> bytes:
    return f'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry>{entry}</entry></feed>'.encode()


def _json_feed(item: dict, **feed) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1", "title": "T", **feed, "items": [item]}).encode()


# Shapes of real feeds that parse_feed once read wrongly: the feed, then its entries' (url, title, author).
@pytest.mark.parametrize(
    "content, expected",
    [
        pytest.param(
            _atom('<title type="text">Every browser supports &lt;dialog&gt;</title><link href="https://a.example/d"/>'),
            [("https://a.example/d", "Every browser supports <dialog>", None)],
            id="an Atom text title keeps the tag it names",
        ),
        pytest.param(
            _atom('<title type="html">Law &lt;em&gt;passes&lt;/em&gt;</title><link href="https://a.example/l"/>'),
            [("https://a.example/l", "Law passes", None)],
            id="an Atom HTML title loses its tags",
        ),
        pytest.param(
            _json_feed({"id": "https://blog.example/2025/note", "content_text": "A note.", "title": "Note"}),
            [("https://blog.example/2025/note", "Note", None)],
            id="a JSON Feed item without url is at its id when that is a URL",
        ),
        pytest.param(
            _json_feed({"id": "https://blog.example/link", "external_url": "https://other.example/x", "title": "L"}),
            [("https://blog.example/link", "L", None)],
            id="a link-blog item is the linking post, not the other outlet's page",
        ),
        pytest.param(
            _json_feed({"id": "17", "external_url": "https://other.example/x", "title": "L"}),
            [("https://other.example/x", "L", None)],
            id="the page an item links to is the last resort",
        ),
        pytest.param(
            _json_feed({"url": "https://blog.example/a", "title": "A"}, author={"name": "Jo Baker"}),
            [("https://blog.example/a", "A", "Jo Baker")],
            id="JSON Feed 1.0 items have the feed's author",
        ),
        pytest.param(
            _json_feed(
                {"url": "https://blog.example/a", "title": "A", "authors": [{"name": "Sam"}]}, authors=[{"name": "Jo"}]
            ),
            [("https://blog.example/a", "A", "Sam")],
            id="an item's own author comes first",
        ),
    ],
)
def test_entries_are_read_as_their_format_means_them(content, expected):
    assert [(entry.url, entry.title, entry.author) for entry in parse_feed(content, BASE).entries] == expected


@pytest.mark.parametrize("name", ["billion-laughs.xml", "xxe.xml"])
def test_entity_declarations_are_refused(name):
    with pytest.raises(ParseError, match="entities"):
        load(name)


def test_entities_in_a_malformed_document_are_refused_too():
    content = (TESTDATA / "billion-laughs.xml").read_bytes().replace(b"</channel></rss>", b"<unclosed>")
    with pytest.raises(ParseError, match="entities"):
        parse_feed(content, BASE)


@pytest.mark.parametrize(
    "content",
    [
        b"<html><body>not a feed</body></html>",
        b"plain text",
        b"",
        b"\x00\x01\x02",
        b"[1, 2, 3]",
        b'{"title": "no items"}',
        b"{not json",
        b"[" * 100_000,
    ],
)
def test_not_a_feed(content):
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(content, BASE)


def test_an_empty_but_valid_feed_has_no_entries():
    feed = parse_feed(b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>', BASE)
    assert feed.title == "Quiet" and feed.entries == []


def test_huge_feeds_are_truncated(monkeypatch):
    monkeypatch.setattr(feeds, "MAX_ENTRIES", 5)
    items = [{"url": f"https://json.example.com/{n}", "title": f"Item {n}"} for n in range(20)]
    feed = parse_feed(json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode(), BASE)
    assert [entry.title for entry in feed.entries] == [f"Item {n}" for n in range(5)]


def test_oversized_titles_are_clipped_to_the_stored_size():
    long_title = "word " * 1000
    content = f'<rss version="2.0"><channel><title>T</title><item><title>{long_title}</title>'
    content += "<link>https://x.example/a</link></item></channel></rss>"
    (entry,) = parse_feed(content.encode(), BASE).entries
    assert len(entry.title) == 1000


# Any input at all: a feed or a ParseError, never an unhandled exception --------------------------------------

_xml_fragments = st.sampled_from(
    [
        '<rss version="2.0">',
        "<channel>",
        "<item>",
        "<title>",
        "</title>",
        "<link>",
        "</link>",
        "<pubDate>",
        "</pubDate>",
        "</item>",
        "</channel>",
        "</rss>",
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        "<entry>",
        '<link href="',
        '"/>',
        "</entry>",
        "</feed>",
        "<![CDATA[",
        "]]>",
        "&amp;",
        "&#0;",
        "&bogus;",
        "<!DOCTYPE x>",
        "javascript:alert(1)",
        "http://a.example/",
        "/relative",
        "Mon, 16 Jun 2025 10:00:00 GMT",
        "9999-99-99",
        "<script>",
    ]
)
_xmlish = st.lists(st.one_of(_xml_fragments, st.text(max_size=20)), max_size=40).map("".join)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=15), children, max_size=4),
    max_leaves=20,
)
_json_feeds = st.fixed_dictionaries(
    {"version": st.just("https://jsonfeed.org/version/1.1")},
    optional={
        "title": _json_values,
        "language": _json_values,
        "home_page_url": _json_values,
        "items": st.lists(
            st.dictionaries(
                st.sampled_from(["url", "title", "content_html", "content_text", "date_published", "authors", "image"]),
                _json_values | st.sampled_from(["https://a.example/x", "javascript:x", "2025-06-16T10:00:00Z"]),
            ),
            max_size=5,
        )
        | _json_values,
    },
).map(lambda document: json.dumps(document).encode())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=st.one_of(st.binary(max_size=300), _xmlish.map(str.encode), _json_feeds))
def test_parse_feed_never_raises_anything_but_storyline_errors(content):
    try:
        feed = parse_feed(content, BASE)
    except StorylineError:
        return
    for entry in feed.entries:
        assert entry.url.startswith(("http://", "https://"))
        assert entry.published is None or entry.published.tzinfo is not None


def test_an_episode_known_only_by_its_enclosure_is_kept_and_never_fetched():
    content = (TESTDATA / "soak" / "rss20-podcast.xml").read_bytes()
    entries = parse_feed(content, "https://podcasts.morningbrief.example/feed.xml").entries
    bonus = next(entry for entry in entries if entry.title.startswith("Bonus"))
    assert bonus.url == "https://media.morningbrief.example/mb-bonus-2025-06-12.mp3?aid=rss_feed"
    assert not bonus.has_page and "future of the railways" in bonus.text
    assert all(entry.has_page for entry in entries if entry is not bonus)


def _rss(pub_date: str) -> bytes:
    return (
        "<rss version='2.0'><channel><title>T</title><item><title>A</title><link>https://a.example/a</link>"
        f"<pubDate>{pub_date}</pubDate></item></channel></rss>"
    ).encode()


# A feed that keeps dates only writes them as its own zone's midnight: stored as the date (``moments``), which
# placement reads as a day whose time is unknown, not as 04:00.
@pytest.mark.parametrize(
    "content, published",
    [
        pytest.param(_rss("Mon, 16 Jun 2025 09:30:00 -0400"), datetime(2025, 6, 16, 13, 30), id="RSS time"),
        pytest.param(_rss("Mon, 16 Jun 2025 00:00:00 -0400"), datetime(2025, 6, 16), id="RSS local midnight"),
        pytest.param(_rss("Mon, 16 Jun 2025 00:00:00 EDT"), datetime(2025, 6, 16), id="RSS zone name"),
        pytest.param(_rss("16 June 2025"), datetime(2025, 6, 16), id="RSS date only feedparser reads"),
        pytest.param(_rss("last Monday"), None, id="RSS no date"),
        pytest.param(
            _atom('<link href="https://a.example/a"/><updated>2025-06-16T00:00:00+02:00</updated>'),
            datetime(2025, 6, 16),
            id="Atom local midnight",
        ),
        pytest.param(
            _json_feed({"url": "https://a.example/a", "date_published": "2025-06-16T00:00:00-07:00"}),
            datetime(2025, 6, 16),
            id="JSON Feed local midnight",
        ),
    ],
)
def test_entry_dates_are_stored_in_utc_and_a_local_midnight_as_its_date(content, published):
    (entry,) = parse_feed(content, BASE).entries
    assert entry.published == (published.replace(tzinfo=timezone.utc) if published else None)
