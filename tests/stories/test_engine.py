from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from storyline import nlp
from storyline.evals.clustering import apply_refinement
from storyline.nlp import EMBEDDING_DIM
from storyline.stories.bridge import Bridge, BridgeConfig
from storyline.stories.engine import RECENT_MEMBERS, EngineConfig, Member, Story, StoryEngine, StoryItem
from storyline.stories.placement import UNKNOWN_LULLS
from storyline.stories.refine import Refiner

from .conftest import TESTDATA, read_records

FOLLOW_UP = {
    "id": "seed-follow-up",
    "source": "BBC News",
    "published": "2025-06-16T18:30:00+00:00",
    "title": "Casey review: national inquiry into grooming gangs announced after damning audit",
    "text": (
        "The government will set up a national inquiry into grooming gangs after Baroness Louise Casey's audit "
        "found that officials had avoided the ethnicity of offenders for fear of being called racist. "
        "Home Secretary Yvette Cooper told MPs the review was damning and that victims had been let down."
    ),
}
UNRELATED = {
    "id": "wimbledon-draw",
    "source": "BBC Sport",
    "published": "2025-06-16T19:00:00+00:00",
    "title": "Wimbledon draw: Draper handed tough opener at All England Club",
    "text": "Jack Draper will face a former champion in the first round at Wimbledon after the draw was made.",
}

# The seed event as a French outlet reports it, and another event the same evening (written for these tests:
# the names are the English coverage's, every other word is French).
FRENCH_REPORT, FRENCH_UNRELATED = read_records(TESTDATA / "french.jsonl")


def place_in_order(engine: StoryEngine, items: list[StoryItem]) -> dict[str, int]:
    return {item.key: engine.add(item).story_id for item in sorted(items, key=lambda item: item.published)}


def place_as_the_writer_does(engine: StoryEngine, items: list[StoryItem]) -> dict[str, int]:
    """Placement, then the writer's refinement after each article, as an import runs them."""
    refiner, placed = Refiner(), {}
    for item in sorted(items, key=lambda item: item.published):
        placed[item.key] = engine.add(item).story_id
        apply_refinement(placed, refiner.refine_if_due(engine))
    return placed


def test_seed_articles_form_exactly_one_story(seed_items):
    """The lead comes 2.5 hours before the other three, which arrive within two minutes of each other: the
    three form a story at once, and the refinement pass joins the lead to it on the names they share."""
    placed = place_as_the_writer_does(StoryEngine(), seed_items)
    assert len(set(placed.values())) == 1


def test_neighbouring_subjects_stay_out_of_the_seed_story(seed_items, neighbour_items):
    placed = place_as_the_writer_does(StoryEngine(), seed_items + neighbour_items)
    seed_story = {placed[item.key] for item in seed_items}
    assert len(seed_story) == 1
    intruders = [item.key for item in neighbour_items if placed[item.key] in seed_story]
    assert intruders == []


@pytest.mark.parametrize("midnight", [False, True])
def test_articles_stamped_alike_are_grouped_by_what_they_say(seed_items, neighbour_items, midnight):
    """A feed that stamps every entry with one time, or a sitemap that gives dates only (midnight), says nothing
    about which event each entry reports: stamped alike, the eleven neighbouring events stay eleven stories and
    the seed's four articles still make one (before the lull had a resolution, each set made a single story)."""
    moment = seed_items[0].published
    if midnight:
        moment = moment.replace(hour=0, minute=0)
    for items, stories in ((neighbour_items, len(neighbour_items)), (seed_items, 1)):
        engine = StoryEngine()
        placed = place_as_the_writer_does(engine, [replace(item, published=moment) for item in items])
        # the pass an import ends with: one stamp never moves the refiner's clock on
        apply_refinement(placed, Refiner().refine_now(engine))
        assert len(set(placed.values())) == stories


