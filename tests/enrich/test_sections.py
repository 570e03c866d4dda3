"""Section classification: the shipped weights put short articles of every section where a reader would."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from storyline import nlp
from storyline.domain import Article
from storyline.enrich import sections
from storyline.training import sections as section_training

CASES = json.loads((Path(__file__).parent / "testdata" / "sections_articles.json").read_text(encoding="utf-8"))


def _article(title: str, text: str) -> Article:
    return Article(key="k", url="https://example.org/a", title=title, text=text, source="Example")


def test_taxonomy_is_the_fixed_ten():
    assert set(sections.SECTIONS) == {
        "World",
        "UK",
        "US",
        "Politics",
        "Business",
        "Technology",
        "Science",
        "Health",
        "Sport",
        "Entertainment",
    }
    assert set(sections.load_model().labels) == set(sections.SECTIONS)


@pytest.mark.parametrize(("expected", "title", "text"), CASES, ids=[case[0] for case in CASES])
def test_classifies_a_short_article(expected, title, text):
    assert sections.classify(_article(title, text), None) == expected


def test_uses_the_given_embedding():
    sport, health = CASES[8], CASES[7]
    article = _article(sport[1], sport[2])
    health_vector = nlp.embed([nlp.lead_text(health[1], health[2])])[0]
    assert sections.classify(article, health_vector) == "Health"
    assert sections.classify(article, np.asarray(health_vector, dtype=np.float64)) == "Health"


TOPICS = {
    "business": "Shares in the bank rose after quarterly profits beat forecasts, analysts said",
    "entertainment": "The actor won an award for the film at the festival, the director said",
    "politics": "The minister told MPs the government bill would pass the Commons vote",
    "sport": "The striker scored twice as the club won the cup final, the manager said",
    "tech": "The software firm launched a faster broadband service for mobile phone users",
}


@pytest.fixture
def tiny_layout(tmp_path) -> Path:
    for label, sentence in TOPICS.items():
        for number in range(1, 6):
            path = tmp_path / "articles" / label / f"{number:03d}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{sentence.split(',')[0]} {number}\n\n{sentence}. {sentence} again.\n", encoding="utf-8")
    return tmp_path


@pytest.fixture
def restore_model():
    yield
    sections.load_model.cache_clear()


def test_train_writes_weights_that_classify(tiny_layout, tmp_path, monkeypatch, restore_model):
    output = tmp_path / "sections.npz"
    result = section_training.train(tiny_layout, output)
    assert result["bbc_articles"] == 25 and 0.0 <= result["cv_accuracy"] <= 1.0
    monkeypatch.setattr(sections, "WEIGHTS_PATH", output)
    sections.load_model.cache_clear()
    assert set(sections.load_model().labels) == set(sections.SECTIONS)
    assert sections.classify(_article("Striker scores twice in cup final", TOPICS["sport"]), None) == "Sport"
