"""What travels through the broker comes back equal: inputs, analysed articles, embeddings."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np
import pytest

from storyline.domain import Article, ArticleAnalysis, ArticleInput, Figure, Hashtag, Quote
from storyline.errors import InputError
from storyline.pipeline import Analyzed
from storyline.workers import codec

PUBLISHED = datetime(2025, 6, 16, 10, 30, tzinfo=timezone.utc)


def _analyzed() -> Analyzed:
    sentences = ["Ministers opened a national inquiry on Monday.", '"We will act," said Jess Phillips.']
    article = Article(
        "abc123",
        "https://news.example.com/a",
        "Inquiry opens",
        " ".join(sentences),
        "BBC News",
        PUBLISHED,
        "en",
        "A. Writer",
        None,
        sentences,
    )
    analysis = ArticleAnalysis(
        sentences=sentences,
        section="politics",
        summary=[0],
        hashtags=[Hashtag("Jess Phillips", "person", "jess-phillips", 2, [1])],
        quotes=[Quote("We will act", "Jess Phillips", "jess-phillips", 1)],
        figures=[Figure(1.0, "a national inquiry", "inquiries", 0)],
    )
    embedding = np.random.default_rng(7).standard_normal(384).astype(np.float32)
    return Analyzed(article, analysis, embedding, external_id="line-1", feed_id=3)


@pytest.mark.parametrize(
    "item",
    [
        ArticleInput(url="https://a.example/1"),
        ArticleInput(
            url="https://a.example/2",
            title="T",
            text="Body.",
            source="S",
            published=PUBLISHED,
            language="en",
            author="W",
            image_url="https://a.example/i.jpg",
            external_id="x",
            feed_id=2,
        ),
        ArticleInput(url="https://a.example/3", html="<p>caf\u00e9</p>"),
    ],
)
def test_input_round_trip(item):
    assert codec.input_from_json(json.loads(json.dumps(codec.input_to_json(item)))) == item


def test_analyzed_round_trip_through_json():
    original = _analyzed()
    restored = codec.analyzed_from_json(json.loads(json.dumps(codec.analyzed_to_json(original))))
    assert restored.article == original.article
    assert restored.analysis == original.analysis
    assert restored.analysis.sentences is restored.article.sentences
    assert (restored.external_id, restored.feed_id) == ("line-1", 3)
    np.testing.assert_array_equal(restored.embedding, original.embedding)
    restored.embedding[0] = 0.0  # writable: the story engine may update vectors in place


@pytest.mark.parametrize("broken", ["article", "analysis", "embedding"])
def test_malformed_payload_is_an_input_error(broken):
    payload = codec.analyzed_to_json(_analyzed())
    del payload[broken]
    with pytest.raises(InputError, match="analysed article"):
        codec.analyzed_from_json(payload)