@pytest.mark.parametrize(
    "stamps", ["as published", "alike", "the same midnight", "undated, alike", "dates only, every other one"]
)
def test_the_pairwise_model_judges_a_pair_as_placement_judges_a_one_article_story(seed_items, neighbour_items, stamps):
    """The refinement's split reads each two members through ``pairwise``, placement reads ``features``: the same
    probability for the same pair, stamps at the same midnight (dates only), a date without a time against a
    timed stamp, or articles that came undated (stamped when they arrived: the second and fourth) judged over the
    lulls they may have had by both."""
    engine = StoryEngine()
    place_in_order(engine, seed_items + neighbour_items)  # counts how rare each word and name is
    items = sorted([*seed_items[:2], *neighbour_items[:2]], key=lambda item: item.published)
    moment = items[0].published
    restamped = {
        "as published": None,
        "alike": moment,
        "the same midnight": moment.replace(hour=0, minute=0),
        "undated, alike": moment,
        "dates only, every other one": None,
    }
    if restamped[stamps] is not None:
        items = [replace(item, published=restamped[stamps]) for item in items]
    if stamps.startswith("dates only"):
        midnight = {"hour": 0, "minute": 0, "second": 0, "microsecond": 0}
        items = [replace(item, published=item.published.replace(**midnight)) if number % 2 else item
                 for number, item in enumerate(items)]  # fmt: skip
        items.sort(key=lambda item: item.published)
    if stamps.startswith("undated"):
        items = [replace(item, undated=number % 2 == 1) for number, item in enumerate(items)]
    arrivals = [engine.arrival(item) for item in items]
    members = [
        Member(
            item.key,
            item.title,
            item.source,
            item.published,
            a.embedding,
            a.entities,
            a.terms,
            a.language,
            undated=a.undated,
        )
        for item, a in zip(items, arrivals, strict=True)
    ]
    matrix = engine.pairwise(members)
    for later in range(len(items)):
        for earlier in range(later):
            alone = engine.detached([members[earlier]])
            expected = engine.model.probability(engine.features(arrivals[later], alone))
            assert matrix[later, earlier] == pytest.approx(expected), (items[later].key, items[earlier].key)


@pytest.mark.parametrize(
    ("first_undated", "second_undated", "unknown"),
    [
        (False, False, False),
        (True, False, True),
        (False, True, True),
        (True, True, True),
    ],
)
def test_an_undated_article_has_an_unknown_lull_to_its_story(seed_items, first_undated, second_undated, unknown):
    """An article that came with no date is stamped with when it arrived, so a poll's undated entries read as a
    burst: the lull between it and a story is unknown, whichever of the two came undated."""
    first, second = sorted(seed_items, key=lambda item: item.published)[1:3]
    engine = StoryEngine()
    story = engine.story(engine.add(replace(first, undated=first_undated)).story_id)
    features = engine.features(engine.arrival(replace(second, undated=second_undated)), story)
    assert (features.lulls == UNKNOWN_LULLS) is unknown


def test_a_dated_article_stamped_with_an_undated_one_makes_the_story_s_lull_known(seed_items):
    first, second, third = sorted(seed_items, key=lambda item: item.published)[1:4]
    engine = StoryEngine()
    story_id = engine.add(replace(first, undated=True)).story_id
    engine.add(replace(second, published=first.published), story_id=story_id)
    assert not engine.features(engine.arrival(third), engine.story(story_id)).lulls


def test_a_date_without_a_time_is_not_read_as_hours_before_a_story_of_that_day(seed_items):
    """A sitemap or a feed that gives dates only stamps its report of the seed story at midnight, while timed feeds
    stamp the story's first reports in the evening: the report may be from any time of that day, not certainly
    seventeen hours before them, as a report timed ten minutes past midnight is."""
    *reports, late = sorted(seed_items, key=lambda item: item.published)
    engine = StoryEngine()
    story_id = next(iter({engine.add(item).story_id for item in reports[1:]}))
    midnight = late.published.replace(hour=0, minute=0, second=0, microsecond=0)

    def probability(published: datetime) -> float:
        features = engine.features(engine.arrival(replace(late, published=published)), engine.story(story_id))
        return engine.model.probability(features)

    assert probability(midnight + timedelta(minutes=10)) < 0.01
    assert probability(midnight) > 0.1


