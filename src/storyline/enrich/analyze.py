"""Enrichment entry points: everything the AI panel shows for one article and for one story.

Each feature cites body sentences by index, so every line on the page can be traced to its source.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from storyline.domain import Article, ArticleAnalysis, Citation, Hashtag, Quote, StoryAnalysis
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
    tally = StoryTally(entities.story_renames([list(analyses[i].hashtags) for i in sample]))
    for analysis in analyses:
        tally.add_hashtags(analysis.hashtags)
    for article, analysis in sorted(zip(articles, analyses, strict=True), key=lambda pair: pair[0].published):
        tally.add_quotes(article, analysis.quotes)
    return sampled_story_analysis([articles[i] for i in sample], [analyses[i] for i in sample], tally)


def sampled_story_analysis(
    sampled: Sequence[Article], sampled_analyses: Sequence[ArticleAnalysis], tally: StoryTally
) -> StoryAnalysis:
    """The story's analysis from its sample's bodies (summary, figures, outlet comparison) and the ``tally`` of
    every article's hashtags and quotes."""
    return StoryAnalysis(
        summary=summarize.summarize_story(list(sampled)),
        hashtags=tally.hashtags(),
        quotes=tally.quotes(),
        figures=figures.compare_figures(
            {article.key: analysis.figures for article, analysis in zip(sampled, sampled_analyses, strict=True)},
            {article.key: article.source for article in sampled},
            {article.key: article.sentences for article in sampled},
        ),
        exclusives=compare.exclusives(list(sampled)),
        renames=tally.renames,
    )


def story_speaker(speaker_slug: str | None, hint: str | None, renames: dict[str, Hashtag]) -> Hashtag | None:
    """A quote's speaker as the story names them (``renames``: "Casey" is Louise Casey); for a quote with no
    speaker, the story's person or organisation its ``speaker_hint`` names, read from its last words
    ("Premierminister Keir Starmer" is Keir Starmer, "Cooper" Yvette Cooper when the story has one Cooper)."""
    if speaker_slug:
        return renames.get(speaker_slug)
    if not hint:
        return None
    known = list({tag.slug: tag for tag in renames.values()}.values())
    words = hint.split()
    return next(
        (found for start in range(len(words)) if (found := entities.match_hashtag(" ".join(words[start:]), known))),
        None,
    )


class StoryTally:
    """The part of a story's analysis that reads every article, one pass each: its hashtags (aliases under the
    story-wide name, mentions added up) and who said what (which outlets carried each quote, which first). Fed
    article by article, so a story of 10,000 articles is never held in memory at once."""

    def __init__(self, renames: dict[str, Hashtag]) -> None:
        self.renames = renames
        self._hashtags: dict[str, Hashtag] = {}
        self._quotes: dict[tuple[str, str], dict] = {}
        self._carriers: dict[tuple[str, str], set[str]] = {}

    def add_hashtags(self, hashtags: Sequence[Hashtag]) -> None:
        """One article's hashtags; sentence numbers are per article, so the story's have none."""
        (resolved,) = entities.resolve_story([list(hashtags)], self.renames)
        entities.merge_hashtags(self._hashtags, (Hashtag(t.name, t.kind, t.slug, t.mentions) for t in resolved))

    def add_quotes(self, article: Article, quotes: Sequence[Quote]) -> None:
        """One article's quotes, articles given oldest first; a speaker one outlet names by surname only
        ("Casey") is the story's full name ("Louise Casey")."""
        for quote in quotes:
            speaker = story_speaker(quote.speaker_slug, quote.speaker_hint, self.renames)
            speaker_name = speaker.name if speaker else quote.speaker
            speaker_slug = speaker.slug if speaker else quote.speaker_slug
            key = (speaker_slug or "", _quote_fingerprint(quote.text))
            entry = self._quotes.setdefault(
                key,
                {
                    "text": quote.text,
                    "speaker": speaker_name,
                    "speaker_slug": speaker_slug,
                    "first": Citation(article.key, quote.sentence, quote.text, article.source),
                    "carried_by": [],
                },
            )
            carriers = self._carriers.setdefault(key, set())
            if article.source not in carriers:
                carriers.add(article.source)
                entry["carried_by"].append(article.source)

    def hashtags(self) -> list[Hashtag]:
        """The story's hashtags, most mentioned first."""
        return sorted(self._hashtags.values(), key=lambda tag: -tag.mentions)

    def quotes(self) -> list[dict]:
        return list(self._quotes.values())


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


# A run of letters and digits: ``\w`` without the underscore is exactly the characters ``str.isalnum`` accepts.
_QUOTE_WORD = re.compile(r"[^\W_]+")
FINGERPRINT_WORDS = 12


def _quote_fingerprint(text: str) -> str:
    """The quote's first words, lower-cased. ``str.lower`` reads a capital sigma by its context (a final one
    becomes "ς"); the fingerprint has always lowered letter by letter, so a quote with one still does."""
    opening = " ".join(_QUOTE_WORD.findall(text)[:FINGERPRINT_WORDS])
    return opening.lower() if "\u03a3" not in opening else "".join(map(str.lower, opening))
