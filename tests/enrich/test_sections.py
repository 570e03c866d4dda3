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

TESTDATA = Path(__file__).parent / "testdata"
CASES = json.loads((TESTDATA / "sections_articles.json").read_text(encoding="utf-8"))
# Leads written for these tests with no name an English model knows; five of them MiniLM alone misfiles
# (German football as UK, a Spanish TV series as Technology, ...).
OTHER_LANGUAGES = json.loads((TESTDATA / "sections_other_languages.json").read_text(encoding="utf-8"))


def _article(title: str, text: str, language: str = "en") -> Article:
    return Article(key="k", url="https://example.org/a", title=title, text=text, source="Example", language=language)


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


@pytest.mark.parametrize(
    ("expected", "language", "title", "text"), OTHER_LANGUAGES, ids=[f"{c[1]}-{c[0]}" for c in OTHER_LANGUAGES]
)
def test_classifies_an_article_in_another_language_through_the_bridge(expected, language, title, text):
    assert sections.classify(_article(title, text, language), None) == expected


def test_other_languages_are_not_read_by_the_english_embedding():
    sport = next(case for case in OTHER_LANGUAGES if case[:2] == ["Sport", "de"])
    health_vector = nlp.embed([nlp.lead_text(CASES[7][1], CASES[7][2])])[0]
    assert sections.classify(_article(sport[2], sport[3], "de-DE"), health_vector) == "Sport"


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


@pytest.fixture
def tiny_allsides(tmp_path) -> Path:
    """An English development file and its translated twin: one story a topic, two English articles each, the
    second translated into French in the twin."""
    folder = tmp_path / "allsides"
    folder.mkdir()
    english, translated = [], []
    for number, (label, sentence) in enumerate(TOPICS.items()):
        for copy in (1, 2):
            row = {"id": f"{label}-{copy}", "story": f"s{number}", "title": f"{label} news {copy}", "text": sentence}
            english.append({**row, "language": "en"})
            translated.append({**row, "language": "en"} if copy == 1 else {**row, **FRENCH[label], "language": "fr"})
    for name, rows in (
        (section_training.ALLSIDES_ENGLISH, english),
        (section_training.ALLSIDES_TRANSLATED, translated),
    ):
        (folder / name).write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return folder


FRENCH = {
    "business": {
        "title": "Les actions de la banque montent",
        "text": "Les bénéfices trimestriels dépassent les prévisions",
    },
    "entertainment": {"title": "L'acteur primé au festival", "text": "Le film a reçu un prix, a dit le réalisateur"},
    "politics": {"title": "Le ministre devant les députés", "text": "Le projet de loi du gouvernement sera voté"},
    "sport": {"title": "L'attaquant marque deux fois", "text": "Le club a gagné la finale de la coupe"},
    "tech": {
        "title": "Un service internet plus rapide",
        "text": "L'entreprise de logiciels lance le haut débit mobile",
    },
}


@pytest.fixture
def restore_bridge():
    yield
    sections.load_bridge.cache_clear()


def test_train_with_allsides_writes_a_bridge_and_checks_it_on_the_translations(
    tiny_layout, tiny_allsides, tmp_path, monkeypatch, restore_model, restore_bridge
):
    bridge_path = tmp_path / "bridge.npz"
    result = section_training.train(
        tiny_layout, tmp_path / "sections.npz", allsides_dir=tiny_allsides, bridge_output=bridge_path
    )
    bridge = result["bridge"]
    assert bridge["translations"] == 5 and bridge["english_articles"] == 25 + len(sections.example_rows()[0]) + 10
    assert set(bridge["agreement_with_original"]) == {"all", "fr"}
    assert 0.0 <= bridge["agreement_with_original"]["fr"] <= 1.0
    monkeypatch.setattr(sections, "BRIDGE_PATH", bridge_path)
    sections.load_bridge.cache_clear()
    mapped = sections.load_bridge().to_minilm(nlp.embed_multilingual(["L'attaquant marque deux fois"]))
    assert mapped.shape == (1, nlp.EMBEDDING_DIM) and mapped.dtype == np.float32


def test_a_foreign_lead_is_embedded_once_for_its_section_and_the_bridge(monkeypatch):
    """The section of an article not in English and the cross-language bridge of its story both read its lead
    through multilingual-e5 (about 55 ms a text): the second finds it in ``nlp.recent_leads``."""
    from storyline.stories.bridge import Bridge

    encoded: list[str] = []

    def fake_e5(texts):
        encoded.extend(texts)
        vectors = np.random.default_rng(len(encoded)).normal(size=(len(texts), nlp.EMBEDDING_DIM))
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)

    monkeypatch.setattr(nlp, "embed_multilingual", fake_e5)
    monkeypatch.setattr(nlp.recent_leads, "vectors", nlp.OrderedDict())
    text = "Le conseil municipal de Lyon a voté lundi la rénovation du pont Lafayette."
    article = Article(
        "k1", "https://journal.example/pont", "Lyon rénove le pont Lafayette", text, "Le Journal", language="fr"
    )
    sections.classify(article, None)
    Bridge().vectors({"k1": nlp.lead_text(article.title, article.text)})
    assert encoded == [nlp.lead_text(article.title, article.text)]
