"""The Fever API as its published document defines it, driven the way Fever clients drive it (every call a POST of
``api_key``, the request named in the query), with a scripted read/mark round trip shared with the site."""

from __future__ import annotations

import hashlib

import pytest

from storyline.readers import streams as s
from storyline.web.apps.fever import GROUPS, STORIES_FEED_ID, STORIES_GROUP

from .conftest import LOGIN_PASSWORD, REACHED, UNREAD, USERNAME


def key(password: str, username: str = USERNAME) -> str:
    return hashlib.md5(f"{username}:{password}".encode()).hexdigest()


@pytest.fixture
def fever(api, world):
    def call(query: str, **data) -> dict:
        response = api.post(f"/fever/?api&{query}", data={"api_key": key(world.password), **data})
        assert response.status_code == 200
        body = response.json()
        assert (body["api_version"], body["auth"]) == (3, 1), body
        return body

    return call


def ids(world, publics) -> list[int]:
    return [world.ids[p] for p in publics]


def unread(body: dict) -> list[int]:
    return [int(i) for i in body["unread_item_ids"].split(",") if i]


STORY_ITEMS = [s.story_item(1), s.story_item(2)]


@pytest.mark.parametrize(
    "api_key", [None, "", "0" * 32, "not-hex", key(LOGIN_PASSWORD)], ids=["none", "empty", "zeros", "junk", "login"]
)
def test_a_wrong_key_gets_auth_0(api, api_key):
    data = {} if api_key is None else {"api_key": api_key}
    body = api.post("/fever/?api&items", data=data).json()
    assert body == {"api_version": 3, "auth": 0}


def test_key_in_the_query_and_without_the_trailing_slash(api, world):
    body = api.get("/fever", params={"api": "", "api_key": key(world.password)}).json()
    assert body["auth"] == 1 and body["last_refreshed_on_time"] > 0


def test_groups_feeds_favicons_and_links(fever, world):
    f = world.follows
    body = fever("groups&feeds&favicons&links")
    assert body["groups"] == [
        {"id": GROUPS["hashtag"], "title": "Hashtags"},
        {"id": GROUPS["outlet"], "title": "Outlets"},
        {"id": GROUPS["section"], "title": "Sections"},
        {"id": STORIES_GROUP, "title": "Stories"},
    ]
    assert body["feeds_groups"] == [
        {"group_id": GROUPS["hashtag"], "feed_ids": str(f[("hashtag", "louise-casey")])},
        {"group_id": GROUPS["outlet"], "feed_ids": str(f[("outlet", "bbc-news")])},
        {"group_id": GROUPS["section"], "feed_ids": str(f[("section", "Health")])},
        {"group_id": STORIES_GROUP, "feed_ids": str(STORIES_FEED_ID)},
    ]
    feeds = {feed["id"]: feed["title"] for feed in body["feeds"]}
    assert feeds == {
        f[("hashtag", "louise-casey")]: "#Louise Casey",
        f[("outlet", "bbc-news")]: "BBC News",
        f[("section", "Health")]: "Health",
        STORIES_FEED_ID: "Stories",
    }
    assert all(feed["favicon_id"] == 1 and feed["is_spark"] == 0 for feed in body["feeds"])
    assert body["favicons"][0]["data"].startswith("image/svg+xml;base64,")
    assert body["links"] == []


def test_items_since_max_and_with_ids(fever, world):
    everything = fever("items&since_id=0")
    assert [item["id"] for item in everything["items"]] == sorted(ids(world, REACHED))
    assert everything["total_items"] == len(REACHED)
    since = fever(f"items&since_id={world.ids['a0000000000000a4']}")
    assert [item["id"] for item in since["items"]] == ids(
        world, ["a0000000000000a5", "a0000000000000a7", "a0000000000000a8"]
    )
    before = fever(f"items&max_id={world.ids['a0000000000000a5']}")
    assert [item["id"] for item in before["items"]] == ids(
        world, ["a0000000000000a4", "a0000000000000a2", "a0000000000000a1"]
    )
    wanted = f"{world.ids['a0000000000000a2']},{STORY_ITEMS[0]},junk"
    chosen = {item["id"]: item for item in fever(f"items&with_ids={wanted}")["items"]}
    assert set(chosen) == {world.ids["a0000000000000a2"], STORY_ITEMS[0]}
    article = chosen[world.ids["a0000000000000a2"]]
    assert article["feed_id"] == world.follows[("hashtag", "louise-casey")]
    assert (article["is_read"], article["is_saved"], article["url"]) == (
        0,
        0,
        "https://the-guardian.example/a0000000000000a2",
    )
    story = chosen[STORY_ITEMS[0]]
    assert story["feed_id"] == STORIES_FEED_ID and story["title"] == "National inquiry into grooming gangs announced"
    assert "<strong>Reuters</strong>" in story["html"]


def test_scripted_round_trip_with_the_site(fever, world, api, forms):
    """A client syncs unread ids, reads and saves items, marks a feed and a group read, and the site agrees."""
    assert unread(fever("unread_item_ids")) == sorted(ids(world, UNREAD)) + STORY_ITEMS
    a1, a5 = world.ids["a0000000000000a1"], world.ids["a0000000000000a5"]

    body = fever("mark", mark="item", **{"as": "read"}, id=str(a1))
    assert a1 not in unread(body) and a1 in world.read_ids()
    body = fever("mark", mark="item", **{"as": "unread"}, id=str(a1))
    assert a1 in unread(body) and a1 not in world.read_ids()
    assert fever("mark", mark="item", **{"as": "saved"}, id=str(a5))["saved_item_ids"] == str(a5)
    assert forms.login(api, USERNAME, LOGIN_PASSWORD).status_code == 303
    assert "NHS backlog shrinks" in api.get("/saved").text
    assert fever("saved_item_ids&mark", mark="item", **{"as": "unsaved"}, id=str(a5))["saved_item_ids"] == ""

    # Read on the site: no longer unread for the app.
    assert api.get("/en/article/a0000000000000a2").status_code == 200
    assert world.ids["a0000000000000a2"] not in unread(fever("unread_item_ids"))

    # A feed read up to 14:00 on 16 June 2025 (a4, a5 of Health, not a7), then the Stories feed, then everything.
    body = fever(
        "mark", mark="feed", **{"as": "read"}, id=str(world.follows[("section", "Health")]), before="1750082400"
    )
    assert unread(body) == ids(world, ["a0000000000000a1", "a0000000000000a7"]) + STORY_ITEMS
    body = fever("mark", mark="feed", **{"as": "read"}, id=str(STORIES_FEED_ID))
    assert unread(body) == []
    assert set(ids(world, ["a0000000000000a3", "a0000000000000a7"])) <= world.read_ids()
    fever("mark", mark="item", **{"as": "unread"}, id=str(STORY_ITEMS[1]))
    body = fever("mark", mark="group", **{"as": "read"}, id="0", before="1893456000")
    assert unread(body) == []
