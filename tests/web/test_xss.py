"""Feed-provided strings and comments are hostile: everything must render inert."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from storyline.store import queries, transaction
from storyline.store.models import Article, ArticleEntity
from storyline.web.app import create_app

SCRIPT = "<script>alert('x')</script>"
HOSTILE_IMAGE = "javascript:alert(1)"


@pytest.fixture
def hostile_client(runtime):
    with transaction(runtime.sessions) as session:
        outlet = queries.get_or_create_outlet(session, f"Evil {SCRIPT} News")
        queries.upsert_story(session, 1, f"Story {SCRIPT}", datetime(2025, 6, 16, tzinfo=timezone.utc))
        article = Article(
            public_id="hostile000001",
            url='https://evil.example/a"onmouseover="alert(1)',
            title=f"Title {SCRIPT}",
            text=f"Body {SCRIPT} here.\nSecond <img src=x onerror=alert(1)> paragraph.",
            sentences=[f"Body {SCRIPT} here.", "Second <img src=x onerror=alert(1)> paragraph."],
            author=f"Author {SCRIPT}",
            image_url=HOSTILE_IMAGE,
            language="en",
            published_at=datetime(2025, 6, 16, 12, tzinfo=timezone.utc),
            outlet_id=outlet.id,
            story_id=1,
            section=f"news{SCRIPT}",
            summary=[0],
            quotes=[{"text": SCRIPT, "speaker": SCRIPT, "speaker_slug": "x", "sentence": 0, "kind": "direct"}],
            figures=[],
        )
        session.add(article)
        session.flush()
        entity = queries.get_or_create_entity(session, "evil-tag", f"Tag {SCRIPT}", "topic")
        session.add(ArticleEntity(article_id=article.id, entity_id=entity.id, mentions=1, rank=0))
        queries.refresh_story_counts(session, 1)
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
def test_hostile_article_renders_inert(hostile_client, path, assert_inert):
    response = hostile_client.get(path)
    assert response.status_code == 200
    if path.startswith("/feeds"):
        assert "<script>" not in response.text  # escaped as text inside the XML
    elif not path.startswith("/api"):
        assert_inert(response.text)
        assert SCRIPT not in response.text


def test_hostile_image_and_link_urls_are_dropped(hostile_client):
    html = hostile_client.get("/en/article/hostile000001").text
    assert HOSTILE_IMAGE not in html
    assert 'rel="canonical"' not in html, "an unsafe original URL is not linked"
    assert "&lt;script&gt;" in html


def test_script_in_comment_renders_inert(hostile_client, forms, assert_inert):
    forms.register(hostile_client, "attacker")
    page = "/en/article/hostile000001"
    token = forms.csrf(hostile_client.get(page).text)
    body = f'{SCRIPT} <a href="javascript:alert(1)">x</a> https://ok.example/"><script>alert(2)</script>'
    hostile_client.post(f"{page}/comments", data={"body": body, "csrf_token": token})
    html = hostile_client.get(page).text
    assert_inert(html)
    assert SCRIPT not in html and "<script>alert(2)" not in html
    assert "&lt;script&gt;alert(" in html
