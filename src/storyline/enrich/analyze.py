"""Enrichment entry points: everything the AI panel shows for one article and for one story.

Each feature cites body sentences by index, so every line on the page can be traced to its source.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from storyline.domain import Article, ArticleAnalysis, Citation, Hashtag, StoryAnalysis
from storyline.enrich import compare, entities, figures, quotes, sections, summarize


def analyze_article(article: Article, embedding: np.ndarray | None = None) -> ArticleAnalysis:
    hashtags = entities.extract_hashtags(article)
    return ArticleAnalysis(
        sentences=article.sentences,
        section=sections.classify(article, embedding),
        summary=summarize.summarize_article(article),
        hashtags=hashtags,
        quotes=quotes.extract_quotes(article, hashtags),
        figures=figures.extract_figures(article),
    )


def analyze_story(articles: Sequence[Article], analyses: Sequence[ArticleAnalysis]) -> StoryAnalysis:
    """Story-wide view: aliases merged across outlets, a cross-outlet summary, who said what, figures that
    disagree, and what each outlet alone reports."""
    per_article = [list(analysis.hashtags) for analysis in analyses]
    renames = entities.story_renames(per_article)
    resolved = entities.resolve_story(per_article, renames)
    by_key = {article.key: article for article in articles}
    return StoryAnalysis(
        summary=summarize.summarize_story(list(articles)),
        hashtags=_merge_hashtags(resolved),
        quotes=_story_quotes(articles, analyses, renames),
        figures=figures.compare_figures(
            {article.key: analysis.figures for article, analysis in zip(articles, analyses, strict=True)},
            {key: article.source for key, article in by_key.items()},
        ),
        exclusives=compare.exclusives(list(articles)),
        renames=renames,
    )


def _merge_hashtags(per_article: Sequence[Sequence[Hashtag]]) -> list[Hashtag]:
    """The story's hashtags, most mentioned first; sentence numbers are per article, so the story's have none."""
    tags = (Hashtag(tag.name, tag.kind, tag.slug, tag.mentions) for tags in per_article for tag in tags)
    return sorted(entities.unique_hashtags(tags), key=lambda tag: -tag.mentions)


def _story_quotes(
    articles: Sequence[Article], analyses: Sequence[ArticleAnalysis], renames: dict[str, Hashtag]
) -> list[dict]:
    """Who said what, which outlets carried each quote, and which carried it first; a speaker one outlet names
    by surname only ("Casey") is the story's full name ("Louise Casey")."""
    grouped: dict[tuple[str, str], dict] = {}
    ordered = sorted(zip(articles, analyses, strict=True), key=lambda pair: pair[0].published)
    for article, analysis in ordered:
        for quote in analysis.quotes:
            speaker = renames.get(quote.speaker_slug or "")
            speaker_name = speaker.name if speaker else quote.speaker
            speaker_slug = speaker.slug if speaker else quote.speaker_slug
            key = (speaker_slug or "", _quote_fingerprint(quote.text))
            entry = grouped.setdefault(
                key,
                {
                    "text": quote.text,
                    "speaker": speaker_name,
                    "speaker_slug": speaker_slug,
                    "first": Citation(article.key, quote.sentence, quote.text, article.source),
                    "carried_by": [],
                },
            )
            if article.source not in entry["carried_by"]:
                entry["carried_by"].append(article.source)
    return list(grouped.values())


def _quote_fingerprint(text: str) -> str:
    words = [word for word in "".join(c.lower() if c.isalnum() else " " for c in text).split()]
    return " ".join(words[:12])
