"""The JSON API's shapes, on SQLite and PostgreSQL."""

from __future__ import annotations

ITEM_KEYS = {
    "title_derived",
    "excerpt_only",
    "id",
    "url",
    "title",
    "source",
    "language",
    "published",
    "page_url",
    "story_id",
    "enriched",
}


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_articles_by_url_has_the_mandatory_shape(client, seed_records):
    url = seed_records[0]["url"]
    body = client.get("/api/articles", params={"url": url}).json()
    assert list(body) == ["items"]
    [item] = body["items"]
    assert set(item) == ITEM_KEYS
    assert item["url"] == url and item["source"] == seed_records[0]["source"] and item["language"] == "en"
    assert item["page_url"] == f"/en/article/{item['id']}"
    assert isinstance(item["story_id"], int)


def test_articles_by_unknown_url_is_empty(client):
    assert client.get("/api/articles", params={"url": "https://nowhere.example/x"}).json() == {"items": []}


def test_latest_articles_are_paged(client):
    first = client.get("/api/articles", params={"limit": 2}).json()["items"]
    second = client.get("/api/articles", params={"limit": 2, "offset": 2}).json()["items"]
    assert len(first) == 2 and len(second) == 2
    assert not {i["id"] for i in first} & {i["id"] for i in second}
    assert all(set(item) == ITEM_KEYS for item in first + second)


def test_article_story_and_listings(client):
    item = client.get("/api/articles").json()["items"][0]
    detail = client.get(f"/api/articles/{item['id']}").json()
    assert detail["id"] == item["id"] and detail["sentences"] and detail["hashtags"]
    assert {"summary", "quotes", "figures", "related", "also_in"} <= set(detail)
    story = client.get(f"/api/stories/{item['story_id']}").json()
    assert story["id"] == item["story_id"] and story["articles"]
    assert client.get("/api/stories").json()["items"]
    tags = client.get("/api/hashtags").json()["items"]
    assert tags and client.get(f"/api/hashtags/{tags[0]['slug']}").json()["items"]
    sections = client.get("/api/sections").json()["items"]
    assert sections and client.get(f"/api/sections/{sections[0]['name']}").json()["items"]
    sources = client.get("/api/sources").json()["items"]
    assert {s["name"] for s in sources} >= {"Sky News", "Telegraph", "The Guardian"}
    assert client.get(f"/api/sources/{sources[0]['slug']}").json()["items"]
    assert client.get("/api/search", params={"q": "tippexed"}).json()["items"]
    assert client.get(f"/api/articles/{item['id']}/comments").json() == {"items": []}


def test_api_errors_are_json(client):
    response = client.get("/api/articles/nosuchid")
    assert response.status_code == 404 and response.json() == {"detail": "no article with that id"}
    assert client.get("/api/articles", params={"limit": 0}).status_code == 422


def test_openapi_describes_the_api(client):
    schema = client.get("/openapi.json").json()
    for path in (
        "/api/articles",
        "/api/articles/{public_id}",
        "/api/stories/{story_id}",
        "/api/search",
        "/api/hashtags",
        "/api/sections",
        "/api/sources",
        "/api/articles/{public_id}/comments",
        "/healthz",
    ):
        assert path in schema["paths"], path
    item = schema["components"]["schemas"]["ArticleItem"]["properties"]
    assert set(item) == ITEM_KEYS
