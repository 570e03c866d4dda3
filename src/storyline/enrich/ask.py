"""Questions about a story, answered from its articles' own sentences.

Retrieval mixes meaning (MiniLM cosine between question and sentence) with wording (the share of the question's
IDF-weighted content lemmas a sentence contains). The question's wording also says what kind of answer it wants
(how many → a number with its unit, who → a person or organisation, when → a date, where → a place, what did X
say → a quote by X): the sentence that holds such an answer and matches the question's terms comes first, with
the answer's span marked. A typed question that no such sentence answers gets "none of these articles answers
that question" rather than a guess. The offline answer is the best few sentences themselves, each cited; with
an LLM endpoint configured, ``llm.synthesize`` rewrites them and keeps only what they support.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from storyline import nlp
from storyline.config import Settings
from storyline.domain import Article, ArticleAnalysis, Citation, Quote
from storyline.enrich import llm
from storyline.errors import StorylineError
from storyline.logs import get_logger

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

log = get_logger("ask")

NO_ANSWER = "None of these articles answers that question."
MIN_WORDS = 4
MAX_SENTENCES = 3
LEXICAL_WEIGHT = 0.5
MIN_SIMILARITY = 0.3  # below this and without shared words, a sentence is not about the question
MIN_LEXICAL = 0.25
KEEP_WITHIN = 0.15  # further sentences must score this close to the best one
NEAR_DUPLICATE = 0.85
TYPED_CANDIDATES = 40  # best-scored sentences read for an answer of the asked type
# A typed answer counts only in a sentence about the question: it shares this much of the question's weighted
# terms, or is this close in meaning (chosen on the development questions of the ask eval).
MIN_TYPED_LEXICAL = 0.3
MIN_TYPED_SIMILARITY = 0.5
CONTENT_POS = {"NOUN", "PROPN", "VERB", "ADJ", "NUM", "ADV"}
# Words that say which kind of answer is wanted, not what it is about.
QUESTION_WORDS = frozenset("many much long old often far people number percentage share proportion".split())
UNIT_POS = {"ADJ", "NOUN"}
MAX_UNIT_WORDS = 3


class AnswerType(StrEnum):
    QUANTITY = "quantity"
    AGENT = "agent"  # a person or an organisation
    TIME = "time"
    PLACE = "place"
    QUOTE = "quote"
    GENERAL = "general"


_QUOTE_QUESTION = re.compile(
    r"^\s*what\s+(?:did|does|do|has|have|had)\s+(?P<speaker>.+?)\s+"
    r"(?:say|said|tell|told|call|called|warn|warned|claim|claimed|describe|add|added|insist|write|wrote)\b",
    re.I,
)
_TYPE_PATTERNS = (
    (AnswerType.QUANTITY, re.compile(r"\bhow\s+(many|much|long|old|often|far)\b|\bwhat\s+(number|percentage|share|proportion|amount|sum)\b", re.I)),  # noqa: E501
    (AnswerType.TIME, re.compile(r"^\s*(since\s+|until\s+|by\s+)?when\b|\b(what|which)\s+(time|date|year|month|day)\b", re.I)),  # noqa: E501
    (AnswerType.PLACE, re.compile(r"^\s*(from\s+|to\s+)?where\b|\b(what|which)\s+(city|cities|country|countries|town|towns|place|places|region|county|airport|airports)\b", re.I)),  # noqa: E501
    (AnswerType.AGENT, re.compile(r"^\s*(by\s+|to\s+|for\s+)?(who|whom|whose)\b|\b(which|what)\s+(person|organi[sz]ation|union|unions|company|firm|group|minister|party|agency|body|official)\b", re.I)),  # noqa: E501
)  # fmt: skip
ENTITY_LABELS = {
    AnswerType.QUANTITY: {"CARDINAL", "QUANTITY", "MONEY", "PERCENT"},
    AnswerType.AGENT: {"PERSON", "ORG"},
    AnswerType.TIME: {"DATE", "TIME"},
    AnswerType.PLACE: {"GPE", "LOC", "FAC"},
}
# Narrower answers for some wordings: "how much" is an amount, not a count; "how long" is a duration; "who is
# the leader" asks for a person.
_NARROWER_LABELS = (
    (re.compile(r"\bhow\s+many\b", re.I), {"CARDINAL", "QUANTITY"}),
    (re.compile(r"\bhow\s+much\b", re.I), {"MONEY", "PERCENT", "QUANTITY"}),
    (re.compile(r"\bhow\s+(long|old|often)\b", re.I), {"DATE", "TIME", "CARDINAL", "QUANTITY"}),
    (re.compile(r"^\s*who\s+(is|was|are|were)\b", re.I), {"PERSON"}),
)
# Outlets put the news first: among equally good sentences, the earlier one (a small prior, fading fast).
POSITION_PRIOR = 0.05
_QUOTE_MARKS = "'\"‘’“”"


@dataclass(slots=True)
class Answer:
    text: str
    citations: list[Citation]
    synthesized: bool
    kind: AnswerType = AnswerType.GENERAL
    span: tuple[int, int] | None = None  # character offsets of the answer itself in ``text``

    @property
    def answered(self) -> bool:
        return bool(self.citations)

    def parts(self) -> tuple[str, str, str]:
        """``text`` split around the answer span (before, answer, after), for the page to mark it."""
        if self.span is None:
            return self.text, "", ""
        start, end = self.span
        return self.text[:start], self.text[start:end], self.text[end:]


@dataclass(slots=True)
class Evidence:
    citations: list[Citation]
    kind: AnswerType
    span: tuple[int, int] | None  # in the first citation's text


def answer_type(question: str) -> tuple[AnswerType, str | None]:
    """The kind of answer ``question`` asks for, and for "what did X say" the speaker X."""
    quoted = _QUOTE_QUESTION.search(question)
    if quoted:
        return AnswerType.QUOTE, quoted.group("speaker").strip()
    for kind, pattern in _TYPE_PATTERNS:
        if pattern.search(question):
            return kind, None
    return AnswerType.GENERAL, None


def answer(
    question: str,
    articles: list[Article],
    settings: Settings | None = None,
    analyses: Sequence[ArticleAnalysis] | None = None,
) -> Answer:
    """The cited answer; ``analyses`` (one per article, as stored) give the quotes "what did X say" reads,
    found here when absent."""
    evidence = retrieve(question, articles, analyses)
    if not evidence.citations:
        return Answer(NO_ANSWER, [], False, evidence.kind)
    if settings is not None and settings.llm_url:
        try:
            synthesis = llm.synthesize(question, evidence.citations, settings)
        except StorylineError as exc:
            log.warning("llm failed, answering extractively", error=str(exc))
        else:
            if synthesis is not None:
                return Answer(synthesis.text, synthesis.citations, True, evidence.kind, _find(evidence, synthesis.text))
            log.warning("llm answer unsupported by the sources, answering extractively")
    text = " ".join(citation.text for citation in evidence.citations)
    return Answer(text, evidence.citations, False, evidence.kind, evidence.span)


def _find(evidence: Evidence, text: str) -> tuple[int, int] | None:
    """The extractive answer span's words in a rewritten answer, where the rewrite kept them."""
    if evidence.span is None:
        return None
    start, end = evidence.span
    found = text.find(evidence.citations[0].text[start:end])
    return (found, found + end - start) if found >= 0 else None


