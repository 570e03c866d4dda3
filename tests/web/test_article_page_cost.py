"""The article page's database work stays bounded however large its story and comment thread grow."""

from __future__ import annotations

from datetime import timedelta

from storyline.store import community, queries, transaction
from storyline.store.models import Article, ArticleEntity

from ..conftest import counted_queries

# The article with outlet, story and hashtags; the story's newest other articles (at most RELATED_SHOWN); the
# syndicated copies of those; its comments with their authors.
ARTICLE_PAGE_QUERIES = 4
GROWTH = 6


def grow_story_and_thread(runtime, public_id: str) -> None:
    """Adds articles from new outlets (each with hashtags) to the article's story, and comments by new users."""
    with transaction(runtime.sessions) as session:
        article = queries.get_article(session, public_id)
        entity = queries.get_or_create_entity(session, "growth-entity", "Growth Entity", "org")
        for n in range(GROWTH):
            outlet = queries.get_or_create_outlet(session, f"Growth Outlet {n}")
            copy = Article(
                public_id=f"growth{n:04d}",
                url=f"https://growth.storyline.invalid/{n}",
                title=f"Growth coverage {n}",
                text="One sentence.",
                sentences=["One sentence."],
                language="en",
                published_at=article.published_at + timedelta(minutes=n + 1),
                outlet_id=outlet.id,
                story_id=article.story_id,
            )
            session.add(copy)
            session.flush()
            session.add(ArticleEntity(article_id=copy.id, entity_id=entity.id))
            user = community.create_user(session, f"reader{n}", "not-a-real-hash")
            community.add_comment(session, article.id, user.id, f"Comment {n}", None)


def test_article_page_queries_do_not_grow_with_story_or_comments(client, seeded):
    public_id = client.get("/api/articles").json()["items"][0]["id"]
    page = f"/en/article/{public_id}"
    with counted_queries(seeded) as before:
        assert client.get(page).status_code == 200

    grow_story_and_thread(seeded, public_id)
    with counted_queries(seeded) as after:
        response = client.get(page)
    assert response.status_code == 200
    assert "Growth coverage 5" in response.text and "reader5" in response.text, "the growth is on the page"
    assert len(before) == len(after) == ARTICLE_PAGE_QUERIES, after


def test_article_page_never_reads_embeddings(client, seeded):
    public_id = client.get("/api/articles").json()["items"][0]["id"]
    with counted_queries(seeded) as statements:
        assert client.get(f"/en/article/{public_id}").status_code == 200
    assert not any("embedding" in statement for statement in statements)
