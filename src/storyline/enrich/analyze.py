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


# The most articles a story's summary, figures and outlet comparison read. Those compare sentences and figures
# across articles, which costs the square of what they read; a story of thousands of articles is read through a
# sample of this size (``representatives``), while hashtags and quotes, which cost one pass, read every article.
STORY_SAMPLE = 40


def analyze_story(
    articles: Sequence[Article],
    analyses: Sequence[ArticleAnalysis],
    embeddings: Sequence[np.ndarray] | None = None,
    sample: Sequence[int] | None = None,
) -> StoryAnalysis:
    """Story-wide view: aliases merged across outlets, a cross-outlet summary, who said what, figures that
    disagree, and what each outlet alone reports. With ``embeddings`` (each article's title-and-lead vector)
    a big story is sampled by centrality; without, by recency. A caller that chose the ``sample`` itself
    (``representatives``) need give bodies, sentences and figures for the sampled articles only."""
    if sample is None:
        sample = representatives(articles, embeddings, STORY_SAMPLE)
    sampled = [articles[i] for i in sample]
    per_article = [list(analysis.hashtags) for analysis in analyses]
    renames = entities.story_renames([per_article[i] for i in sample])
    resolved = entities.resolve_story(per_article, renames)
    return StoryAnalysis(
        summary=summarize.summarize_story(sampled),
        hashtags=_merge_hashtags(resolved),
        quotes=_story_quotes(articles, analyses, renames),
        figures=figures.compare_figures(
            {articles[i].key: analyses[i].figures for i in sample},
            {article.key: article.source for article in sampled},
            {article.key: article.sentences for article in sampled},
        ),
        exclusives=compare.exclusives(sampled),
        renames=renames,
    )


def representatives(articles: Sequence[Article], embeddings: Sequence[np.ndarray] | None, count: int) -> list[int]:
    """Positions of at most ``count`` articles that stand for the story, in story order: each outlet's most
    central article (closest to the story's mean) and its most recent, outlets with the most articles first,
    then the most central of the rest. With more outlets than ``count`` allows, the smaller outlets are left
    out. Sorting dominates: O(n log n) in the story's size."""
    if len(articles) <= count:
        return list(range(len(articles)))
    if embeddings is not None:
        matrix = np.asarray(embeddings, dtype=np.float32)
        centre = matrix.mean(axis=0)
        centrality = matrix @ (centre / (np.linalg.norm(centre) or 1.0))
    else:
        centrality = np.array([article.published.timestamp() for article in articles])
    by_outlet: dict[str, list[int]] = {}
    for position in np.argsort(-centrality, kind="stable"):
        by_outlet.setdefault(articles[position].source, []).append(int(position))
    outlets = sorted(by_outlet.values(), key=len, reverse=True)
    chosen: dict[int, None] = {}
    for members in outlets:
        chosen.setdefault(members[0])
    for members in outlets:
        chosen.setdefault(max(members, key=lambda position: articles[position].published))
    for position in np.argsort(-centrality, kind="stable"):
        chosen.setdefault(int(position))
        if len(chosen) >= count:
            break
    return sorted(list(chosen)[:count])


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
