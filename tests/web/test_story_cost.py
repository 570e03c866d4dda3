"""A story's analysis reads the bodies of its sample alone, and its database work does not grow with the story;
the aliases it merges are merged in the database as they were article by article."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from storyline import pipeline
from storyline.domain import Hashtag
from storyline.pipeline import refresh_story_analysis
from storyline.store import queries, transaction
from storyline.store.models import Article, ArticleEntity, Entity, Story

from ..conftest import counted_queries
from .conftest import add_coverage

CARRIERS_SHOWN = 5  # outlets a story page names of those that carried a quote
SAMPLE = 2  # the sample a story's analysis reads bodies of, kept below the seed story's four articles


@contextmanager
def loaded_articles() -> Iterator[list[int]]:
    """Ids of the article rows the ORM builds (a row per article read with its every column)."""
    loaded: list[int] = []

    def record(target, context) -> None:
        loaded.append(target.id)

    event.listen(Article, "load", record)
    try:
        yield loaded
    finally:
        event.remove(Article, "load", record)


def analyse_afresh(runtime, story_id: int) -> tuple[int, list[int]]:
    """Statements and article rows of analysing the story again as if articles had joined it since."""
    with transaction(runtime.sessions) as session:
        session.get(Story, story_id).analysis_article_count = -1
    with counted_queries(runtime) as statements, loaded_articles() as loaded:
        with transaction(runtime.sessions) as session:
            refresh_story_analysis(session, story_id)
    return len(statements), loaded


def story_id_of(runtime) -> int:
    with transaction(runtime.sessions) as session:
        return session.scalar(select(Article.story_id).where(Article.story_id.is_not(None)).limit(1))


def test_analysis_reads_the_sample_alone_and_its_queries_do_not_grow(seeded, seed_batch, monkeypatch):
    monkeypatch.setattr(pipeline, "STORY_SAMPLE", SAMPLE)
    story_id = story_id_of(seeded)
    analyse_afresh(seeded, story_id)  # the story's first analysis records its snapshot; the next ones compare
    small_statements, small_loaded = analyse_afresh(seeded, story_id)
    add_coverage(seeded, seed_batch, story_id, "Growth Gazette", count=12)
    big_statements, big_loaded = analyse_afresh(seeded, story_id)
    assert len(small_loaded) <= SAMPLE and len(big_loaded) <= SAMPLE, (small_loaded, big_loaded)
    assert big_statements == small_statements


def test_analysis_reads_a_story_in_batches(seeded, seed_batch, monkeypatch):
    story_id = story_id_of(seeded)
    add_coverage(seeded, seed_batch, story_id, "Growth Gazette", count=6)
    one_batch, _ = analyse_afresh(seeded, story_id)
    monkeypatch.setattr(pipeline, "STORY_BATCH", 3)
    three_batches, _ = analyse_afresh(seeded, story_id)
    assert three_batches > one_batch  # its hashtags and quotes, a batch at a time


def story_links(runtime, story_id: int) -> dict[tuple[int, str], tuple[int, int]]:
    """(article id, hashtag slug) -> (mentions, rank) of every hashtag of the story's articles."""
    query = (
        select(ArticleEntity.article_id, Entity.slug, ArticleEntity.mentions, ArticleEntity.rank)
        .join(Entity, Entity.id == ArticleEntity.entity_id)
        .join(Article, Article.id == ArticleEntity.article_id)
        .where(Article.story_id == story_id)
    )
    with transaction(runtime.sessions) as session:
        return {(article, slug): (mentions, rank) for article, slug, mentions, rank in session.execute(query)}


@pytest.mark.parametrize(
    ("before", "renames", "after"),
    [
        # The alias alone: the article now carries the story-wide name, with the alias's mentions and rank.
        ({(1, "casey"): (2, 3)}, {"casey": "louise-casey"}, {(1, "louise-casey"): (2, 3)}),
        # Both: mentions add up, the better rank stays.
        (
            {(1, "casey"): (2, 1), (1, "louise-casey"): (3, 4)},
            {"casey": "louise-casey"},
            {(1, "louise-casey"): (5, 1)},
        ),
        # Two aliases of one name on one article, and another article with neither.
        (
            {(1, "casey"): (1, 2), (1, "lady-casey"): (4, 0), (2, "keir-starmer"): (1, 0)},
            {"casey": "louise-casey", "lady-casey": "louise-casey", "keir-starmer": "keir-starmer"},
            {(1, "louise-casey"): (5, 0), (2, "keir-starmer"): (1, 0)},
        ),
    ],
)
def test_aliases_are_merged_into_the_story_wide_entity(seeded, before, renames, after):
    story_id = story_id_of(seeded)
    with transaction(seeded.sessions) as session:
        ids = list(session.scalars(select(Article.id).where(Article.story_id == story_id).order_by(Article.id)))
        for article_id in ids:
            for link in session.scalars(select(ArticleEntity).where(ArticleEntity.article_id == article_id)):
                session.delete(link)
        session.flush()
        for (number, slug), (mentions, rank) in before.items():
            entity = queries.get_or_create_entity(session, slug, slug.replace("-", " ").title(), "person")
            session.add(ArticleEntity(article_id=ids[number], entity_id=entity.id, mentions=mentions, rank=rank))
    with transaction(seeded.sessions) as session:
        tags = {slug: Hashtag(target.replace("-", " ").title(), "person", target) for slug, target in renames.items()}
        queries.rename_story_entities(session, story_id, tags)
    assert story_links(seeded, story_id) == {(ids[number], slug): value for (number, slug), value in after.items()}


def test_story_page_names_a_few_outlets_of_a_widely_carried_quote(seeded, seed_batch, client):
    story_id = story_id_of(seeded)
    for number in range(6):  # six more outlets carry the lead article's quotes
        add_coverage(seeded, seed_batch, story_id, f"Carrier {number}", first=number)
    quotes = client.get(f"/api/stories/{story_id}").json()["analysis"]["quotes"]
    widest = max(quotes, key=lambda quote: len(quote["carried_by"]))
    named = CARRIERS_SHOWN
    assert len(widest["carried_by"]) > 1 + named, widest
    page = client.get(f"/en/story/{story_id}").text
    more = len(widest["carried_by"]) - 1 - named
    assert f"also carried by {', '.join(widest['carried_by'][1 : 1 + named])} and {more} more outlet" in page
    assert widest["carried_by"][-1] not in page.split("also carried by", 1)[1].split("</p>", 1)[0]


def test_story_page_and_api_read_the_story_hashtags_from_its_analysis(seeded, client):
    story_id = story_id_of(seeded)
    client.get(f"/api/stories/{story_id}")  # analysed
    with counted_queries(seeded) as statements:
        page = client.get(f"/en/story/{story_id}").text
        api = client.get(f"/api/stories/{story_id}").json()
    assert not [statement for statement in statements if "sum(article_entities.mentions)" in statement]
    analysed = api["analysis"]["hashtags"][:20]
    assert api["hashtags"] == [{key: tag[key] for key in ("name", "slug", "kind")} for tag in analysed]
    assert f'href="/en/hashtag/{analysed[0]["slug"]}"' in page