def test_an_article_from_days_before_a_story_reads_as_days_away_from_it(seed_items):
    """A feed's older entries can arrive after a story formed (a new feed's backlog): the lull is the time to the
    story's first report, not the negative time since its last, which read as "just now"."""
    first, second = sorted(seed_items, key=lambda item: item.published)[1:3]
    engine = StoryEngine()
    story = engine.story(engine.add(first).story_id)
    old = replace(second, published=first.published - timedelta(days=3))
    assert engine.features(engine.arrival(old), story).lull == timedelta(days=3)


def test_first_article_starts_a_new_story_and_the_next_joins_it(seed_items):
    engine = StoryEngine(next_story_id=40)
    ordered = sorted(seed_items, key=lambda item: item.published)
    first, second = engine.add(ordered[1]), engine.add(ordered[2])  # The Telegraph, then The Guardian
    assert (first.story_id, first.is_new) == (40, True)
    assert (second.story_id, second.is_new) == (40, False)


def test_replay_keeps_story_ids_and_new_articles_join_the_right_story(seed_items, neighbour_items, make_items):
    follow_up, unrelated = make_items([FOLLOW_UP, UNRELATED])
    # The restart happens just before the follow-up: everything published earlier is stored.
    stored = sorted(
        (item for item in seed_items + neighbour_items if item.published < follow_up.published),
        key=lambda item: item.published,
    )
    placed = place_in_order(StoryEngine(next_story_id=7), stored)

    restarted = StoryEngine(next_story_id=max(placed.values()) + 1)
    replayed = {item.key: restarted.add(item, story_id=placed[item.key]).story_id for item in stored}
    assert replayed == placed

    assert restarted.add(follow_up).story_id == placed[seed_items[0].key]
    fresh = restarted.add(unrelated)
    assert fresh.is_new and fresh.story_id == max(placed.values()) + 1


def test_replayed_story_id_above_the_counter_moves_the_counter(seed_items, neighbour_items):
    engine = StoryEngine(next_story_id=1)
    engine.add(seed_items[0], story_id=100)
    assert engine.add(neighbour_items[0]).story_id == 101


def test_a_syndicated_copy_is_marked_and_joins_its_original_story(seed_items):
    original = seed_items[1]
    copy = replace(
        original,
        key="copy-elsewhere",
        source="Another outlet",
        title="Grooming gangs thrived in a culture of ignorance, says Casey",
        text=original.text.replace("a report has said", "an official report said") + " Additional reporting.",
        published=original.published + timedelta(minutes=20),
        embedding=np.roll(original.embedding, 1),  # far from every story: only the copy check can place it
    )
    engine = StoryEngine()
    story_of_original = engine.add(original).story_id
    placement = engine.add(copy)
    assert placement.duplicate_of == original.key
    assert placement.story_id == story_of_original


def synthetic_item(number: int, published: datetime, rng: np.random.Generator) -> StoryItem:
    vector = rng.normal(size=EMBEDDING_DIM).astype(np.float32)
    words = " ".join(f"w{value}" for value in rng.integers(0, 1_000_000, size=6))  # no word in common either
    return StoryItem(
        key=f"item-{number}",
        title=words,
        text=words,
        source="Wire",
        published=published,
        embedding=vector / np.linalg.norm(vector),
        entities=[f"entity-{number % 50}"],
    )


def test_retirement_by_item_time_keeps_the_index_bounded():
    config = EngineConfig(window=timedelta(days=2))
    engine = StoryEngine(config=config)
    rng = np.random.default_rng(1)
    start = datetime(2014, 3, 10, tzinfo=timezone.utc)  # far in the past: retirement must follow item time
    per_window = 48
    for number in range(2_000):  # one unrelated article an hour for almost three months
        engine.add(synthetic_item(number, start + timedelta(hours=number), rng))
        assert engine.index_size <= per_window + 1
    assert engine.live_stories == engine.index_size
    assert engine.index_size >= per_window - 1


SUBJECT_START = datetime(2014, 3, 11, 9, 0, tzinfo=timezone.utc)


