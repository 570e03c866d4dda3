"""JSON forms of what travels through the broker: inputs to analyse and analysed articles to place.

Task arguments must be plain JSON (Celery's JSON serializer; never pickle from a shared broker). Dates travel
as ISO 8601 strings and embeddings as base64 of their float32 bytes (a quarter of the size of a float list).
"""

from __future__ import annotations

import base64
from dataclasses import asdict
from datetime import datetime
from typing import Any

import numpy as np

from storyline.domain import Article, ArticleAnalysis, ArticleInput, Figure, Hashtag, Quote
from storyline.errors import InputError
from storyline.pipeline import Analyzed


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def input_to_json(item: ArticleInput) -> dict[str, Any]:
    return asdict(item) | {"published": _iso(item.published)}


def input_from_json(payload: dict[str, Any]) -> ArticleInput:
    return ArticleInput(**(payload | {"published": _datetime(payload.get("published"))}))


def embedding_to_json(embedding: np.ndarray) -> str:
    return base64.b64encode(np.asarray(embedding, dtype=np.float32).tobytes()).decode("ascii")


def embedding_from_json(encoded: str) -> np.ndarray:
    # copy(): frombuffer returns a read-only view, and the story engine may update vectors in place.
    return np.frombuffer(base64.b64decode(encoded), dtype=np.float32).copy()


def analyzed_to_json(analyzed: Analyzed) -> dict[str, Any]:
    analysis = asdict(analyzed.analysis)
    del analysis["sentences"]  # the same list as article.sentences: sent once
    return {
        "article": asdict(analyzed.article) | {"published": _iso(analyzed.article.published)},
        "analysis": analysis,
        "embedding": embedding_to_json(analyzed.embedding),
        "external_id": analyzed.external_id,
        "feed_id": analyzed.feed_id,
        "enriched": analyzed.enriched,
    }


def analyzed_from_json(payload: dict[str, Any]) -> Analyzed:
    try:
        article_fields = payload["article"]
        article = Article(**(article_fields | {"published": _datetime(article_fields.get("published"))}))
        fields = payload["analysis"]
        analysis = ArticleAnalysis(
            sentences=article.sentences,
            section=fields["section"],
            summary=list(fields["summary"]),
            hashtags=[Hashtag(**tag) for tag in fields["hashtags"]],
            quotes=[Quote(**quote) for quote in fields["quotes"]],
            figures=[Figure(**figure) for figure in fields["figures"]],
        )
        embedding = embedding_from_json(payload["embedding"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"malformed analysed article in task payload: {exc}") from exc
    return Analyzed(
        article, analysis, embedding, payload.get("external_id"), payload.get("feed_id"), payload.get("enriched", True)
    )
