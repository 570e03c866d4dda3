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


def test_seed_case_counts_disagree_across_outlets(seed_records, seed_figures):
    sources = {r["id"]: r["source"] for r in seed_records}
    groups = compare_figures(seed_figures, sources)
    (expected,) = GOLD["story"]["disagreeing_figures"]
    matching = [g for g in groups if set(expected["values"]) <= {v["value"] for v in g["values"]}]
    assert len(matching) == 1
    group = matching[0]
    assert group["disagree"] is True and expected["head"] in group["counts"]
    assert len({v["source"] for v in group["values"]}) >= 3
    assert all(expected["head"] in f.counts for key in sources for f in seed_figures[key]
               if any(v["article_key"] == key and v["sentence"] == f.sentence and v["value"] == f.value
                      for v in group["values"]))  # fmt: skip


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


def test_compare_figures_groups_only_across_articles():
    per_article = {
        "a": [Figure(800, "800 cases", "cold cases", 0)],
        "b": [Figure(1000, "1,000 cases", "cases of abuse", 2), Figure(12, "a dozen cases", "live police cases", 3)],
        "c": [Figure(5, "five inquiries", "local inquiries", 1)],
    }
    groups = compare_figures(per_article, {"a": "A", "b": "B", "c": "C"})
    assert len(groups) == 1
    (group,) = groups
    assert group["disagree"] is True
    assert sorted((v["source"], v["value"]) for v in group["values"]) == [("A", 800), ("B", 1000)]
    assert set(group["values"][0]) == {"value", "text", "source", "article_key", "sentence"}


def test_compare_figures_agreeing_values():
    per_article = {"a": [Figure(5, "five", "local inquiries", 0)], "b": [Figure(5, "5", "local inquiries", 4)]}
    (group,) = compare_figures(per_article, {"a": "A", "b": "B"})
    assert group["disagree"] is False


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