def retrieve(question: str, articles: Sequence[Article], analyses: Sequence[ArticleAnalysis] | None = None) -> Evidence:
    """The sentences that best answer ``question``, best first; none when nothing answers it."""
    kind, speaker = answer_type(question)
    pool = [
        Citation(article.key, index, sentence, article.source)
        for article in articles
        for index, sentence in enumerate(article.sentences)
        if len(sentence.split()) >= MIN_WORDS
    ]
    if not pool or not question.strip():
        return Evidence([], kind, None)
    vectors = nlp.embed([question, *(citation.text for citation in pool)])
    similarity = vectors[1:] @ vectors[0]
    lexical = lexical_overlap(question, [citation.text for citation in pool])
    score = similarity + LEXICAL_WEIGHT * lexical + POSITION_PRIOR / (1 + np.array([c.sentence for c in pool]))
    relevant = (similarity >= MIN_SIMILARITY) | (lexical >= MIN_LEXICAL)
    spans: dict[int, tuple[int, int]] = {}
    if kind is AnswerType.QUOTE:
        spans, direct = _quote_spans(speaker or "", pool, articles, analyses)
        relevant = np.zeros(len(pool), dtype=bool)
        relevant[list(spans)] = True
        # Among the speaker's words, what the question asks about them, with their own words first.
        topic = question.replace(speaker or "", " ")
        topic_lexical = lexical_overlap(topic, [citation.text for citation in pool])
        score = vectors[1:] @ nlp.embed([topic])[0] + LEXICAL_WEIGHT * topic_lexical
        score += np.isin(np.arange(len(pool)), list(direct))
    elif kind is not AnswerType.GENERAL:
        about = (lexical >= MIN_TYPED_LEXICAL) | (similarity >= MIN_TYPED_SIMILARITY)
        shortlist = [int(row) for row in np.argsort(-score, kind="stable")[:TYPED_CANDIDATES] if about[row]]
        spans = _typed_spans(question, kind, [pool[row].text for row in shortlist], shortlist)
    order = [int(row) for row in np.argsort(-score, kind="stable")]
    if kind is not AnswerType.GENERAL:
        if not spans:
            return Evidence([], kind, None)
        order = sorted(order, key=lambda row: row not in spans)  # stable: typed answers first, by score
    chosen: list[int] = []
    for row in order:
        if len(chosen) == MAX_SENTENCES:
            break
        if not relevant[row] or (chosen and score[row] < score[chosen[0]] - KEEP_WITHIN):
            continue
        if chosen and float(np.max(vectors[1:][chosen] @ vectors[1 + row])) >= NEAR_DUPLICATE:
            continue
        chosen.append(row)
    return Evidence([pool[row] for row in chosen], kind, spans.get(chosen[0]) if chosen else None)


