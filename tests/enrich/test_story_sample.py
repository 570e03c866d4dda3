"""A big story's summary, figures and outlet comparison read a sample of it: bounded, every outlet's best and
latest article in it where the sample has room."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from storyline.domain import Article
from storyline.enrich.analyze import representatives

START = datetime(2025, 6, 16, 9, tzinfo=timezone.utc)


def _story(sizes: dict[str, int]) -> tuple[list[Article], np.ndarray]:
    rng = np.random.default_rng(3)
    articles, vectors = [], []
    for outlet, size in sizes.items():
        for number in range(size):
            published = START + timedelta(minutes=len(articles))
            url = f"https://{outlet}.example/{number}"
            articles.append(Article(f"{outlet}-{number}", url, "t", "x", outlet, published))
            vectors.append(np.eye(8)[0] + rng.normal(0, 0.3, 8))
    return articles, np.array(vectors, dtype=np.float32)


@pytest.mark.parametrize(
    ("sizes", "count"),
    [
        ({"a": 3, "b": 2}, 10),  # small: everything
        ({"a": 500, "b": 30, "c": 1}, 12),
        ({f"outlet{n}": 20 for n in range(4)}, 8),  # room for exactly two an outlet
        ({f"outlet{n}": 3 for n in range(30)}, 10),  # more outlets than room
    ],
)
def test_the_sample_is_bounded_and_holds_each_outlets_best_and_latest(sizes, count):
    articles, vectors = _story(sizes)
    chosen = representatives(articles, vectors, count)
    assert len(chosen) == min(count, len(articles)) and chosen == sorted(set(chosen))
    if len(articles) <= count:
        return
    centre = vectors.mean(axis=0)
    centrality = vectors @ (centre / np.linalg.norm(centre))
    if len(sizes) > count // 2:
        # more outlets than the sample has room for: one article each from as many as fit
        assert len({articles[i].source for i in chosen}) == count
        return
    for outlet in sizes:
        own = [i for i, article in enumerate(articles) if article.source == outlet]
        assert max(own, key=lambda i: centrality[i]) in chosen, f"{outlet}'s most central article"
        assert max(own, key=lambda i: articles[i].published) in chosen, f"{outlet}'s latest article"


def test_without_embeddings_the_latest_stand_for_the_story():
    articles, _ = _story({"a": 50})
    assert representatives(articles, None, 5) == [45, 46, 47, 48, 49]
