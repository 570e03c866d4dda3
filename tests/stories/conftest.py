"""Articles for the story-engine tests, built the way ``Processor.place`` builds its input."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from storyline import nlp
from storyline.domain import Article
from storyline.enrich.entities import extract_hashtags
from storyline.pipeline import embedding_text, story_item
from storyline.stories.engine import StoryItem

SEED = Path(__file__).parents[2] / "src" / "storyline" / "data" / "sample.jsonl"
TESTDATA = Path(__file__).parent / "testdata"


def article_from(record: dict) -> Article:
    article = Article(
        key=record["id"],
        url=f"https://example.invalid/{record['id']}",
        title=record["title"],
        text=record["text"],
        source=record["source"],
        published=datetime.fromisoformat(record["published"]),
        language=record.get("language", "en"),
    )
    article.sentences = nlp.split_sentences(article.text)
    return article


def items_for(records: list[dict]) -> list[StoryItem]:
    articles = [article_from(record) for record in records]
    embeddings = nlp.embed([embedding_text(article) for article in articles])
    return [
        story_item(article, embedding, [tag.slug for tag in extract_hashtags(article) if tag.kind != "topic"])
        for article, embedding in zip(articles, embeddings, strict=True)
    ]


def read_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def seed_items() -> list[StoryItem]:
    return items_for(read_records(SEED))


@pytest.fixture(scope="session")
def neighbour_items() -> list[StoryItem]:
    return items_for(read_records(TESTDATA / "neighbours.jsonl"))


@pytest.fixture(scope="session")
def make_items() -> Callable[[list[dict]], list[StoryItem]]:
    return items_for
