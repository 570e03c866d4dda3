"""What placement reads of an article across languages: the names other coverage found that a German article
spells out, and the names and numbers a translated article shares with a story in another language."""

from __future__ import annotations

import pytest

from storyline.stories.lexical import known_names, names_and_numbers, terms

KNOWN = {"joe-biden": 3, "white-house": 2, "congress": 1, "germany": 1, "nato": 2, "der-fall": 0}


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        # written for these tests in the manner of German wire copy
        ("Biden empfängt Scholz im Weißen Haus", "Joe Biden sprach am Montag vor dem Kongress.",
         {"joe-biden", "white-house", "congress"}),  # "Weißen Haus" and "Kongress" through the alias table
        ("Der Fall beschäftigt Deutschland", "Die NATO-Staaten und die Nato beraten.", {"germany", "nato"}),
        ("Der Fall ist kompliziert", "Meinungsfreiheit und Erfolgsstrategie.", set()),  # nothing known
    ],
)  # fmt: skip
def test_known_names_are_the_names_other_coverage_found(title, text, expected):
    assert known_names(title, text, KNOWN) == expected


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("L'OTAN réunit ses ministres à Bruxelles", "Joe Biden a promis 2021 soldats de plus.",
         {"l'otan", "bruxelles", "joe", "biden", "2021"}),
        ("Biden signs the bill", "The Senate passed it 50 to 49 on Tuesday.",
         {"biden", "senate", "tuesday", "50", "49"}),
    ],
)  # fmt: skip
def test_names_and_numbers(title, text, expected):
    assert names_and_numbers(title, text) == expected


@pytest.mark.parametrize(
    ("title", "text", "language", "expected"),
    [
        # a language's own stop words are no rare words its articles share ("Der", "des", "und", "die")
        ("Der Bericht des Innenministers", "Die Regierung und die Polizei.", "de",
         {"bericht", "innenministers", "regierung", "polizei"}),
        ("Les députés votent la loi", "Le Sénat et les députés ont voté que la loi passe.", "fr",
         {"députés", "votent", "loi", "sénat", "voté", "passe"}),
        ("Los diputados aprueban la ley", "El Senado y los diputados votaron que la ley pase.", "es",
         {"diputados", "aprueban", "ley", "senado", "votaron", "pase"}),
        # English keeps its words that are stop words elsewhere
        ("Thousands could die in the heat", "Her son said the ministers des not care.", "en",
         {"thousands", "die", "heat", "son", "said", "ministers", "des", "care"}),
        # a language spaCy has no stop words for is read with English's
        ("The Senate and the ministers", "", "zz", {"senate", "ministers"}),
    ],
)  # fmt: skip
def test_terms_leave_out_the_stop_words_of_the_article_language(title, text, language, expected):
    assert terms(title, text, language) == expected
    assert names_and_numbers(title, text, language) <= expected
