"""Hashtags across languages: each language's own entity pipeline, names written as the English coverage
writes them, only the alias table's names where no pipeline knows the language (German), and each hashtag shown
in the reader's language."""

from __future__ import annotations

import pytest

from storyline.domain import Article
from storyline.enrich import aliases
from storyline.enrich.entities import extract_hashtags, known_name_hashtags, spelled_slugs
from storyline.nlp import split_sentences

# Written for these tests in the manner of wire copy in each language.
FRENCH = (
    "L'OTAN se réunit à Bruxelles après l'annonce de la Maison Blanche",
    "L'OTAN et la Maison Blanche ont annoncé mardi que Gavin Newsom, gouverneur de Californie, rencontrera "
    "Emmanuel Macron en Allemagne. « C'est une victoire », a déclaré M. Macron devant la presse. "
    "Marine Le Pen a critiqué l'accord.",
)
SPANISH = (
    "La Casa Blanca pide al Tribunal Supremo de Estados Unidos que revise el caso",
    "El Gobierno de Joe Biden pidió el martes al Tribunal Supremo que revise la decisión. La OTAN y el "
    "Departamento de Estado en Washington dijeron que Kevin McCarthy se reunirá con Pedro Sánchez "
    "en Londres. Estados Unidos no ha respondido.",
)
SPANISH_QUOTED = (
    "Casey acusa a las instituciones británicas",
    "Según Louise Casey, «las instituciones miraron hacia otro lado durante años». El Gobierno británico aceptó "
    "el informe.",
)
GERMAN = (
    "Der Fall Meinungsfreiheit beschäftigt den Obersten Gerichtshof",
    "Der Fall ist kompliziert, sagte Liz Cheney am Montagmorgen. Die Anti-Trump-Republikanerin hat die "
    "Erfolgsstrategie ihrer Fraktionskollegen kritisiert.",
)

GERMAN_NAMES = (
    "Joe Biden empfängt Olaf Scholz im Weißen Haus",
    "Die USA und Deutschland beraten mit der NATO. Die Regierung Deutschlands und die Europäische Union verlangen "
    "Hilfe für Kiew. Maurice Müller sprach mit den Vereinten Nationen.",
)


def hashtags(title: str, text: str, language: str) -> dict[str, str]:
    article = Article(key="k", url="https://example.invalid/k", title=title, text=text, source="Test",
                      language=language, sentences=split_sentences(text))  # fmt: skip
    return {tag.slug: tag.kind for tag in extract_hashtags(article)}


@pytest.mark.parametrize(
    ("article", "language", "expected", "absent"),
    [
        # French names found by the French pipeline, written in English where English writes them otherwise
        (FRENCH, "fr", {"nato": "org", "white-house": "place", "brussels": "place", "germany": "place",
                        "california": "place", "gavin-newsom": "person", "emmanuel-macron": "person",
                        "marine-le-pen": "person"},
         {"otan", "l-otan", "maison-blanche", "allemagne", "m-macron", "de-californie", "pen"}),
        (SPANISH, "es", {"white-house": "place", "united-states": "place", "kevin-mccarthy": "person",
                         "london": "place", "nato": "org"},
         {"casa-blanca", "estados-unidos", "la-otan", "londres", "gobierno-de"}),
        # the preposition that attributes a quotation is no part of the name after it
        (SPANISH_QUOTED, "es", {"louise-casey": "person"}, {"segun-louise-casey"}),
        # no German pipeline: the alias table's names only, rather than German nouns taken for names
        (GERMAN, "de", {"supreme-court": "org"}, {"der-fall", "meinungsfreiheit", "erfolgsstrategie"}),
        (GERMAN_NAMES, "de", {"white-house": "place", "united-states": "place", "germany": "place", "nato": "org",
                              "european-union": "org", "kyiv": "place", "united-nations": "org"},
         {"joe-biden", "olaf-scholz", "die-usa", "regierung", "hilfe", "maurice-muller", "mauritius", "weissen-haus"}),
    ],
)  # fmt: skip
def test_each_language_names_its_entities_as_the_english_coverage_does(article, language, expected, absent):
    found = hashtags(*article, language)
    assert {slug: found.get(slug) for slug in expected} == expected
    assert not absent & set(found)
    if language != "en":
        assert all(kind != "topic" for kind in found.values())  # topics read English noun phrases


# What other coverage found and the store holds: slug -> (name, kind).
STORED = {
    "joe-biden": ("Joe Biden", "person"),
    "olaf-scholz": ("Olaf Scholz", "person"),
    "biden": ("Biden", "person"),
    "muller": ("Müller", "person"),
    "kiew": ("Kiew", "place"),  # stored as a French or Spanish pipeline might name a place no alias knows
}


@pytest.mark.parametrize(
    ("article", "stored", "expected", "absent"),
    [
        # the longest stored name a run holds, not also the surname inside it
        (GERMAN_NAMES, STORED, {"joe-biden": ("Joe Biden", "person"), "olaf-scholz": ("Olaf Scholz", "person"),
                                "white-house": ("White House", "place")}, {"biden", "scholz"}),
        # a genitive "s" read off, as for the alias table's names
        (("Bidens Reise nach Berlin", "Die Reise wurde verschoben."), STORED,
         {"biden": ("Biden", "person"), "germany": None, "berlin": None}, {"bidens"}),
        # the alias table's English name wins over a stored spelling of the same place
        (GERMAN_NAMES, STORED, {"kyiv": ("Kyiv", "place")}, {"kiew"}),
        # nothing stored: the alias table's names alone, as enrichment finds them
        (GERMAN_NAMES, {}, {"united-nations": ("United Nations", "org")}, {"joe-biden", "olaf-scholz"}),
    ],
)  # fmt: skip
def test_german_articles_carry_the_stored_names_they_spell_out(article, stored, expected, absent):
    title, text = article
    german = Article(key="k", url="https://example.invalid/k", title=title, text=text, source="Test",
                     language="de", sentences=split_sentences(text))  # fmt: skip
    found = {tag.slug: (tag.name, tag.kind) for tag in known_name_hashtags(german, stored)}
    assert {slug: found.get(slug) for slug in expected} == expected
    assert not absent & set(found)
    # every stored name the article writes is among the slugs the store is asked for
    assert {slug for slug in found if slug in stored} <= spelled_slugs(german)


@pytest.mark.parametrize(
    ("name", "language", "shown"),
    [
        ("Germany", "fr", "Allemagne"),  # CLDR's country names
        ("United States", "es", "Estados Unidos"),
        ("United Kingdom", "de", "Vereinigtes Königreich"),
        ("NATO", "fr", "OTAN"),  # the table's
        ("White House", "de", "Weißes Haus"),
        ("NATO", "de", "NATO"),  # German writes it as English does
        ("Louise Casey", "fr", "Louise Casey"),  # people keep their names
        ("Germany", "en", "Germany"),
    ],
)
def test_a_hashtag_is_named_in_the_readers_language_where_known(name, language, shown):
    assert aliases.localized(name, language) == shown


@pytest.mark.parametrize(
    ("written", "canonical"),
    [("Allemagne", "Germany"), ("estados unidos", "United States"), ("OTAN", "NATO"), ("Weißen Haus", "White House"),
     ("Germany", None), ("Casey", None)],
)  # fmt: skip
def test_names_in_other_languages_have_one_canonical_name(written, canonical):
    assert aliases.canonical(written) == canonical