def subject_vector(similarity: float) -> np.ndarray:
    """A unit vector whose cosine with the first axis (the subject) is ``similarity``."""
    vector = np.zeros(EMBEDDING_DIM, dtype=np.float32)
    vector[0], vector[1] = similarity, np.sqrt(1 - similarity**2)
    return vector


BURST_TITLES = [f"Harbour bridge reopens after {how} repairs" for how in ("long", "costly", "lengthy", "major")]


def subject_item(key: str, published: datetime, similarity: float = 1.0, title: str | None = None) -> StoryItem:
    title = title or BURST_TITLES[hash(key) % len(BURST_TITLES)]
    return StoryItem(key, title, title, "Wire", published, subject_vector(similarity))


def story_of_burst(engine: StoryEngine, size: int, spacing: timedelta) -> int:
    placed = {
        engine.add(subject_item(f"burst-{n}", SUBJECT_START + n * spacing, title=BURST_TITLES[n % 4])).story_id
        for n in range(size)
    }
    assert len(placed) == 1
    return placed.pop()


FOLLOW_UP_TITLE = "Traffic returns to the harbour bridge after the repairs"


@pytest.mark.parametrize(
    ("size", "spacing", "lull", "similarity", "joins"),
    [
        # a lone article's story is judged by the prior pace: a close match continues it hours later
        (1, timedelta(0), timedelta(hours=8), 1.0, True),
        (1, timedelta(0), timedelta(hours=1), 0.55, True),
        # a burst of fifty in under a minute that then falls silent for hours is over
        (50, timedelta(seconds=1), timedelta(hours=8), 1.0, False),
        (50, timedelta(seconds=1), timedelta(hours=1), 0.55, False),
        # a story covered hourly lives through a lull of the same length, and takes a looser match
        (10, timedelta(hours=1), timedelta(hours=1), 1.0, True),
        (10, timedelta(hours=1), timedelta(hours=1), 0.55, True),
    ],
)
def test_a_lull_is_judged_by_the_pace_of_the_story(size, spacing, lull, similarity, joins):
    engine = StoryEngine()
    story = story_of_burst(engine, size, spacing)
    last = SUBJECT_START + (size - 1) * spacing
    placement = engine.add(subject_item("follow-up", last + lull, similarity, FOLLOW_UP_TITLE))
    assert (placement.story_id == story) is joins
    assert placement.is_new is not joins


def test_the_same_lull_ends_a_burst_and_not_a_slow_story():
    """What the pace feature is for: after two hours of quiet, a story that got fifty articles in a minute is
    less likely to be continued than one covered every hour, with the same follow-up."""
    probabilities = []
    for size, spacing in ((50, timedelta(seconds=1)), (10, timedelta(hours=1))):
        engine = StoryEngine()
        story = story_of_burst(engine, size, spacing)
        last = SUBJECT_START + (size - 1) * spacing
        follow_up = subject_item("follow-up", last + timedelta(hours=2), 0.8, FOLLOW_UP_TITLE)
        (features,) = [features for story_id, features in engine.judge(follow_up) if story_id == story]
        probabilities.append(engine.model.probability(features))
    burst, slow = probabilities
    assert burst < slow


def test_a_copy_does_not_reopen_a_story_that_has_gone_quiet():
    engine = StoryEngine()
    story = story_of_burst(engine, 50, timedelta(seconds=1))
    republished = subject_item("republished", SUBJECT_START + timedelta(hours=9), title=BURST_TITLES[0])
    placement = engine.add(republished)
    assert placement.duplicate_of == "burst-0"
    assert placement.story_id != story and placement.is_new


def later(record: dict, days: float) -> dict:
    published = datetime.fromisoformat(record["published"]) + timedelta(days=days)
    return {**record, "id": f"{record['id']}-{days:g}d", "published": published.isoformat()}


