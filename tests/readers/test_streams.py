"""Stream ids, item ids in every form clients send, continuations and stream options."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from storyline.errors import InputError
from storyline.readers import streams as s


@pytest.mark.parametrize(
    ("stream_id", "expected"),
    [
        ("user/-/state/com.google/reading-list", s.Stream("reading-list")),
        ("user/1234/state/com.google/reading-list", s.Stream("reading-list")),
        ("user/-/state/com.google/read", s.Stream("read")),
        ("user/-/state/com.google/starred", s.Stream("starred")),
        ("user/-/state/com.google/broadcast", s.Stream("empty")),
        ("feed/12", s.Stream("follow", follow_id=12)),
        ("feed/stories", s.Stream("stories")),
        ("user/-/label/Stories", s.Stream("stories")),
        ("user/-/label/Hashtags", s.Stream("folder", folder="hashtag")),
        ("user/-/label/Followed stories", s.Stream("folder", folder="story")),
        ("user/-/label/Story: Floods in Valencia", s.Stream("story", story_title="Floods in Valencia")),
    ],
)
def test_stream_ids(stream_id, expected):
    assert s.parse_stream(stream_id) == expected


@pytest.mark.parametrize(
    "stream_id", ["", "feed/0", "feed/-1", "feed/http://x.example/rss", "user/-/label/Other", "user/-/label/Story: "]
)
def test_streams_storyline_does_not_serve(stream_id):
    with pytest.raises(InputError):
        s.parse_stream(stream_id)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tag:google.com,2005:reader/item/000000000000002a", 42),
        ("42", 42),
        (" 42 ", 42),
        (str(-(2**64) + 42), 42),
        ("tag:google.com,2005:reader/item/0010000000000007", s.STORY_ITEM_BASE + 7),
    ],
)
def test_item_ids_in_every_form(text, expected):
    assert s.parse_item_id(text) == expected


@pytest.mark.parametrize("text", ["", "0", "x", "tag:google.com,2005:reader/item/zz", str(2**63)])
def test_bad_item_ids(text):
    with pytest.raises(InputError):
        s.parse_item_id(text)


def test_long_form_round_trips_and_story_items_sit_above_articles():
    assert s.parse_item_id(s.long_item_id(123456789)) == 123456789
    assert s.long_item_id(1) == "tag:google.com,2005:reader/item/0000000000000001"
    assert s.is_story_item(s.story_item(5)) and not s.is_story_item(2**40)
    assert s.story_of_item(s.story_item(5)) == 5 and s.story_item(2**31) < 2**53


def test_continuations_round_trip_and_refuse_forgeries():
    cursor = s.Cursor(datetime(2025, 6, 16, 10, 0, 0, 123456, tzinfo=timezone.utc), 77)
    assert s.decode_cursor(s.encode_cursor(cursor)) == cursor
    for bad in ("!!", "bm9wZQ", ""):
        with pytest.raises(InputError):
            s.decode_cursor(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1750068000", 1750068000), ("1750068000000", 1750068000), ("1750068000000000", 1750068000)],
)
def test_times_in_seconds_milliseconds_or_microseconds(value, expected):
    assert s.epoch(value) == datetime.fromtimestamp(expected, timezone.utc)


def test_query_options():
    query = s.parse_query(
        "2000", "o", None, None, ["user/-/state/com.google/read"], ["user/-/state/com.google/starred"]
    )
    assert (query.n, query.oldest_first, query.read, query.starred) == (s.MAX_ITEMS, True, False, True)
    assert s.parse_query().n == s.DEFAULT_ITEMS and s.parse_query("0").n == 1
    with pytest.raises(InputError):
        s.parse_query("many")


def test_follows_of_credits_every_follow_in_order():
    reach = s.make_reach([(1, "hashtag", [10]), (2, "outlet", [3]), (3, "section", ["Health"]), (4, "search", [99])])
    assert s.follows_of(reach, 99, 3, "Health", None, frozenset({10})) == [1, 2, 3, 4]
    assert s.follows_of(reach, 5, 4, "Sport", None, frozenset()) == []
    assert reach.entity_ids == {10} and reach.outlet_ids == {3} and bool(reach)
    assert not s.make_reach([])
