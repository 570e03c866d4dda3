"""Outlet exclusives on the seed story: what only one outlet reports, never a paraphrase of another."""

from __future__ import annotations

import pytest

from storyline import nlp
from storyline.domain import Article
from storyline.enrich import compare


def _article(key: str, title: str, text: str, source: str) -> Article:
    return Article(key, f"https://example.org/{key}", title, text, source, sentences=nlp.split_sentences(text))


@pytest.fixture(scope="module")
def seed_articles(seed_records) -> list[Article]:
    return [_article(r["id"], r["title"], r["text"], r["source"]) for r in seed_records]


@pytest.fixture(scope="module")
def exclusives(seed_articles):
    return compare.exclusives(seed_articles)


@pytest.mark.parametrize(("outlet", "marker"), [("Telegraph", "asylum"), ("Sky News", "tippexed")])
def test_seed_outlet_angles_are_exclusive(exclusives, outlet, marker):
    assert any(marker in citation.text.lower() for citation in exclusives[outlet])


def test_exclusives_cite_their_own_outlet(exclusives, seed_articles):
    by_key = {article.key: article for article in seed_articles}
    for outlet, citations in exclusives.items():
        assert 1 <= len(citations) <= compare.PER_OUTLET
        for citation in citations:
            article = by_key[citation.article_key]
            assert article.source == outlet == citation.source
            assert article.sentences[citation.sentence] == citation.text


def test_a_shared_sentence_is_no_exclusive(seed_articles):
    shared = "Police have reopened more than 800 cases of child sexual abuse since January, the Home Office said."
    one = _article("a", "Grooming inquiry", f"{shared}\nA local charity in Leeds said 35 volunteers would help.", "A")
    two = _article("b", "Grooming inquiry", f"{shared}\nThe inquiry will report to Parliament by 2028.", "B")
    found = compare.exclusives([one, two])
    texts = {outlet: [c.text for c in citations] for outlet, citations in found.items()}
    assert shared not in texts.get("A", []) + texts.get("B", [])
    assert any("Leeds" in text for text in texts["A"])


def test_one_outlet_has_nothing_to_compare(seed_articles):
    assert compare.exclusives(seed_articles[:1]) == {}
    assert compare.exclusives([]) == {}


def test_an_outlet_of_only_short_sentences_leaves_the_other_all_new():
    text = "The council closed the Severn bridge in Gloucester for 12 weeks of repairs."
    long_one = _article("a", "Bridge closes", text, "A")
    short_one = _article("b", "Bridge", "Bridge shut.", "B")
    found = compare.exclusives([long_one, short_one])
    assert [citation.sentence for citation in found["A"]] == [0]
    assert "B" not in found