@pytest.mark.parametrize(
    ("record", "days", "config", "rejoins"),
    [
        (FOLLOW_UP, 2, EngineConfig(), True),  # next days' coverage naming the inquiry's people: the story wakes
        (FOLLOW_UP, 10, EngineConfig(), False),  # retired more than ``dormant_for`` ago: a new story
        (FOLLOW_UP, 2, EngineConfig(dormant_members=3), False),  # the bound on members kept: forgotten
        (UNRELATED, 2, EngineConfig(), False),  # another subject: never
    ],
)
def test_a_retired_story_is_rejoined_on_strong_evidence(seed_items, make_items, record, days, config, rejoins):
    engine = StoryEngine(next_story_id=7, config=config)
    seed_story = set(place_as_the_writer_does(engine, seed_items).values())
    [arrival] = make_items([later(record, days)])
    engine.judge(arrival)  # advances the clock: the seed story is retired
    assert len(seed_story) == 1 and engine.story(min(seed_story)) is None
    placement = engine.add(arrival)
    assert (placement.story_id in seed_story) is rejoins
    assert (placement.evidence is not None and placement.evidence.rejoined) is rejoins
    if rejoins:
        assert engine.story(placement.story_id).size == len(seed_items) + 1


class FakeBridge:
    """A multilingual encoder whose vectors are given by text: what the bridge sees of each article."""

    def __init__(self, vectors: dict[str, np.ndarray] | None = None) -> None:
        self.vectors = vectors or {}
        self.encoded: list[str] = []

    def __call__(self, texts):
        self.encoded.extend(texts)
        return np.stack([self.vectors[text] for text in texts])


def english_story(engine: StoryEngine) -> int:
    return story_of_burst(engine, 3, timedelta(minutes=20))


def test_an_english_only_deployment_never_loads_the_multilingual_encoder():
    def refuse(texts):
        raise AssertionError(f"the bridge embedded {texts!r}")

    engine = StoryEngine(bridge=Bridge(refuse))
    story = english_story(engine)
    follow_up = subject_item("follow-up", SUBJECT_START + timedelta(hours=1), 0.9, FOLLOW_UP_TITLE)
    assert engine.add(replace(follow_up, language="en")).story_id == story


@pytest.mark.parametrize(
    ("bridge_similarity", "joins"),
    [
        (0.90, True),  # e5 reads the French report as the same event
        (0.75, False),  # ... or as an unrelated one: MiniLM's high cosine to the English text counts for nothing
    ],
)
def test_a_report_in_another_language_is_judged_through_the_bridge(bridge_similarity, joins):
    french_title = "Le pont du port rouvre après de longs travaux"
    vectors = {nlp.lead_text(title, title): subject_vector(1.0) for title in BURST_TITLES}
    vectors[nlp.lead_text(french_title, french_title)] = subject_vector(bridge_similarity)
    encoder = FakeBridge(vectors)
    engine = StoryEngine(bridge=Bridge(encoder))
    story = english_story(engine)
    french = replace(subject_item("french", SUBJECT_START + timedelta(hours=1), 1.0, french_title), language="fr")
    assert (engine.add(french).story_id == story) is joins
    # the French article and at most ``members`` English ones were embedded, each once
    assert len(encoder.encoded) == len(set(encoder.encoded)) <= 1 + BridgeConfig().members