def _typed_spans(
    question: str, kind: AnswerType, texts: Sequence[str], rows: Sequence[int]
) -> dict[int, tuple[int, int]]:
    """For each sentence holding an answer of ``kind`` not already named in the question, that answer's span:
    of several, the one nearest the question's own words ("a new post in Nairobi", not "In Africa")."""
    labels = next((narrow for pattern, narrow in _NARROWER_LABELS if pattern.search(question)), ENTITY_LABELS[kind])
    asked = question.lower()
    terms = _content_lemmas(nlp.get_spacy()(question))
    spans: dict[int, tuple[int, int]] = {}
    for row, doc in zip(rows, nlp.get_spacy().pipe(texts, disable=["parser"]), strict=True):
        found = [entity for entity in doc.ents if entity.label_ in labels and entity.text.lower() not in asked]
        if found:
            anchors = [token.i for token in doc if token.lemma_.lower() in terms]
            best = min(found, key=lambda entity: _distance(entity, anchors))
            spans[row] = _with_unit(doc, best) if kind is AnswerType.QUANTITY else _char_span(best)
    return spans


def _distance(entity: "Span", anchors: Sequence[int]) -> int:
    outside = [i for i in anchors if not entity.start <= i < entity.end]
    return min((min(abs(i - entity.start), abs(i - entity.end + 1)) for i in outside), default=0)


def _char_span(span: "Span") -> tuple[int, int]:
    return span.start_char, span.end_char


