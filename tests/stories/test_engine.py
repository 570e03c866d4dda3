from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from storyline.nlp import EMBEDDING_DIM
from storyline.stories.engine import EngineConfig, StoryEngine, StoryItem

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


def place_in_order(engine: StoryEngine, items: list[StoryItem]) -> dict[str, int]:
    return {item.key: engine.add(item).story_id for item in sorted(items, key=lambda item: item.published)}


def test_seed_articles_form_exactly_one_story(seed_items):
    placed = place_in_order(StoryEngine(), seed_items)
    assert len(set(placed.values())) == 1


def test_neighbouring_subjects_stay_out_of_the_seed_story(seed_items, neighbour_items):
    placed = place_in_order(StoryEngine(), seed_items + neighbour_items)
    seed_story = {placed[item.key] for item in seed_items}
    assert len(seed_story) == 1
    intruders = [item.key for item in neighbour_items if placed[item.key] in seed_story]
    assert intruders == []


def test_first_article_starts_a_new_story_and_the_next_joins_it(seed_items):
    engine = StoryEngine(next_story_id=40)
    ordered = sorted(seed_items, key=lambda item: item.published)
    first, second = engine.add(ordered[0]), engine.add(ordered[1])
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
    return StoryItem(
        key=f"item-{number}",
        title=f"Headline number {number}",
        text=f"Headline number {number}",
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


def subject_item(key: str, published: datetime, similarity: float = 1.0, title: str | None = None) -> StoryItem:
    title = title or f"Coverage {key} of the subject"
    return StoryItem(key, title, title, "Wire", published, subject_vector(similarity))


def story_of_burst(engine: StoryEngine, size: int, spacing: timedelta) -> int:
    placed = {engine.add(subject_item(f"burst-{n}", SUBJECT_START + n * spacing)).story_id for n in range(size)}
    assert len(placed) == 1
    return placed.pop()


@pytest.mark.parametrize(
    ("size", "spacing", "lull", "similarity", "joins"),
    [
        # a lone article's story is judged by the prior pace: a close match continues it hours later
        (1, timedelta(0), timedelta(hours=8), 1.0, True),
        (1, timedelta(0), timedelta(hours=1), 0.55, True),
        # a burst of fifty in under a minute that then falls silent for hours is over
        (50, timedelta(seconds=1), timedelta(hours=8), 1.0, False),
        (50, timedelta(seconds=1), timedelta(hours=2), 1.0, True),
        # ... and after an hour only a close match continues it, where a slow story takes a looser one
        (50, timedelta(seconds=1), timedelta(hours=1), 0.55, False),
        # a story covered hourly lives through a lull of the same length
        (10, timedelta(hours=1), timedelta(hours=8), 1.0, True),
    ],
)
def test_a_lull_is_judged_by_the_pace_of_the_story(size, spacing, lull, similarity, joins):
    engine = StoryEngine()
    story = story_of_burst(engine, size, spacing)
    last = SUBJECT_START + (size - 1) * spacing
    placement = engine.add(subject_item("follow-up", last + lull, similarity, "A later report on the subject"))
    assert (placement.story_id == story) is joins
    assert placement.is_new is not joins


def test_a_copy_does_not_reopen_a_story_that_has_gone_quiet():
    engine = StoryEngine()
    story = story_of_burst(engine, 50, timedelta(seconds=1))
    republished = subject_item(
        "republished", SUBJECT_START + timedelta(hours=9), title="Coverage burst-0 of the subject"
    )
    placement = engine.add(republished)
    assert placement.duplicate_of == "burst-0"
    assert placement.story_id != story and placement.is_new
