"""Key figures across languages: numbers read as the article's language writes them, figures found in French
and Spanish articles by their pipelines and in German ones from their words (no German pipeline is on PyPI),
and a figure agreeing with its translation."""

from __future__ import annotations

import pytest

from storyline.domain import Article, Figure
from storyline.enrich.figures import Relation, compare_figures, extract_figures, parse_number, relation, shared_nouns
from storyline.nlp import split_sentences

NBSP, NARROW_NBSP = "\u00a0", "\u202f"

NUMBER_CASES = [
    ("1 000", "fr", 1_000, None), (f"1{NBSP}000", "fr", 1_000, None), (f"1{NARROW_NBSP}000", "fr", 1_000, None),
    ("1.000", "de", 1_000, None), ("1.000", "es", 1_000, None), ("1,000", "en", 1_000, None),
    ("1,000", "fr", 1, None),  # a decimal comma in French
    ("1.5", "en", 1.5, None), ("3,5 %", "fr", 3.5, "%"), ("6,5 por ciento", "es", 6.5, "%"),
    ("12 Prozent", "de", 12, "%"), ("2,5 millions", "fr", 2.5e6, None), ("1,2 Milliarden", "de", 1.2e9, None),
    ("3,4 Mio.", "de", 3.4e6, None), ("mil millones", "es", 1e9, None), ("1.900 mil millones", "es", 1.9e12, None),
    ("1 900 milliards de dollars", "fr", 1.9e12, "USD"), ("plus de 2,5 milliards d'euros", "fr", 2.5e9, "EUR"),
    ("1,9 billones de dólares", "es", 1.9e12, "USD"),  # a Spanish billón is a million millions
    ("10.000,50 €", "de", 10_000.5, "EUR"), ("aucun chiffre", "fr", None, None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "language", "value", "unit"), NUMBER_CASES)
def test_parse_number_reads_the_language_format(text, language, value, unit):
    parsed = parse_number(text, language)
    if value is None:
        assert parsed is None
    else:
        assert parsed == (pytest.approx(value), unit)


def article(text: str, language: str, key: str = "k") -> Article:
    return Article(key=key, url=f"https://example.invalid/{key}", title="Titre", text=text, source=key.upper(),
                   language=language, sentences=split_sentences(text))  # fmt: skip


# Written for these tests in the manner of wire copy in each language.
FIGURE_CASES = [
    ("fr", "Plus de 1 000 cas ont été signalés lundi.", 1_000, None, "cas", "above", "count"),
    ("fr", "Au total, 2,5 millions de personnes sont vaccinées.", 2.5e6, None, "personne", "exact", "count"),
    ("fr", "Selon les autorités, 3,5 % de la population est vaccinée.", 3.5, "%", "population", "exact", "count"),
    ("fr", "Le plan coûtera 1 900 milliards de dollars.", 1.9e12, "USD", "plan", "exact", "future"),
    ("fr", f"Environ 1{NARROW_NBSP}000 soldats seront déployés.", 1_000, None, "soldat", "about", "future"),
    ("es", "Más de 1.000 casos fueron registrados el lunes.", 1_000, None, "caso", "above", "count"),
    ("es", "El plan costará 1,9 billones de dólares.", 1.9e12, "USD", "plan", "exact", "future"),
    # German, read from its words: the counted noun is the first capitalised word after the number
    ("de", "Mehr als 1.000 Fälle wurden am Montag gemeldet.", 1_000, None, "fälle", "above", "count"),
    ("de", "Rund 2,5 Millionen Menschen sind geimpft.", 2.5e6, None, "menschen", "about", "count"),
    ("de", "Laut Behörden sind 3,5 Prozent der Bevölkerung geimpft.", 3.5, "%", "bevölkerung", "exact", "count"),
    ("de", "Der Plan wird 1,9 Billionen Dollar kosten.", 1.9e12, "USD", "plan", "exact", "future"),
    ("de", "Die Firma zahlte 3,4 Mio. Euro.", 3.4e6, "EUR", "firma", "exact", "count"),
    ("de", "Bis zu 700 Soldaten sollen entsandt werden.", 700, None, "soldaten", "below", "future"),
    ("de", "Die 45-jährige Frau wurde von 3 Polizisten festgenommen.", 3, None, "polizisten", "exact", "count"),
]  # fmt: skip


