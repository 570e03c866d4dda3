"""The data an article carries along the pipeline, independent of storage.

``ArticleInput`` is what collection produces, ``Article`` what extraction makes of it, and the analysis
types are what enrichment adds. Every AI output cites body sentences by index into ``Article.sentences``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class ArticleInput:
    url: str
    title: str | None = None
    text: str | None = None
    html: str | None = None
    source: str | None = None
    published: datetime | None = None
    language: str | None = None
    author: str | None = None
    image_url: str | None = None
    external_id: str | None = None
    feed_id: int | None = None
    # Only the feed's excerpt could be had: the page failed to fetch, so it is fetched again later.
    excerpt_only: bool = False
    # False when the URL is no web page (a podcast episode known only by its audio file): never fetched.
    has_page: bool = True


@dataclass(slots=True)
class Article:
    key: str
    url: str
    title: str
    text: str
    source: str
    published: datetime | None = None
    language: str = "en"
    author: str | None = None
    image_url: str | None = None
    sentences: list[str] = field(default_factory=list)
    title_derived: bool = False  # the item had no title: this one is the opening of its text
    excerpt_only: bool = False
    undated: bool = False  # the item had no plausible date: ``published`` is when it arrived


@dataclass(slots=True)
class Hashtag:
    name: str
    kind: str  # person | org | place | topic
    slug: str
    mentions: int = 1
    sentences: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Quote:
    text: str
    speaker: str | None
    speaker_slug: str | None
    sentence: int
    kind: str = "direct"  # direct | reported
    # With no speaker: the name written beside the quotation, where no person or organisation of the article is
    # (German articles have no entity pipeline; French and Spanish ones may take a person for a place); the
    # story's analysis gives the quote its speaker if the story knows it.
    speaker_hint: str | None = None


@dataclass(slots=True)
class Figure:
    """A number and what it counts. The fields after ``unit`` say which quantity it is (``figures.relation``
    compares them); figures stored before they existed read as counting nothing comparable."""

    value: float
    text: str
    counts: str  # what the number counts, e.g. "cases reopened"
    sentence: int
    unit: str | None = None
    noun: str = ""  # the counted noun's lemma ("case")
    modifiers: list[str] = field(default_factory=list)  # its modifiers' lemmas ("cold", "abuse")
    owner: list[str] = field(default_factory=list)  # whose or which: "champion", "inquiry" of "Champion's inquiry"
    kind: str = "count"  # count | future (forecast, plan) | change ("rose 4%") | previous ("up from 6%")
    dates: list[str] = field(default_factory=list)  # the dates its clause gives ("april", "2020")
    bound: str = "exact"  # exact | above ("more than") | below ("up to") | about ("about", "nearly")
    rounding: float = 0.0  # half the step of its last written digit when written rounded ("1.2m": 50,000)
    language: str = "en"  # the article's primary language: nouns and lemmas are compared within one


@dataclass(slots=True)
class ArticleAnalysis:
    sentences: list[str]
    section: str
    summary: list[int]  # indices into sentences
    hashtags: list[Hashtag] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)

    def summary_text(self) -> str:
        return " ".join(self.sentences[i] for i in self.summary)


@dataclass(slots=True)
class Citation:
    article_key: str
    sentence: int
    text: str
    source: str


@dataclass(slots=True)
class StoryAnalysis:
    summary: list[Citation]
    hashtags: list[Hashtag]
    quotes: list[dict]
    figures: list[dict]
    exclusives: dict[str, list[Citation]]  # outlet -> what only it reports
    # article hashtag slug -> the story-wide entity it names ("casey" -> Louise Casey)
    renames: dict[str, Hashtag] = field(default_factory=dict)
