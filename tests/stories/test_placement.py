"""The placement model: the trees the product evaluates are the ones scikit-learn fitted, and they are
monotone where the module says they are."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from storyline.errors import ConfigError
from storyline.nlp import EMBEDDING_DIM
from storyline.stories import lexical
from storyline.stories.bridge import Bridge
from storyline.stories.engine import StoryItem
from storyline.stories.placement import (
    FEATURES,
    LULL_RESOLUTION,
    MONOTONE,
    UNKNOWN_LULLS,
    PairFeatures,
    PlacementModel,
    bundled_model,
    dates_only,
    lull_to,
    possible_lulls,
)
from storyline.training.placement import LabelledSet, fit_trees, model_from_trees, pairs

TYPICAL = PairFeatures(
    cosine=0.55,
    terms_share=0.15,
    terms_any=0.2,
    entities_share=0.3,
    entities_any=0.4,
    entities_none=0.0,
    lull=timedelta(hours=1),
    pace=timedelta(hours=3),
    size=3,
)


def test_the_product_evaluates_the_fitted_trees_exactly():
    rng = np.random.default_rng(0)
    features = rng.uniform(0, 1, size=(3000, len(FEATURES)))
    labels = features[:, 0] + features[:, 1] * features[:, 2] > 0.8
    trees = fit_trees(features, labels, np.ones(len(labels)))
    model = model_from_trees(trees, 0.5)
    rows = [PairFeatures(*row[:6], timedelta(0), timedelta(hours=1), 1) for row in features[:5]]
    ours = np.array([model.probability(row) for row in rows])
    theirs = trees.predict_proba(np.array([row.vector() for row in rows]))[:, 1]
    assert np.allclose(ours, theirs, atol=1e-9)


def test_probabilities_for_many_rows_match_the_row_by_row_walk():
    rng = np.random.default_rng(1)
    model = bundled_model()
    rows = [
        PairFeatures(*rng.uniform(0, 1, size=6), timedelta(hours=float(hours)), timedelta(hours=3), int(size), least)
        for hours, size, least in zip(
            rng.uniform(0, 48, 200), rng.integers(1, 50, 200), rng.uniform(0, 1, 200), strict=True
        )
    ]
    together = model.probabilities(np.array([row.vector() for row in rows]))
    assert np.allclose(together, [model.probability(row) for row in rows], atol=1e-12)


def test_the_model_survives_its_json_form():
    model = bundled_model()
    again = PlacementModel.from_json(model.to_json())
    assert again.probability(TYPICAL) == pytest.approx(model.probability(TYPICAL), abs=1e-6)


def test_a_model_for_other_features_is_refused():
    payload = bundled_model().to_json() | {"features": ["cosine"]}
    with pytest.raises(ConfigError, match="train placement"):
        PlacementModel.from_json(payload)


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("cosine", [0.2, 0.4, 0.6, 0.8, 1.0]),
        ("terms_share", [0.0, 0.1, 0.3, 0.6, 1.0]),
        ("entities_share", [0.0, 0.2, 0.5, 1.0]),
        ("lull", [timedelta(0), timedelta(hours=1), timedelta(hours=6), timedelta(days=2)]),
        ("size", [1, 3, 10, 100, 10_000]),
        ("recent_least", [0.0, 0.3, 0.5, 0.7, 0.9, 1.0]),
    ],
)
def test_the_bundled_model_is_monotone(field, values):
    """More similarity or shared vocabulary never lowers the probability, a longer lull never raises it, and a
    bigger story never lowers it: an identical article cannot be pushed out by a quirk of the training data."""
    probabilities = [bundled_model().probability(replace(TYPICAL, **{field: value})) for value in values]
    direction = -1 if field == "lull" else 1
    assert all(direction * (b - a) >= -1e-12 for a, b in zip(probabilities, probabilities[1:], strict=False))
    assert {name: MONOTONE[name] for name in ("cosine", "lull_hours", "log_size")} == {
        "cosine": 1,
        "lull_hours": -1,
        "log_size": 1,
    }


def test_a_lull_shorter_than_the_resolution_reads_as_the_resolution():
    """Stamps closer than ten minutes say nothing about the event: a lull of none, a second or a minute is
    judged as a lull of ten minutes, in hours and in the story's pace alike, however fast the story."""
    quick = replace(TYPICAL, pace=timedelta(seconds=30))
    vectors = [replace(quick, lull=lull).vector() for lull in (timedelta(0), timedelta(seconds=1), LULL_RESOLUTION)]
    assert all(np.array_equal(vector, vectors[-1]) for vector in vectors)
    assert not np.array_equal(replace(quick, lull=2 * LULL_RESOLUTION).vector(), vectors[-1])


NOON = datetime(2025, 6, 16, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("published", "lull"),
    [
        (NOON + timedelta(hours=5), timedelta(hours=3)),  # after the story's last report
        (NOON + timedelta(hours=2), timedelta(0)),  # at its last report
        (NOON + timedelta(hours=1), timedelta(0)),  # within its coverage
        (NOON, timedelta(0)),  # at its first report
        (NOON - timedelta(days=3), timedelta(days=3)),  # an older entry arriving late
    ],
)
def test_the_lull_is_how_far_an_article_lies_from_the_story_s_coverage(published, lull):
    assert lull_to(published, NOON, NOON + timedelta(hours=2)) == lull