def test_a_mixed_story_weighs_each_language_by_its_members():
    """An English article reaching a story of two English members and one French one: MiniLM against the
    English two, the bridge against the French one, weighted two to one."""
    french_title = "Le pont du port rouvre après de longs travaux"
    vectors = {nlp.lead_text(title, title): subject_vector(1.0) for title in BURST_TITLES + [FOLLOW_UP_TITLE]}
    vectors[nlp.lead_text(french_title, french_title)] = subject_vector(1.0)
    engine = StoryEngine(bridge=Bridge(FakeBridge(vectors)))
    story = story_of_burst(engine, 2, timedelta(minutes=20))
    french = replace(subject_item("french", SUBJECT_START + timedelta(hours=1), 1.0, french_title), language="fr")
    assert engine.add(french).story_id == story
    arrival = engine.arrival(subject_item("late", SUBJECT_START + timedelta(hours=2), 0.8, FOLLOW_UP_TITLE))
    features = engine.features(arrival, engine.story(story))
    bridged = BridgeConfig().scale * 1.0 + BridgeConfig().offset
    assert features.cosine == pytest.approx((2 * 0.8 + bridged) / 3, abs=1e-5)
    assert features.foreign_share == pytest.approx(1 / 3)  # the placement model reads how much was bridged
    french_arrival = engine.arrival(replace(subject_item("late-fr", SUBJECT_START + timedelta(hours=2)), language="fr"))
    assert engine.features(french_arrival, engine.story(story)).foreign_share == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("english_members", "bridged"),
    [
        (9, True),  # one French member in ten: its share is still bridged to
        (10, False),  # one in eleven, under ``min_share``: MiniLM's cosine to the English members stands alone
    ],
)
def test_a_story_bridges_only_to_a_share_of_other_languages_that_counts(english_members, bridged):
    french_title = "Le pont du port rouvre après de longs travaux"
    vectors = {nlp.lead_text(title, title): subject_vector(1.0) for title in BURST_TITLES + [FOLLOW_UP_TITLE]}
    vectors[nlp.lead_text(french_title, french_title)] = subject_vector(1.0)
    encoder = FakeBridge(vectors)
    engine = StoryEngine(bridge=Bridge(encoder))
    story = story_of_burst(engine, english_members, timedelta(minutes=2))
    french = replace(subject_item("french", SUBJECT_START + timedelta(hours=1), 1.0, french_title), language="fr")
    assert engine.add(french).story_id == story
    encoded = len(encoder.encoded)
    arrival = engine.arrival(subject_item("late", SUBJECT_START + timedelta(hours=2), 0.8, FOLLOW_UP_TITLE))
    cosine = engine.features(arrival, engine.story(story)).cosine
    assert (len(encoder.encoded) > encoded) is bridged
    if not bridged:
        assert cosine == pytest.approx(0.8, abs=1e-5)


def test_the_bridge_reads_the_latest_members_in_other_languages_however_big_the_story():
    story = Story(1, np.zeros(EMBEDDING_DIM, np.float32), 0, SUBJECT_START, SUBJECT_START, Counter(), [], SUBJECT_START)
    languages = ["en", "fr", "de", "fr"] + ["en"] * 50 + ["es"]
    for number, language in enumerate(languages):
        member = Member(f"m{number}", "t", "Wire", SUBJECT_START, subject_vector(1.0), frozenset(), language=language)
        story.members.append(member)
        story.count_language(member, recent=3)
    assert [member.key for member in story.latest_in_other_languages("en", 3)] == ["m54", "m3", "m2"]
    assert [member.key for member in story.latest_in_other_languages("fr", 2)] == ["m54", "m53"]
    assert [member.key for member in story.latest_in_other_languages("fr", 9)][-1] == "m2"  # three kept a language


def test_a_french_report_of_the_seed_event_joins_its_story_and_another_event_does_not(seed_items, make_items):
    """The real bridge (multilingual-e5) against the seed story's English articles."""
    french, unrelated = make_items([FRENCH_REPORT, FRENCH_UNRELATED])
    assert (french.language, unrelated.language) == ("fr", "fr")
    placed = place_as_the_writer_does(StoryEngine(), seed_items + [french, unrelated])
    seed_story = {placed[item.key] for item in seed_items}
    assert seed_story == {placed[french.key]}
    assert placed[unrelated.key] not in seed_story
    # its people are the seed story's hashtags
    seed_names = {slug for item in seed_items for slug in item.entities}
    assert {"louise-casey", "yvette-cooper"} <= set(french.entities) & seed_names


def test_entities_learned_after_placement_weigh_as_if_the_articles_came_with_them(seed_items, make_items):
    """Place first, enrich behind: articles placed without entities and told them later leave the engine judging
    the next article exactly as if they had come with them."""
    told, learned = StoryEngine(), StoryEngine()
    placed = place_in_order(told, seed_items)
    for item in sorted(seed_items, key=lambda item: item.published):
        learned.add(replace(item, entities=[]), story_id=placed[item.key])
    assert not any(story.entities for story in learned.stories())
    assert all(learned.learn_entities(item.key, item.entities) for item in seed_items)
    assert [story.entities for story in learned.stories()] == [story.entities for story in told.stories()]
    (follow_up,) = make_items([FOLLOW_UP])
    assert learned.judge(follow_up) == told.judge(follow_up)
    assert not learned.learn_entities("never-placed", ["yvette-cooper"])


