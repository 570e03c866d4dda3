"""Key figures: number parsing, what each figure counts, what is not a figure, and cross-outlet disagreement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyline.domain import Article, Figure
from storyline.enrich.figures import compare_figures, extract_figures, parse_number
from storyline.nlp import split_sentences

GOLD = json.loads((Path(__file__).parent / "testdata" / "seed_gold.json").read_text(encoding="utf-8"))


def make_article(text: str, title: str = "A story", key: str = "k") -> Article:
    return Article(key=key, url=f"https://example.invalid/{key}", title=title, text=text, source="Test",
                   sentences=split_sentences(text))  # fmt: skip


@pytest.fixture(scope="module")
def seed_figures(seed_records) -> dict[str, list[Figure]]:
    return {r["id"]: extract_figures(make_article(r["text"], r["title"], r["id"])) for r in seed_records}


def test_seed_key_figures_found(seed_figures):
    missing = []
    for key, article_gold in GOLD["articles"].items():
        for gold in article_gold["figures"]:
            if not any(
                f.value == gold["value"] and f.unit == gold["unit"] and gold["counts"] in f.counts
                for f in seed_figures[key]
            ):
                missing.append((key, gold, [(f.value, f.counts) for f in seed_figures[key]]))
    assert missing == []


def test_seed_dates_ages_and_page_counts_are_not_figures(seed_figures):
    for key, values in GOLD["not_figures"].items():
        assert not {f.value for f in seed_figures[key] if f.unit is None} & set(values), seed_figures[key]


def test_seed_story_flags_no_disagreement(seed_records, seed_figures):
    """Today's "more than 800 cases" against the forecast "more than 1,000", and the 20 recommendations of Sarah
    Champion's earlier inquiry against the 12 of Casey's review, count different things (issue 19)."""
    sources = {r["id"]: r["source"] for r in seed_records}
    sentences = {key: make_article(r["text"], r["title"], key).sentences for r in seed_records for key in [r["id"]]}
    groups = compare_figures(seed_figures, sources, sentences)
    flagged = [
        {"head": g["counts"], "values": sorted(v["value"] for v in g["values"])} for g in groups if g["disagree"]
    ]
    assert flagged == GOLD["story"]["disagreeing_figures"] == []
    same_quantity = [{v["value"] for v in g["values"]} for g in groups if g["relation"] != "different"]
    assert not any({800, 1000} <= values or {12, 20} <= values for values in same_quantity)
    different = {frozenset(v["value"] for v in g["values"]) for g in groups if g["relation"] == "different"}
    assert frozenset({12.0, 20.0}) in different
    assert any({800.0, 1000.0} <= values for values in different)


NUMBER_CASES = [
    ("800", 800, None), ("more than 84,200", 84_200, None), ("twelve", 12, None), ("a thousand", 1_000, None),
    ("1.2 million", 1_200_000, None), ("£3bn", 3e9, "GBP"), ("$4.5m", 4_500_000, "USD"), ("30 per cent", 30, "%"),
    ("12%", 12, "%"), ("about a dozen", 12, None), ("two hundred and fifty", 250, None), ("two-thirds", 200 / 3, "%"),
    ("at least 1,400", 1_400, None), ("no number here", None, None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "value", "unit"), NUMBER_CASES)
def test_parse_number(text, value, unit):
    parsed = parse_number(text)
    if value is None:
        assert parsed is None
    else:
        assert parsed == (pytest.approx(value), unit)


COUNT_CASES = [
    ("Police said more than 800 cases reopened last month.", 800, "cases reopened", None),
    ("Ministers accepted all 12 recommendations.", 12, "recommendations", None),
    ("A record 84,200 asylum applications were made.", 84_200, "asylum applications", None),
    ("The scheme will cost £3bn over five years.", 3e9, "", "GBP"),
    ("Twelve councils objected to the plan.", 12, "councils", None),
    ("Police cautioned almost 4,000 children for offences.", 4_000, "children", None),
    ("The figure for two-thirds of perpetrators is missing.", 200 / 3, "perpetrators", "%"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "value", "counts", "unit"), COUNT_CASES)
def test_figure_counts(text, value, counts, unit):
    figures = extract_figures(make_article(text))
    matching = [f for f in figures if f.value == pytest.approx(value) and f.unit == unit]
    assert matching, figures
    assert counts in matching[0].counts
    assert matching[0].text in text


@pytest.mark.parametrize(
    "text",
    [
        "The inquiry began in 2015 and ended on 3 March 2022.",
        "At 4:18 the minister stood up.",
        "A 14-year-old and a four-year-old were at the 200-page hearing.",
        "Children as young as 10 were targeted; a child under 16 cannot consent.",
        "BBC Radio 4 and the G7 met on the first day.",
        "Thousands of people and hundreds of officers attended.",
    ],
)
def test_not_figures(text):
    assert extract_figures(make_article(text)) == []


def case_figure(value: float, sentence: int, **how) -> Figure:
    return Figure(value, f"{value:,.0f} cases", "cases", sentence, noun="case", **how)


SENTENCES = {
    "a": ["Police have reopened 800 cases.", "The review made 12 recommendations."],
    "b": ["Officers are looking again at 1,000 cases.", "Five inquiries will run."],
    "c": ["The number of cases will rise to 1,000.", "Five inquiries will run."],
}


def test_compare_figures_flags_a_disagreement_with_both_sentences_as_evidence():
    per_article = {"a": [case_figure(800, 0)], "b": [case_figure(1000, 0)]}
    (group,) = compare_figures(per_article, {"a": "A", "b": "B"}, SENTENCES)
    assert (group["relation"], group["disagree"]) == ("disagree", True)
    assert [(c.source, c.sentence, c.text) for c in group["evidence"]] == [
        ("A", 0, "Police have reopened 800 cases."),
        ("B", 0, "Officers are looking again at 1,000 cases."),
    ]
    assert sorted((v["source"], v["value"]) for v in group["values"]) == [("A", 800), ("B", 1000)]


def test_compare_figures_lists_a_forecast_as_a_different_figure_not_a_disagreement():
    per_article = {"a": [case_figure(800, 0)], "c": [case_figure(1000, 0, kind="future")]}
    groups = compare_figures(per_article, {"a": "A", "c": "C"}, SENTENCES)
    assert [(g["relation"], g["disagree"]) for g in groups] == [("different", False)]
    assert [c.text for c in groups[0]["evidence"]] == [SENTENCES["a"][0], SENTENCES["c"][0]]


def test_compare_figures_agreeing_values_across_articles_only():
    five = Figure(5, "five", "inquiries", 1, noun="inquiry")
    per_article = {"b": [five, Figure(5, "5", "inquiries", 1, noun="inquiry")], "c": [five], "a": []}
    (group,) = compare_figures(per_article, {"b": "B", "c": "C"}, SENTENCES)
    assert (group["relation"], group["disagree"], group["evidence"]) == ("agree", False, [])
    assert len(group["values"]) == 3
    assert compare_figures({"b": [five, five]}, {"b": "B"}, SENTENCES) == []


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parse_number_never_raises(text):
    parsed = parse_number(text)
    assert parsed is None or isinstance(parsed[0], float)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=160) | st.text(alphabet=st.sampled_from(list("0123456789,.%£$ -abc\n")), max_size=80))
def test_extract_figures_never_raises(text):
    article = make_article(text or "x")
    for figure in extract_figures(article):
        assert 0 <= figure.sentence < len(article.sentences)
