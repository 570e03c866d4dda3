"""Questions about a story, answered from its articles' own sentences.

Retrieval mixes meaning (MiniLM cosine between question and sentence) with wording (the share of the question's
IDF-weighted content lemmas a sentence contains). The offline answer is the best few sentences themselves, each
cited; with an LLM endpoint configured, ``llm.synthesize`` rewrites them and keeps only what they support.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from storyline import nlp
from storyline.config import Settings
from storyline.domain import Article, Citation
from storyline.enrich import llm
from storyline.errors import StorylineError
from storyline.logs import get_logger

log = get_logger("ask")

NO_ANSWER = "None of these articles answers that question."
MIN_WORDS = 4
MAX_SENTENCES = 3
LEXICAL_WEIGHT = 0.5
NUMBER_BONUS = 0.1  # a "how many" question is answered by a sentence with a number in it
MIN_SIMILARITY = 0.3  # below this and without shared words, a sentence is not about the question
MIN_LEXICAL = 0.25
KEEP_WITHIN = 0.15  # further sentences must score this close to the best one
NEAR_DUPLICATE = 0.85
CONTENT_POS = {"NOUN", "PROPN", "VERB", "ADJ", "NUM", "ADV"}
_QUANTITY_QUESTION = re.compile(r"\bhow (many|much|long|old|often)\b|\bwhat (number|percentage|share)\b", re.I)
_DIGIT = re.compile(r"\d")


@dataclass(slots=True)
class Answer:
    text: str
    citations: list[Citation]
    synthesized: bool


def answer(question: str, articles: list[Article], settings: Settings | None = None) -> Answer:
    evidence = retrieve(question, articles)
    if not evidence:
        return Answer(NO_ANSWER, [], False)
    if settings is not None and settings.llm_url:
        try:
            synthesis = llm.synthesize(question, evidence, settings)
        except StorylineError as exc:
            log.warning("llm failed, answering extractively", error=str(exc))
        else:
            if synthesis is not None:
                return Answer(synthesis.text, synthesis.citations, True)
            log.warning("llm answer unsupported by the sources, answering extractively")
    return Answer(" ".join(citation.text for citation in evidence), evidence, False)


def retrieve(question: str, articles: Sequence[Article]) -> list[Citation]:
    """The sentences that best answer ``question``, best first; empty when nothing is about it."""
    pool = [
        Citation(article.key, index, sentence, article.source)
        for article in articles
        for index, sentence in enumerate(article.sentences)
        if len(sentence.split()) >= MIN_WORDS
    ]
    if not pool or not question.strip():
        return []
    vectors = nlp.embed([question, *(citation.text for citation in pool)])
    similarity = vectors[1:] @ vectors[0]
    lexical = lexical_overlap(question, [citation.text for citation in pool])
    score = similarity + LEXICAL_WEIGHT * lexical
    if _QUANTITY_QUESTION.search(question):
        score += NUMBER_BONUS * np.array([bool(_DIGIT.search(citation.text)) for citation in pool])
    relevant = (similarity >= MIN_SIMILARITY) | (lexical >= MIN_LEXICAL)
    chosen: list[int] = []
    for row in np.argsort(-score, kind="stable"):
        if not relevant[row] or len(chosen) == MAX_SENTENCES:
            break
        if chosen and score[row] < score[chosen[0]] - KEEP_WITHIN:
            break
        if chosen and float(np.max(vectors[1:][chosen] @ vectors[1 + row])) >= NEAR_DUPLICATE:
            continue
        chosen.append(int(row))
    return [pool[row] for row in chosen]


def lexical_overlap(question: str, sentences: Sequence[str]) -> np.ndarray:
    """The IDF-weighted share of the question's content lemmas found in each sentence."""
    docs = list(nlp.get_spacy().pipe([question, *sentences], disable=["parser", "ner"]))
    lemmas = [{t.lemma_.lower() for t in doc if t.pos_ in CONTENT_POS and not t.is_stop} for doc in docs]
    asked, pool = lemmas[0], lemmas[1:]
    if not asked:
        return np.zeros(len(sentences))
    weight = {lemma: math.log((1 + len(pool)) / (1 + sum(lemma in s for s in pool))) + 1 for lemma in asked}
    total = sum(weight.values())
    return np.array([sum(weight[lemma] for lemma in asked & s) / total for s in pool])
