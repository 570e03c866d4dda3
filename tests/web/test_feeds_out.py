"""Atom, RSS 2.0 and JSON Feed out, read back with a real feed parser."""

from __future__ import annotations

import feedparser
import pytest


def feed_paths(client) -> list[str]:
    item = client.get("/api/articles").json()["items"][0]
    tag = client.get("/api/hashtags").json()["items"][0]["slug"]
    section = client.get("/api/sections").json()["items"][0]["name"]
    return ["/feeds/home", f"/feeds/hashtag/{tag}", f"/feeds/story/{item['story_id']}", f"/feeds/section/{section}"]


@pytest.mark.parametrize("fmt, version", [("atom", "atom10"), ("rss", "rss20")])
def test_xml_feeds_parse(sqlite_client, fmt, version):
    for path in feed_paths(sqlite_client):
        response = sqlite_client.get(f"{path}.{fmt}")
        assert response.status_code == 200, path
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.version == version
        assert parsed.entries and parsed.entries[0].link.startswith("http://testserver/en/article/")


def test_json_feed(sqlite_client):
    for path in feed_paths(sqlite_client):
        body = sqlite_client.get(f"{path}.json").json()
        assert body["version"] == "https://jsonfeed.org/version/1.1"
        assert body["items"] and {"id", "url", "title", "date_published"} <= set(body["items"][0])


def test_unknown_feed_format_is_404(sqlite_client):
    assert sqlite_client.get("/feeds/home.xml").status_code == 404
