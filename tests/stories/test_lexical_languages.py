"""What placement reads of an article across languages: the names other coverage found that a German article
spells out, and the names and numbers a translated article shares with a story in another language."""

from __future__ import annotations

import pytest

from storyline.stories.lexical import known_names, names_and_numbers

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
