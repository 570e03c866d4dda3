"""Question answering over the seed story: cited extractive answers, and an honest "no answer"."""

from __future__ import annotations

import pytest

from storyline import nlp
from storyline.domain import Article
from storyline.enrich import ask


def _article(key: str, title: str, text: str, source: str) -> Article:
    return Article(key, f"https://example.org/{key}", title, text, source, sentences=nlp.split_sentences(text))


@pytest.fixture(scope="module")
def seed_articles(seed_records) -> list[Article]:
    return [_article(r["id"], r["title"], r["text"], r["source"]) for r in seed_records]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many cases will be reopened?", "800"),
        ("Who will lead the nationwide policing operation?", "National Crime Agency"),
        ("What did Kemi Badenoch say?", "failure of leadership"),
    ],
)
def test_answers_cite_supporting_sentences(seed_articles, question, expected):
    answer = ask.answer(question, seed_articles)
    assert not answer.synthesized
    assert 1 <= len(answer.citations) <= ask.MAX_SENTENCES
    assert expected in answer.citations[0].text
    by_key = {article.key: article for article in seed_articles}
    for citation in answer.citations:
        assert by_key[citation.article_key].sentences[citation.sentence] == citation.text
        assert citation.text in answer.text


@pytest.mark.parametrize("question", ["What is the capital of Peru?", "recipe for banana bread", "   "])
def test_says_so_when_nothing_matches(seed_articles, question):
    answer = ask.answer(question, seed_articles)
    assert answer.text == ask.NO_ANSWER
    assert answer.citations == []


def test_no_articles_no_answer():
    assert ask.answer("How many cases will be reopened?", []).citations == []
