"""Feed-provided strings and comments are hostile: everything must render inert."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from storyline.web.app import create_app


@pytest.fixture
def hostile_client(runtime, hostile_corpus):
    hostile_corpus.store(runtime)
    with TestClient(create_app(runtime)) as client:
        yield client


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/en/article/hostile000001",
        "/en/story/1",
        "/en/hashtag/evil-tag",
        "/search?q=Body",
        "/feeds/home.atom",
        "/feeds/home.rss",
        "/api/articles/hostile000001",
    ],
)
def test_hostile_article_renders_inert(hostile_client, hostile_corpus, path, assert_inert):
    response = hostile_client.get(path)
    assert response.status_code == 200
    if path.startswith("/feeds"):
        assert "<script>" not in response.text  # escaped as text inside the XML
    elif not path.startswith("/api"):
        assert_inert(response.text)
        assert hostile_corpus.SCRIPT not in response.text


def test_hostile_image_and_link_urls_are_dropped(hostile_client, hostile_corpus):
    html = hostile_client.get("/en/article/hostile000001").text
    assert hostile_corpus.IMAGE not in html
    assert 'rel="canonical"' not in html, "an unsafe original URL is not linked"
    assert "&lt;script&gt;" in html


def test_script_in_comment_renders_inert(hostile_client, hostile_corpus, forms, assert_inert):
    forms.register(hostile_client, "attacker")
    page = "/en/article/hostile000001"
    token = forms.csrf(hostile_client.get(page).text)
    hostile_client.post(f"{page}/comments", data={"body": hostile_corpus.COMMENT, "csrf_token": token})
    html = hostile_client.get(page).text
    assert_inert(html)
    assert hostile_corpus.SCRIPT not in html and "<script>alert(2)" not in html
    assert "&lt;script&gt;alert(" in html
