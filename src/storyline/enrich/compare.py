"""What each outlet alone reports in a story.

A sentence is exclusive when no other outlet says anything close to it (MiniLM cosine similarity against every
sentence of every other outlet) and it carries facts (names, numbers) or content words the other outlets never
use; a mere paraphrase of another outlet's sentence is close in embedding space and so never counts. Among the
exclusive sentences, those nearest the outlet's own headline (its angle on the story) rank first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from storyline import nlp
from storyline.domain import Article, Citation

MIN_WORDS = 8
MAX_SIMILARITY = 0.72  # above this, another outlet says much the same thing
FACT_BONUS = 0.08  # per fact (name or number) no other outlet mentions
WORD_BONUS = 0.03  # per content word no other outlet uses
MAX_COUNTED = 3
MIN_NEW_WORDS = 2
HEADLINE_WEIGHT = 0.5  # an outlet headlines its own angle: exclusives close to its headline come first
CONTENT_POS = {"NOUN", "PROPN", "VERB", "ADJ"}
PER_OUTLET = 3
FACT_LABELS = {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "LAW", "WORK_OF_ART", "PRODUCT"}
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_WORD = re.compile(r"[a-z0-9]+")


def exclusives(articles: list[Article]) -> dict[str, list[Citation]]:
    """For each outlet, its best few sentences that no other outlet in the story reports, in article order."""
    result: dict[str, list[Citation]] = {}
    for outlet, entries in exclusive_scores(articles).items():
        best = sorted(entries, key=lambda entry: -entry[0])[:PER_OUTLET]
        best.sort(key=lambda entry: (entry[1].key, entry[2]))
        result[outlet] = [_citation(article, index) for _, article, index in best]
    return result


def exclusive_scores(articles: Sequence[Article]) -> dict[str, list[tuple[float, Article, int]]]:
    """Every sentence that passes as exclusive, with its score (novelty plus facts found nowhere else)."""
    outlets = {article.source for article in articles}
    if len(outlets) < 2:
        return {}
    sentences = [(article, index) for article in articles for index in range(len(article.sentences))]
    parsed = _parse_all([article.sentences[i] for article, i in sentences])
    said_by = {outlet: _outlet_vocabulary(articles, sentences, parsed, outlet) for outlet in outlets}
    rows = [row for row, (article, i) in enumerate(sentences) if len(article.sentences[i].split()) >= MIN_WORDS]
    if not rows:
        return {}
    vectors = nlp.embed_sentences([sentences[row][0].sentences[sentences[row][1]] for row in rows])
    similarity = vectors @ vectors.T
    headlines = dict(zip((a.key for a in articles), nlp.embed([a.title for a in articles]), strict=True))
    outlet_of = np.array([sentences[row][0].source for row in rows])
    scored: dict[str, list[tuple[float, Article, int]]] = {}
    for position, row in enumerate(rows):
        article, index = sentences[row]
        closest = float(similarity[position, outlet_of != article.source].max(initial=0.0))
        if closest > MAX_SIMILARITY:
            continue
        facts, words = parsed[row]
        elsewhere = [said_by[o] for o in outlets if o != article.source]
        new_facts = [f for f in facts if not any(_mentions(text, f) for text, _ in elsewhere)]
        new_words = [w for w in words if not any(w in vocabulary for _, vocabulary in elsewhere)]
        if not new_facts and len(new_words) < MIN_NEW_WORDS:
            continue
        score = (
            (1.0 - closest)
            + HEADLINE_WEIGHT * float(vectors[position] @ headlines[article.key])
            + FACT_BONUS * min(len(new_facts), MAX_COUNTED)
            + WORD_BONUS * min(len(new_words), MAX_COUNTED)
        )
        scored.setdefault(article.source, []).append((score, article, index))
    return scored


def _parse_all(texts: Sequence[str]) -> list[tuple[set[str], set[str]]]:
    """``_parse`` of each text; a sentence several outlets carry word for word (wire copy) is parsed once."""
    unique = list(dict.fromkeys(texts))
    parsed = dict(zip(unique, map(_parse, nlp.get_spacy().pipe(unique, disable=["parser"])), strict=True))
    return [parsed[text] for text in texts]


def _parse(doc) -> tuple[set[str], set[str]]:
    """A sentence's facts (names and numbers, normalised) and its content-word lemmas."""
    facts = {_normalise(ent.text).removeprefix("the ") for ent in doc.ents if ent.label_ in FACT_LABELS}
    facts |= {_normalise(number) for number in _NUMBER.findall(doc.text)}
    words = {t.lemma_.lower() for t in doc if t.pos_ in CONTENT_POS and not t.is_stop and t.is_alpha}
    return {fact for fact in facts if fact}, words


def _outlet_vocabulary(
    articles: Sequence[Article],
    sentences: Sequence[tuple[Article, int]],
    parsed: Sequence[tuple[set[str], set[str]]],
    outlet: str,
) -> tuple[str, set[str]]:
    """Everything an outlet wrote, as normalised text (for fact look-ups) and as a set of lemmas."""
    text = _normalise(" ".join(f"{a.title} {a.text}" for a in articles if a.source == outlet))
    lemmas: set[str] = set()
    for (article, _), (_, words) in zip(sentences, parsed, strict=True):
        if article.source == outlet:
            lemmas |= words
    return text, lemmas


def _normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.lower().replace(",", "")))


def _mentions(normalised_text: str, fact: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(fact)}(?![a-z0-9])", normalised_text) is not None


def _citation(article: Article, index: int) -> Citation:
    return Citation(article.key, index, article.sentences[index], article.source)