@pytest.mark.parametrize(
    ("later_members", "least"),
    [
        (RECENT_MEMBERS - 1, 0.0),  # the off-subject first member is still among the latest
        (RECENT_MEMBERS, 1.0),  # it has left them: a big story is read at its latest members only
    ],
)
def test_an_article_is_compared_with_the_story_s_latest_members_only(later_members, least):
    engine = StoryEngine()
    story = engine.add(subject_item("off-subject", SUBJECT_START, similarity=0.0)).story_id
    for number in range(later_members):
        engine.add(subject_item(f"later-{number}", SUBJECT_START + timedelta(minutes=number + 1)), story_id=story)
    arrival = engine.arrival(subject_item("arrival", SUBJECT_START + timedelta(hours=1)))
    assert engine.features(arrival, engine.story(story)).recent_least == pytest.approx(least, abs=1e-6)


@pytest.mark.parametrize(
    ("language", "enriched", "entities"),
    [
        ("de", True, {"joe-biden", "white-house"}),  # no German pipeline: the names English coverage found
        ("en", True, set()),  # an English article is read by its pipeline alone
        ("fr", True, set()),
        # placed before its enrichment (place first, enrich behind): its pipeline has not read it yet
        ("en", False, {"joe-biden", "white-house"}),
        ("fr", False, {"joe-biden", "white-house"}),
    ],
)
def test_an_article_no_pipeline_has_read_names_the_entities_already_known(language, enriched, entities):
    engine = StoryEngine()
    english = replace(subject_item("english", SUBJECT_START), entities=["joe-biden", "white-house", "congress"])
    engine.add(english)
    title = "Joe Biden empfängt Olaf Scholz im Weißen Haus"
    item = replace(subject_item("arrival", SUBJECT_START, 1.0, title), language=language, enriched=enriched)
    assert engine.arrival(item).entities == entities


def test_an_article_no_pipeline_reads_keeps_the_names_it_spells_out_when_it_is_enriched():
    """Placed first and enriched behind, a German article's enrichment finds few names (``aliases``): the
    names earlier coverage found that it spells out stay its own, with those added."""
    engine = StoryEngine()
    english = replace(subject_item("english", SUBJECT_START), entities=["joe-biden", "white-house"])
    story_id = engine.add(english).story_id
    title = "Joe Biden empfängt Olaf Scholz im Weißen Haus"
    german = replace(subject_item("german", SUBJECT_START, 1.0, title), language="de")
    engine.add(german, story_id=story_id)
    engine.learn_entities("german", ["germany"])
    (member,) = [member for member in engine.story(story_id).members if member.key == "german"]
    assert member.entities == {"joe-biden", "white-house", "germany"}
    assert engine.story(story_id).entities["joe-biden"] == 2


def test_a_story_in_another_language_is_compared_on_names_and_numbers():
    """A French report shares only "Biden" and "2,000" with an English story: against its names and numbers
    that is most of what it says, against its whole vocabulary little."""
    english_title = "Biden sends 2000 troops to the border"
    french_title = "Biden envoie 2000 soldats supplémentaires vers la frontière méridionale"
    leads = [nlp.lead_text(title, title) for title in (english_title, french_title)]
    engine = StoryEngine(bridge=Bridge(FakeBridge(dict.fromkeys(leads, subject_vector(1.0)))))
    story = engine.add(subject_item("english", SUBJECT_START, 1.0, english_title)).story_id
    french = replace(subject_item("french", SUBJECT_START, 1.0, french_title), language="fr")
    english = replace(french, language="en")
    on_names = engine.features(engine.arrival(french), engine.story(story)).terms_share
    on_words = engine.features(engine.arrival(english), engine.story(story)).terms_share
    assert on_names == pytest.approx(1.0)
    assert on_words < 0.5