def test_an_article_older_than_a_story_is_no_likelier_to_join_it_than_one_as_much_newer():
    """A feed's entries from days before, arriving after a story formed, read as days away, not as just now."""
    model = bundled_model()
    late = lull_to(NOON - timedelta(days=3), NOON, NOON + timedelta(hours=2))
    assert model.probability(replace(TYPICAL, lull=late)) == model.probability(replace(TYPICAL, lull=timedelta(days=3)))
    assert model.probability(replace(TYPICAL, lull=late)) < model.probability(replace(TYPICAL, lull=timedelta(0)))


@pytest.mark.parametrize(
    ("first", "second", "unknown"),
    [
        (datetime(2021, 5, 11, tzinfo=timezone.utc), datetime(2021, 5, 11, tzinfo=timezone.utc), True),
        # the same minute is a real coincidence: two outlets publishing together
        (datetime(2021, 5, 11, 17, 42, tzinfo=timezone.utc), datetime(2021, 5, 11, 17, 42, tzinfo=timezone.utc), False),
        (datetime(2021, 5, 11, tzinfo=timezone.utc), datetime(2021, 5, 10, tzinfo=timezone.utc), False),
    ],
)
def test_only_the_same_midnight_reads_as_a_date_without_a_time(first, second, unknown):
    assert dates_only(first, second) is unknown


DAY = datetime(2021, 5, 11, tzinfo=timezone.utc)
HOURS = [timedelta(hours=hours) for hours in range(25)]


@pytest.mark.parametrize(
    ("published", "first", "last", "undated", "lulls"),
    [
        # timed stamps on both sides: the lull is exact
        (DAY + HOURS[16], DAY + HOURS[9], DAY + HOURS[15], False, ()),
        (DAY + HOURS[16], DAY + HOURS[9], DAY + HOURS[15], True, UNKNOWN_LULLS),
        (DAY, DAY, DAY, False, UNKNOWN_LULLS),
        # a date-only article against a story timed from 09:00 to 15:00 that day: any time of the day, hours
        # before the story, during it or after it (02:00, 06:00, 10:00, 14:00, 18:00, 22:00)
        (DAY, DAY + HOURS[9], DAY + HOURS[15], False, tuple(HOURS[hours] for hours in (7, 3, 0, 0, 3, 7))),
        # a timed article against a story whose latest report is that day's date alone
        (DAY + HOURS[10], DAY, DAY, False, tuple(HOURS[hours] for hours in (8, 4, 0, 4, 8, 12))),
        # dates of different days stay whole days apart, the expected distance between them
        (DAY + HOURS[24], DAY, DAY, False, ()),
    ],
)
def test_stamps_that_do_not_tell_the_lull_give_the_lulls_it_may_have_had(published, first, last, undated, lulls):
    assert possible_lulls(published, first, last, undated) == lulls


def test_a_pair_of_dates_without_times_is_judged_over_the_lulls_it_may_have_had():
    model = bundled_model()
    dated = replace(TYPICAL, lull=timedelta(0), lulls=UNKNOWN_LULLS)
    expected = np.mean([model.probability(replace(TYPICAL, lull=lull)) for lull in UNKNOWN_LULLS])
    assert model.probability(dated) == pytest.approx(expected)
    assert model.probability(dated) < model.probability(replace(TYPICAL, lull=timedelta(0)))


def test_rare_shared_words_weigh_more_than_common_ones():
    frequencies = lexical.DocumentFrequencies()
    for number in range(50):
        frequencies.add({"senate", f"other{number}"})
    frequencies.add({"filibuster"})
    story = {"senate": 2, "filibuster": 2}
    common, _ = lexical.overlap(frozenset({"senate", "tax", "vote"}), story, 2, frequencies)
    rare, _ = lexical.overlap(frozenset({"filibuster", "tax", "vote"}), story, 2, frequencies)
    assert rare > common
    assert lexical.rarest_shared(frozenset({"filibuster", "senate"}), story, frequencies, 1) == ["filibuster"]


def test_terms_keep_names_numbers_and_news_words():
    # "bill" is a stop word in scikit-learn's list; in the news it is the subject
    assert lexical.terms("The U.S. Senate passes a $1.2 trillion bill", "") == frozenset(
        {"u.s", "senate", "passes", "1.2", "trillion", "bill"}
    )


def test_a_gold_story_is_held_out_of_every_set_that_holds_it():
    """The AllSides sets hold the same stories (times redrawn, or translated): the cross-validation groups pairs
    by the gold story alone, so a story held out of one set is not in another set's training half."""
    start = datetime(2021, 5, 3, 9, tzinfo=timezone.utc)
    vector = np.ones(EMBEDDING_DIM, dtype=np.float32) / np.sqrt(EMBEDDING_DIM)
    items = [
        StoryItem(f"article-{n}", "Senate passes the bill", "", "outlet", start + timedelta(minutes=n), vector)
        for n in range(4)
    ]
    gold = ["story-a", "story-a", "story-b", "story-b"]
    groups = {
        name: set(pairs(LabelledSet(name, items, gold), Bridge())[2]) for name in ("allsides-day", "allsides-week")
    }
    assert groups["allsides-day"] == groups["allsides-week"] <= set(gold)
    assert groups["allsides-day"]  # the replay met candidate stories at all