@pytest.mark.parametrize(("language", "text", "value", "unit", "noun", "bound", "kind"), FIGURE_CASES)
def test_french_spanish_and_german_figures(language, text, value, unit, noun, bound, kind):
    figures = extract_figures(article(text, language))
    assert [(f.value, f.unit, f.noun, f.bound, f.kind, f.language) for f in figures] == [
        (pytest.approx(value), unit, noun, bound, kind, language)
    ]
    assert figures[0].text in text


def test_a_german_figure_names_what_it_counts_as_german_writes_it():
    (figure,) = extract_figures(article("Mehr als 1.000 Fälle wurden am Montag gemeldet.", "de"))
    assert (figure.counts, figure.noun) == ("Fälle", "fälle")  # shown capitalised, compared in lower case


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("fr", "L'enquête a commencé en 2015 et s'est terminée le 3 mars 2022."),
        ("es", "La reunión empezó el 14 de mayo de 2021."),
        ("de", "Die Sitzung begann am 3. März 2021 um 15 Uhr."),  # a date and a time
        ("de", "Der 2. Platz ging an die 45-jährige Läuferin aus Köln."),  # an ordinal, an age
        ("de", "Die Firma zahlte 3,4 Mio. an ihre Aktionäre."),  # an amount that names nothing it counts
    ],
)
def test_no_figures(language, text):
    assert extract_figures(article(text, language)) == []


def test_a_french_figure_agrees_with_its_english_translation_once_their_nouns_are_paired():
    french = extract_figures(article("Plus de 1 000 cas ont été signalés lundi.", "fr", "fr"))
    english = extract_figures(article("More than 1,000 cases were reported on Monday.", "en", "en"))
    deaths = extract_figures(article("Officials reported 700 deaths.", "en", "deaths"))
    assert relation(french[0], english[0]) is Relation.DIFFERENT  # "cas" and "case" unread
    paired = shared_nouns([*french, *english, *deaths])
    assert [f.noun for f in paired] == ["case", "case", "death"]
    assert relation(paired[0], paired[1]) is Relation.AGREE
    assert relation(paired[0], paired[2]) is Relation.DIFFERENT


@pytest.mark.parametrize(
    ("sentences", "expected"),
    [
        ({"fr": "Plus de 1 000 cas ont été signalés lundi.", "es": "Se registraron 800 casos el lunes.",
          "en": "Officials reported 900 cases and 700 deaths."}, [("disagree", [800, 900, 1000])]),
        ({"fr": "Plus de 1 000 cas ont été signalés lundi.", "es": "Se registraron 1.200 casos el lunes."},
         [("agree", [1000, 1200])]),  # no English: French and Spanish nouns meet each other
    ],
)  # fmt: skip
def test_compare_figures_across_languages(sentences, expected):
    per_article = {key: extract_figures(article(text, key, key)) for key, text in sentences.items()}
    sources = {key: key.upper() for key in sentences}
    groups = compare_figures(per_article, sources, {key: [text] for key, text in sentences.items()})
    assert [(g["relation"], sorted(v["value"] for v in g["values"])) for g in groups] == expected


def test_a_german_figure_agrees_with_its_english_translation_once_their_nouns_are_paired():
    german = extract_figures(article("Mehr als 1.000 Menschen wurden am Montag evakuiert.", "de", "de"))
    english = extract_figures(article("About 1,200 people were evacuated on Monday.", "en", "en"))
    paired = shared_nouns([*german, *english])
    assert [f.noun for f in paired] == ["people", "people"]
    assert relation(paired[0], paired[1]) is Relation.AGREE


def test_figures_of_one_language_keep_their_nouns():
    figures = [Figure(5, "5", "cas", 0, noun="cas", language="fr"), Figure(6, "6", "cas", 0, noun="cas", language="fr")]
    assert shared_nouns(figures) == figures
