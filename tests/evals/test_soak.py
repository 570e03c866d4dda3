"""The soak over the feed fixtures alone and a handful of import lines: nothing crashes, nothing is lost, and each
input stores what it should. No development data needed; the models load once (about 20 s)."""

from __future__ import annotations

import pytest

from storyline.evals import soak

HOSTILE_FEED = "parse: feed declares XML entities or external references; refused"
# What each fixture stores: its items with a usable link, each page once.
EXPECTED_STORED = {
    "atom.xml": 2,
    "billion-laughs.xml": 0,
    "jsonfeed.json": 2,  # of six: a javascript: link, no link at all, and two items that are not items
    "rss091-doctype.xml": 1,
    "rss10.rdf": 1,
    "rss20.xml": 3,  # of six: a javascript: link, a data: link, no link at all
    "xxe.xml": 0,
    "soak/atom03-blogger.xml": 3,
    "soak/atom10-newsroom.xml": 3,
    "soak/jsonfeed10-microblog.json": 4,  # the untitled micro-post too
    "soak/jsonfeed11-newsdesk.json": 4,  # the share link is the heatwave story again; the untitled story is stored
    "soak/rss092-userland.xml": 1,  # two posts on one daily page are one page; the third links nowhere
    "soak/rss10-slashcode.rdf": 3,
    "soak/rss20-latin1.xml": 2,
    # The bonus episode has only its audio file: stored under it with the show notes, the audio never fetched.
    "soak/rss20-podcast.xml": 3,
    "soak/rss20-venture-capital.xml": 1,
    "soak/rss20-wordpress.xml": 4,  # the republished post once, the untitled status post too
}
ARTICLE = (
    "The harbour bridge reopened to traffic on Monday after eight months of repairs, the council said. "
    "Drivers had faced a twenty-mile detour while the bridge was closed."
)
IMPORT_LINES = [
    {"url": "https://lines.example/bridge", "title": "Harbour bridge reopens", "text": ARTICLE, "source": "Lines"},
    {"url": "https://lines.example/bridge?utm_source=newsletter", "title": "Harbour bridge reopens", "text": ARTICLE},
    {"url": "javascript:alert(1)", "title": "Hostile"},
    {"url": "https://lines.example/untitled", "text": ARTICLE, "source": "Lines"},
    {
        "url": "https://lines.example/page",
        "html": f"<html><head><title>Bridge reopens</title></head><body><article><p>{ARTICLE}</p></article></body>",
    },
    {"url": "https://lines.example/dated", "title": "Bridge reopens", "text": ARTICLE, "published": "last Monday"},
]


@pytest.fixture(scope="module")
def polled(tmp_path_factory) -> dict:
    return soak.soak_poll(soak.fixture_feeds(), {}, tmp_path_factory.mktemp("poll")).as_dict()


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict:
    return soak.soak_import(IMPORT_LINES, tmp_path_factory.mktemp("import"), parse_processes=0).as_dict()


def test_polling_the_fixtures_raises_nothing(polled):
    assert polled["tracebacks"] == 0, polled["crashes"]


def test_polling_the_fixtures_loses_nothing(polled):
    assert polled["lost"] == 0, {name: counts for name, counts in polled["per_feed"].items() if counts["lost"]}


def test_each_fixture_stores_its_good_items_once(polled):
    assert {name: counts["stored"] for name, counts in polled["per_feed"].items()} == EXPECTED_STORED
    assert polled["urls_stored_twice"] == 0


def test_only_the_hostile_fixtures_are_refused_as_feeds(polled):
    assert polled["feeds_refused"] == {HOSTILE_FEED: 2}


def test_importing_raises_nothing_and_loses_nothing(imported):
    assert (imported["tracebacks"], imported["lost"]) == (0, 0), imported["crashes"]


def test_each_import_line_is_stored_once_or_refused_for_its_own_fault(imported):
    assert (imported["items"], imported["stored"], imported["already_present"]) == (6, 3, 1)
    assert imported["refused_by_reason"] == {
        "input: only http and https URLs are accepted": 1,
        "input: field 'published' is not an ISO 8601 date": 1,
    }


@pytest.mark.parametrize(
    "feed, served",
    [
        (b"<link>https://news.example.com/a?b=1</link>", b"<link>http://127.0.0.1:8/news.example.com/a?b=1</link>"),
        (b'href="http://Blog.Example/"', b'href="http://127.0.0.1:8/blog.example/"'),
        (b'"url": "https://fireside.example"', b'"url": "http://127.0.0.1:8/fireside.example"'),
        (b"<link>https://example.community.org/a</link>", b"<link>https://example.community.org/a</link>"),
        (b"<link>https://www.bbc.co.uk/news</link>", b"<link>https://www.bbc.co.uk/news</link>"),
    ],
)
def test_links_to_example_domains_are_served_by_the_loopback_server(feed, served):
    assert soak.stand_in(feed, "http://127.0.0.1:8") == served


def test_page_paths_match_the_links_pointed_at_the_loopback_server():
    link = "https://pages.soak.example/0a1b?x=1"
    assert (
        soak.stand_in(link.encode(), "http://127.0.0.1:8") == f"http://127.0.0.1:8{soak.stand_in_path(link)}".encode()
    )


@pytest.mark.parametrize(
    "message, why",
    [
        ("extract: no title found (https://a.example/x)", "extract: no title found"),
        ("fetch: server answered HTTP 500 (https://a.example/wiki/Foo_(bar))", "fetch: server answered HTTP 500"),
        ("input: a line must be a JSON object, not an array", "input: a line must be a JSON object, not an array"),
    ],
)
def test_refusals_group_by_reason_without_their_subject(message, why):
    assert soak.reason(message) == why


def test_a_short_run_takes_its_items_from_across_the_whole_set():
    assert soak.spread(list(range(10)), 3) == [0, 3, 6]
    assert soak.spread([1, 2], 5) == [1, 2]
