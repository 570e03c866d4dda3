"""JSON Lines import: a table of good and bad lines, and any input at all never escapes as a crash."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyline.domain import ArticleInput
from storyline.errors import InputError, StorylineError
from storyline.fetch.jsonl import read_jsonl

URL = "https://news.example.com/a"


def one(line: str) -> ArticleInput | InputError:
    ((_, item),) = list(read_jsonl([line]))
    return item


def test_a_full_line():
    record = {
        "id": "seed-lead",
        "url": f"  {URL}  ",
        "title": " Council approves new library ",
        "text": "The council approved it.",
        "html": "<p>The council approved it.</p>",
        "source": "Example",
        "published": "2025-06-16T15:05:00+01:00",
        "language": "en",
        "author": "Sam Reporter",
        "image_url": "https://news.example.com/a.jpg",
        "unknown_field": "ignored",
    }
    assert one(json.dumps(record)) == ArticleInput(
        url=URL,
        title="Council approves new library",
        text="The council approved it.",
        html="<p>The council approved it.</p>",
        source="Example",
        published=datetime(2025, 6, 16, 14, 5, tzinfo=timezone.utc),
        language="en",
        author="Sam Reporter",
        image_url="https://news.example.com/a.jpg",
        external_id="seed-lead",
    )


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"url": URL}, ArticleInput(url=URL)),
        ({"url": URL, "title": None, "text": ""}, ArticleInput(url=URL)),
        ({"url": URL, "id": 42}, ArticleInput(url=URL, external_id="42")),
        (
            {"url": URL, "published": "2025-06-16"},
            ArticleInput(url=URL, published=datetime(2025, 6, 16, tzinfo=timezone.utc)),
        ),
        (
            {"url": URL, "published": "2025-06-16T10:00:00"},
            ArticleInput(url=URL, published=datetime(2025, 6, 16, 10, tzinfo=timezone.utc)),
        ),
        (
            {"url": URL, "published": "2025-06-16T10:00:00Z"},
            ArticleInput(url=URL, published=datetime(2025, 6, 16, 10, tzinfo=timezone.utc)),
        ),
        ({"url": URL, "image_url": "javascript:alert(1)"}, ArticleInput(url=URL)),
        ({"url": URL, "image_url": "data:image/png;base64,AAAA"}, ArticleInput(url=URL)),
        ({"url": URL, "image_url": 7}, ArticleInput(url=URL)),
    ],
)
def test_good_lines(record, expected):
    assert one(json.dumps(record)) == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('"just a string"', "must be a JSON object, not a string"),
        ("[1, 2]", "must be a JSON object, not an array"),
        ("null", "must be a JSON object, not null"),
        ('{"title": "no url"}', "missing required field 'url'"),
        ('{"url": null}', "empty URL"),
        ('{"url": 5}', "field 'url' must be a string, not a number"),
        ('{"url": "javascript:alert(1)"}', "only http and https URLs are accepted"),
        ('{"url": "data:text/html,hi"}', "only http and https URLs are accepted"),
        ('{"url": "ftp://files.example.com/a"}', "only http and https URLs are accepted"),
        ('{"url": "/relative/path"}', "only http and https URLs are accepted"),
        ('{"url": "https://"}', "URL has no host"),
        (json.dumps({"url": "https://x.example/" + "a" * 3000}), "longer than 2000"),
        (json.dumps({"url": URL, "title": ["a"]}), "field 'title' must be a string, not an array"),
        (json.dumps({"url": URL, "text": {"a": 1}}), "field 'text' must be a string, not an object"),
        (json.dumps({"url": URL, "source": True}), "field 'source' must be a string, not a boolean"),
        (json.dumps({"url": URL, "published": "not a date"}), "field 'published' is not an ISO 8601 date"),
        (json.dumps({"url": URL, "published": 1718530000}), "field 'published' must be a string"),
        (json.dumps({"url": URL, "title": "t" * 1001}), "field 'title' is longer than 1000"),
        (json.dumps({"url": URL, "author": "a" * 501}), "field 'author' is longer than 500"),
        (json.dumps({"url": URL, "source": "s" * 201}), "field 'source' is longer than 200"),
        (json.dumps({"url": URL, "id": "i" * 201}), "field 'id' is longer than 200"),
        (json.dumps({"url": URL, "id": 1.5}), "field 'id' must be a string"),
        ("[" * 100_000, "not valid JSON"),
    ],
)
def test_bad_lines_name_the_problem(line, message):
    item = one(line)
    assert isinstance(item, InputError)
    assert message in str(item)


def test_line_numbers_blank_lines_and_one_bad_line_never_stops_the_rest():
    lines = [json.dumps({"url": URL}) + "\n", "\n", "   \n", "{oops\n", json.dumps({"url": URL + "/b"}) + "\n"]
    results = list(read_jsonl(lines))
    assert [number for number, _ in results] == [1, 4, 5]
    assert isinstance(results[1][1], InputError)
    assert [item.url for _, item in results if isinstance(item, ArticleInput)] == [URL, URL + "/b"]


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=10,
)
_records = st.dictionaries(
    st.sampled_from(["url", "title", "text", "html", "source", "published", "language", "author", "image_url", "id"]),
    _values | st.sampled_from([URL, "javascript:x", "2025-06-16T10:00:00Z", "http://[::1", "http://a..b/"]),
).map(json.dumps)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(st.one_of(st.text(max_size=80), _records), max_size=8))
def test_read_jsonl_never_raises_and_reports_every_non_blank_line(lines):
    results = list(read_jsonl(lines))
    assert [number for number, _ in results] == [n for n, line in enumerate(lines, 1) if line.strip()]
    for _, item in results:
        assert isinstance(item, (ArticleInput, StorylineError))
        if isinstance(item, ArticleInput):
            assert item.url.startswith(("http://", "https://"))
            assert item.published is None or item.published.tzinfo is not None
