"""``figures.relation``: agree, disagree or different things, from the fields extraction gives each figure and
from sentences through the extraction itself."""

from __future__ import annotations

import pytest

from storyline.domain import Figure
from storyline.enrich.figures import Relation, relation
from storyline.evals.figures import find_figure

AGREE, DISAGREE, DIFFERENT = Relation.AGREE, Relation.DISAGREE, Relation.DIFFERENT


def figure(value: float, noun: str = "case", **fields) -> Figure:
    return Figure(value, str(value), noun, 0, noun=noun, **fields)


RELATION_CASES = [
    ("bound meets its value", figure(800, bound="above"), figure(800), AGREE),
    ("a lower bound below the value", figure(800, bound="above"), figure(1000), AGREE),
    ("bounds that cannot both hold", figure(800, bound="above"), figure(700, bound="below"), DISAGREE),
    ("up to holds less", figure(60e6, bound="below"), figure(50e6), AGREE),
    ("about 1,000 and 1,000", figure(1000, bound="about"), figure(1000), AGREE),
    ("about 1,000 and 1,050", figure(1000, bound="about"), figure(1050), AGREE),
    ("about 1,000 and 1,200", figure(1000, bound="about"), figure(1200), DISAGREE),
    ("whole counts match exactly", figure(800), figure(801), DISAGREE),
    ("same counts", figure(5), figure(5), AGREE),
    ("1.2m rounds 1,234,567", figure(1.2e6, rounding=50_000), figure(1_234_567), AGREE),
    ("1.2m does not round 1,300,000", figure(1.2e6, rounding=50_000), figure(1_300_000), DISAGREE),
    ("52% and 53% do not meet", figure(52, unit="%", rounding=0.4999), figure(53, unit="%", rounding=0.4999), DISAGREE),
    ("a count against a forecast", figure(800, bound="above"), figure(1000, bound="above", kind="future"), DIFFERENT),
    ("two forecasts", figure(1000, kind="future"), figure(1200, kind="future"), DISAGREE),
    ("a level against its change", figure(373_000), figure(2_000, kind="change"), DIFFERENT),
    ("a level against where it came from", figure(6.1, unit="%"), figure(6, unit="%", kind="previous"), DIFFERENT),
    ("two owners", figure(20, "recommendation", owner=["champion", "inquiry"]),
     figure(12, "recommendation", owner=["casey", "review"]), DIFFERENT),
    ("one owner unsaid", figure(12, "recommendation", owner=["casey", "review"]), figure(10, "recommendation"),
     DISAGREE),
    ("owners sharing a name", figure(12, "recommendation", owner=["review"]),
     figure(12, "recommendation", owner=["casey", "review"]), AGREE),
    ("another noun", figure(800, "case"), figure(900, "investigation"), DIFFERENT),
    ("modifiers that narrow differently", figure(800, modifiers=["cold"]), figure(12, modifiers=["live", "police"]),
     DIFFERENT),
    ("a modifier left out", figure(800, modifiers=["cold"]), figure(900), DISAGREE),
    ("other dates", figure(266_000, dates=["april"]), figure(226_000, dates=["may"]), DIFFERENT),
    ("the same date written twice", figure(266_000, dates=["april"]), figure(226_000, dates=["april 2021"]), DISAGREE),
    ("an unsaid date", figure(266_000, dates=["april"]), figure(266_000), AGREE),
    ("other currencies", figure(3e9, "cost", unit="GBP"), figure(4e9, "cost", unit="USD"), DIFFERENT),
    ("a count against a share", figure(30, "migrant", unit="%"), figure(30, "migrant"), DIFFERENT),
    ("no counted noun", figure(800, ""), figure(900, ""), DIFFERENT),
]  # fmt: skip


@pytest.mark.parametrize(
    ("a", "b", "expected"), [case[1:] for case in RELATION_CASES], ids=[c[0] for c in RELATION_CASES]
)
def test_relation(a, b, expected):
    assert relation(a, b) is expected
    assert relation(b, a) is expected


SENTENCE_CASES = [
    ("Police have reopened more than 800 cases of child sexual abuse.", "more than 800",
     "The number of cases is expected to rise to more than 1,000 in the coming weeks.", "1,000", DIFFERENT),
    ("Ms Cooper said 800 cold cases would be investigated.", "800",
     "Ms Cooper said police were investigating 900 cold cases.", "900", DISAGREE),
    ("Sarah Champion said the 20 recommendations from the previous inquiry sat in a drawer.", "20",
     "The government would accept all 12 recommendations of Casey's rapid review.", "12", DIFFERENT),
    ("Warner was elected to the Senate in 1978 and served five terms.", "five",
     "Warner served 5 terms in the Senate.", "5", AGREE),
    ("The estimate assumes that Pfizer will deliver 1.6 billion doses of its vaccine in 2021.", "1.6 billion",
     "The estimate assumes that Pfizer will deliver 1,600,000,000 doses of its vaccine in 2021.", "1,600,000,000",
     AGREE),
    ("The US will share up to 60m doses of the vaccine with other countries.", "60m",
     "The US will share as many as 60 million doses of the vaccine with other countries.", "60 million", AGREE),
    ("Agents made more than 178,000 arrests in June.", "178,000",
     "Agents made fewer than 170,000 arrests in June.", "170,000", DISAGREE),
    ("The economy added 266,000 jobs in April.", "266,000",
     "Economists had predicted the economy would add 1 million jobs in April.", "1 million", DIFFERENT),
    ("Rescue workers pulled six more bodies from the rubble.", "six",
     "The mayor said 60 bodies have been recovered from the rubble.", "60", DIFFERENT),
]  # fmt: skip


@pytest.mark.parametrize(("sentence_a", "written_a", "sentence_b", "written_b", "expected"), SENTENCE_CASES)
def test_relation_of_extracted_figures(sentence_a, written_a, sentence_b, written_b, expected):
    a, b = find_figure(sentence_a, written_a), find_figure(sentence_b, written_b)
    assert a is not None and b is not None
    assert relation(a, b) is expected