def _with_unit(doc: "Doc", number: "Span") -> tuple[int, int]:
    """A number with its currency and what it counts: "five local investigations", "£6m" (spaCy leaves the
    currency sign out of a money entity)."""
    end = number.end
    while end < len(doc) and end - number.end < MAX_UNIT_WORDS and doc[end].pos_ in UNIT_POS:
        end += 1
    while end > number.end and doc[end - 1].pos_ != "NOUN":
        end -= 1  # a trailing adjective is not the unit
    start = number.start - 1 if number.start > 0 and doc[number.start - 1].is_currency else number.start
    return doc[start].idx, doc[end - 1].idx + len(doc[end - 1].text)


def _quote_spans(
    speaker: str, pool: Sequence[Citation], articles: Sequence[Article], analyses: Sequence[ArticleAnalysis] | None
) -> tuple[dict[int, tuple[int, int]], set[int]]:
    """The sentences quoting ``speaker`` (as the quotes stage attributes them), each with the quoted words,
    and those of them quoting directly."""
    quotes = _quotes_by_article(articles, analyses)
    wanted = _name_words(speaker)
    rows = {(citation.article_key, citation.sentence): row for row, citation in enumerate(pool)}
    spans: dict[int, tuple[int, int]] = {}
    direct: set[int] = set()
    for article in articles:
        for quote in quotes.get(article.key, []):
            if quote.speaker is None or not wanted & _name_words(quote.speaker):
                continue
            for index in range(quote.sentence, len(article.sentences)):
                span = _quoted_part(article.sentences[index], quote.text)
                if span is None:
                    break
                if (article.key, index) in rows:
                    spans.setdefault(rows[article.key, index], span)
                    if quote.kind == "direct":
                        direct.add(rows[article.key, index])
    return spans, direct


def _name_words(name: str) -> set[str]:
    """The capitalised words of a name, lower-cased: "Nigel Farage" and "Mr Farage" share "farage"."""
    return {word.lower().strip("'’s") for word in name.split() if word[:1].isupper()} - {"mr", "mrs", "ms", "sir"}


def _quoted_part(sentence: str, quote: str) -> tuple[int, int] | None:
    """Where ``sentence`` holds words of ``quote``: the sentence's quoted words, or None when it holds none."""
    words = quote.split()
    opening = " ".join(words[: min(4, len(words))])
    start = sentence.find(opening)
    if start < 0:
        inner = sentence.strip().strip(_QUOTE_MARKS).strip()
        if not inner or inner.rstrip(".?!") not in quote:
            return None
        start = sentence.find(inner)
        return start, start + len(inner.rstrip(_QUOTE_MARKS))
    end = sentence.find(words[-1], start)
    end = end + len(words[-1]) if end >= 0 else len(sentence.rstrip().rstrip(_QUOTE_MARKS))
    return start, end


def _quotes_by_article(
    articles: Sequence[Article], analyses: Sequence[ArticleAnalysis] | None
) -> dict[str, list[Quote]]:
    if analyses is not None:
        return {article.key: analysis.quotes for article, analysis in zip(articles, analyses, strict=True)}
    from storyline.enrich import entities, quotes

    return {article.key: quotes.extract_quotes(article, entities.extract_hashtags(article)) for article in articles}


def lexical_overlap(question: str, sentences: Sequence[str]) -> np.ndarray:
    """The IDF-weighted share of the question's content lemmas found in each sentence."""
    docs = list(nlp.get_spacy().pipe([question, *sentences], disable=["parser", "ner"]))
    lemmas = [_content_lemmas(doc) for doc in docs]
    asked, pool = lemmas[0] - QUESTION_WORDS, lemmas[1:]
    if not asked:
        return np.zeros(len(sentences))
    weight = {lemma: math.log((1 + len(pool)) / (1 + sum(lemma in s for s in pool))) + 1 for lemma in asked}
    total = sum(weight.values())
    return np.array([sum(weight[lemma] for lemma in asked & s) / total for s in pool])


def _content_lemmas(doc: "Doc") -> set[str]:
    return {t.lemma_.lower() for t in doc if t.pos_ in CONTENT_POS and not t.is_stop}
