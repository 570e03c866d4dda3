"""OPML subscription lists, including the default feeds shipped with Storyline."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyline.errors import ParseError
from storyline.fetch.opml import FeedRef, parse_opml, write_opml
from storyline.fetch.urls import require_http_url

DEFAULT_FEEDS = Path(__file__).parents[2] / "src" / "storyline" / "fetch" / "default-feeds.opml"

NESTED = b"""<?xml version="1.0"?>
<opml version="1.0"><head><title>Mine</title></head><body>
  <outline text="News">
    <outline text="World" title="World &amp; &lt;b&gt;More&lt;/b&gt;" type="rss" xmlUrl="https://a.example/world.xml"
             htmlUrl="https://a.example/world"/>
    <outline text="Deeper">
      <outline text="Deep feed" xmlUrl=" https://b.example/deep.atom " htmlUrl="javascript:alert(1)"/>
    </outline>
  </outline>
  <outline text="Hostile" xmlUrl="javascript:alert(1)"/>
  <outline text="Local file" xmlUrl="file:///etc/passwd"/>
  <outline text="Duplicate" xmlUrl="https://a.example/world.xml"/>
  <outline text="Folder without feed"/>
</body></opml>"""


def test_nested_outlines_bad_urls_skipped_duplicates_once():
    assert parse_opml(NESTED) == [
        FeedRef("https://a.example/world.xml", "World & More", "https://a.example/world", "News"),
        FeedRef("https://b.example/deep.atom", "Deep feed", None, "News / Deeper"),
    ]


def test_written_opml_reads_back_with_its_folders():
    refs = [
        FeedRef("https://a.example/feed", "Alpha & Co", "https://a.example/", None),
        FeedRef("https://b.example/feed", 'Beta "quoted"', None, "Tech"),
        FeedRef("https://c.example/feed", None, None, "News / Europe"),
        FeedRef("https://d.example/feed", "Delta", None, "Tech"),
    ]
    written = write_opml(refs)
    assert written.startswith(b"<?xml")
    back = parse_opml(written)
    assert [(ref.url, ref.folder) for ref in back] == [
        ("https://a.example/feed", None),
        ("https://b.example/feed", "Tech"),
        ("https://d.example/feed", "Tech"),
        ("https://c.example/feed", "News / Europe"),
    ]
    assert back[0].title == "Alpha & Co" and back[0].html_url == "https://a.example/"
    assert back[1].title == 'Beta "quoted"'
    assert back[3].title == "https://c.example/feed"  # a feed without a title is named by its address


def test_control_characters_in_stored_names_do_not_break_the_export():
    written = write_opml([FeedRef("https://a.example/feed", "Bell\x07 News", None, "Fol\x00der")])
    [ref] = parse_opml(written)
    assert (ref.title, ref.folder) == ("Bell News", "Folder")


def test_deeply_nested_folders_do_not_exhaust_the_stack():
    depth = 5000
    content = (
        b"<opml><body>"
        + b'<outline text="f">' * depth
        + b'<outline text="x" xmlUrl="https://x.example/feed"/>'
        + b"</outline>" * depth
        + b"</body></opml>"
    )
    try:
        refs = parse_opml(content)
    except ParseError:
        return  # the XML parser may refuse such depth itself; what matters is no RecursionError
    assert [ref.url for ref in refs] == ["https://x.example/feed"]
    assert len(refs[0].folder) <= 200


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<rss version='2.0'><channel/></rss>", "not an OPML file"),
        (b"<opml><body><outline", "not well-formed"),
        (b"", "not well-formed"),
        (b'<!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]><opml><body>&x;</body></opml>', "entities"),
    ],
)
def test_refused_documents(content, message):
    with pytest.raises(ParseError, match=message):
        parse_opml(content)


def test_default_feeds_are_about_thirty_real_outlets():
    refs = parse_opml(DEFAULT_FEEDS.read_bytes())
    assert 30 <= len(refs) <= 45
    assert len({ref.url for ref in refs}) == len(refs)
    for ref in refs:
        assert require_http_url(ref.url) == ref.url
        assert ref.title and ref.html_url
    titles = " ".join(ref.title for ref in refs)
    for outlet in (
        "BBC",
        "Guardian",
        "Sky News",
        "Telegraph",
        "Independent",
        "NPR",
        "New York Times",
        "Washington Post",
        "Al Jazeera",
        "CNN",
        "ABC News (Australia)",
        "CBC",
        "Times of India",
    ):
        assert outlet in titles
