"""The parts of ``bench freshness`` that decide its figures: what is published in which order, the feeds the
poller reads (and their 304s), and the percentiles."""

from __future__ import annotations

import json

import httpx
import pytest

from storyline.evals.freshness import (
    FEEDS,
    FeedServer,
    Story,
    percentiles,
    publication_order,
    read_stories,
    updated,
)
from storyline.fetch.feeds import parse_feed


def _story(*titles: str) -> Story:
    return Story(tuple({"title": title, "text": f"{title} text", "source": "Outlet"} for title in titles))


@pytest.mark.parametrize(
    ("stories", "lag", "expected"),
    [
        ([_story("a1", "a2"), _story("b1")], 0, ["a1", "a2", "b1"]),
        ([_story("a1", "a2", "a3"), _story("b1"), _story("c1", "c2")], 1, ["a1", "b1", "a2", "a3", "c1", "c2"]),
        ([_story("a1", "a2"), _story("b1"), _story("c1")], 2, ["a1", "b1", "c1", "a2"]),
    ],
)
def test_later_articles_of_a_story_come_after_other_stories_first_reports(stories, lag, expected):
    assert [record["title"] for record in publication_order(stories, lag)] == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        ([], {"p50": None, "p95": None, "p99": None}),
        ([2.0], {"p50": 2.0, "p95": 2.0, "p99": 2.0}),
        ([float(value) for value in range(1, 101)], {"p50": 50.5, "p95": 95.05, "p99": 99.01}),
    ],
)
def test_percentiles(seconds, expected):
    assert percentiles(seconds) == expected


def test_stories_are_read_in_file_order_without_their_gold_label(tmp_path):
    lines = [
        {"id": "1", "title": "a1", "story": 7},
        {"id": "2", "title": "b1", "story": 3},
        {"id": "3", "title": "a2", "story": 7},
    ]
    path = tmp_path / "allsides.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    stories = read_stories(path)
    assert [[record["title"] for record in story.articles] for story in stories] == [["a1", "a2"], ["b1"]]
    assert all("story" not in record for story in stories for record in story.articles)


def test_each_feed_answers_304_until_an_article_is_published_in_it():
    record = {"title": "Council approves bridge", "text": "The council approved the bridge.", "source": "Gazette"}
    with FeedServer() as server, httpx.Client() as client:
        urls = server.feed_urls()
        assert len(urls) == FEEDS
        server.publish(record, f"{server.base_url}/article/0")
        answers = {url: client.get(url) for url in urls}
        (carrying,) = [url for url, answer in answers.items() if parse_feed(answer.content, url).entries]
        entry = parse_feed(answers[carrying].content, carrying).entries[0]
        assert (entry.url, entry.title, entry.text) == (f"{server.base_url}/article/0", record["title"], record["text"])
        etag = answers[carrying].headers["etag"]
        assert client.get(carrying, headers={"If-None-Match": etag}).status_code == 304
        server.publish(record | {"title": "Bridge opens"}, f"{server.base_url}/article/1")
        again = client.get(carrying, headers={"If-None-Match": etag})
        assert again.status_code == 200
        assert [item.title for item in parse_feed(again.content, carrying).entries] == ["Bridge opens", record["title"]]
        assert client.get(f"{server.base_url}/feeds/unknown.json").status_code == 404


@pytest.mark.parametrize(("round_number", "changed"), [(0, False), (1, True), (2, True)])
def test_a_later_round_publishes_every_text_anew(round_number, changed):
    record = {"title": "Council approves bridge", "text": "The council approved the bridge.", "source": "Gazette"}
    again = updated(record, round_number)
    assert (again["title"] != record["title"], again["text"] != record["text"]) == (changed, changed)
    assert again["source"] == record["source"]
    assert updated(record, 1) != updated(record, 2) and record["title"] in again["title"]
