"""The refinement pass on real embeddings: which stories it merges and splits, and what the engine holds after."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import numpy as np
import pytest

from storyline.nlp import EMBEDDING_DIM
from storyline.stories import refine as refine_module
from storyline.stories.engine import StoryEngine, StoryItem
from storyline.stories.refine import Merge, RefineConfig, Refiner, Verdicts, refine, title_overlap, title_words

from .conftest import TESTDATA, read_records

# One event told by several outlets within the hour, headlines reworded.
GOX = [
    ("gox-1", "Reuters", "08:00", "Mt. Gox files for bankruptcy protection in Tokyo after losing bitcoins"),
    ("gox-2", "BBC News", "08:04", "Bitcoin exchange Mt. Gox files for bankruptcy protection in Tokyo"),
    ("gox-3", "Bloomberg", "08:06", "Mt. Gox files for bankruptcy protection after bitcoins go missing"),
    ("gox-4", "CNBC", "08:09", "Mt. Gox bitcoin exchange files for bankruptcy protection"),
]
GOX_MORE = [
    ("gox-5", "AP", "08:12", "Mt. Gox seeks bankruptcy protection in Japan"),
    ("gox-6", "Financial Times", "08:15", "Bankrupt bitcoin exchange Mt. Gox blames hackers for missing coins"),
]
# Same hour, same template headline, another company: the means are as close as a merge needs (0.51).
OTHER_BANKRUPTCY = [
    ("efh-1", "Reuters", "08:01", "Energy Future Holdings files for bankruptcy protection in Delaware"),
    ("efh-2", "Bloomberg", "08:05", "Texas utility Energy Future files for bankruptcy protection"),
]
# Same company, same names (Mt. Gox, Tokyo), another development.
GOX_CHIEF = [
    ("karp-1", "Reuters", "08:03", "Mt. Gox chief Mark Karpeles summoned by Tokyo court"),
    ("karp-2", "AP", "08:07", "Mt. Gox CEO Karpeles ordered to appear in US court in Dallas"),
]
# Same hour, same currency, another event.
BITCOIN_ATM = [
    ("atm-1", "Reuters", "08:02", "First bitcoin ATM in Asia opens in a Hong Kong shopping centre"),
    ("atm-2", "CNBC", "08:05", "Hong Kong shoppers queue at Asia's first bitcoin cash machine"),
]
# Same morning, same stage, another event.
HOTELS = [
    ("hotels-1", "The Times", "08:00", "Home Office pledges to close all asylum hotels by end of parliament"),
    ("hotels-2", "BBC News", "08:07", "Home Office says asylum hotels will all close before the next election"),
]
BOATS = [
    ("boats-1", "Sky News", "08:03", "More than 1,000 migrants cross Channel in small boats in a single week"),
    ("boats-2", "The Guardian", "08:08", "Small boat crossings top 1,000 in a week as Channel arrivals rise"),
]
SPORT = [
    ("sport-1", "BBC Sport", "18:00", "Wimbledon draw: Draper handed tough opener at All England Club"),
    ("sport-2", "Sky Sports", "18:05", "Raducanu to face qualifier in Wimbledon first round"),
    ("sport-3", "The Guardian", "18:10", "Alcaraz top seed as Wimbledon draw throws up early Djokovic test"),
]


def records(rows: list[tuple[str, str, str, str]], day: str = "2025-06-16") -> list[dict]:
    return [
        {"id": key, "source": source, "published": f"{day}T{clock}:00+00:00", "title": title, "text": title}
        for key, source, clock, title in rows
    ]


def engine_with(stories: list[list[StoryItem]], first_id: int = 1) -> StoryEngine:
    """Each group placed into its own story, in time order, whatever the engine would have decided."""
    engine = StoryEngine(next_story_id=first_id)
    placed = sorted(
        ((item, first_id + number) for number, group in enumerate(stories) for item in group),
        key=lambda pair: pair[0].published,
    )
    for item, story_id in placed:
        engine.add(item, story_id=story_id)
    return engine


@pytest.fixture(scope="module")
def items(make_items, seed_items) -> dict[str, list[StoryItem]]:
    ordered_seed = sorted(seed_items, key=lambda item: item.published)
    groups = {
        "gox": GOX,
        "gox-more": GOX_MORE,
        "efh": OTHER_BANKRUPTCY,
        "karpeles": GOX_CHIEF,
        "atm": BITCOIN_ATM,
        "hotels": HOTELS,
        "boats": BOATS,
    }
    made = {name: make_items(records(rows)) for name, rows in groups.items()}
    made["gox-early"], made["gox-late"] = made["gox"][:2], made["gox"][2:]
    made["seed-early"], made["seed-late"] = ordered_seed[:2], ordered_seed[2:]
    made["seed"] = ordered_seed
    # The lead alone, with French and German briefs that joined it, which name fewer of its names (German none
    # of its own): its English coverage is what to compare with the seed's other three reports.
    briefs = [read_records(TESTDATA / name)[0] for name in ("french.jsonl", "german.jsonl")]
    made["seed-lead-abroad"] = ordered_seed[:1] + make_items(briefs)
    made["seed-rest"] = ordered_seed[1:]
    # The same briefs as a story of their own: the seed event reported in French and German only.
    made["seed-abroad"] = made["seed-lead-abroad"][1:]
    made["sport"] = make_items(records(SPORT))
    made["wimbledon-abroad"] = make_items(read_records(TESTDATA / "french.jsonl")[1:])
    return made


@pytest.mark.parametrize(
    ("groups", "merges"),
    [
        # one event cut in two by the online pass: reworded headlines from different outlets
        (["gox-early", "gox-late"], [Merge(1, 2)]),
        # the seed story cut in two: close means and many shared names (Casey, Cooper, Rotherham, ...)
        (["seed-early", "seed-late"], [Merge(1, 2)]),
        # the seed story cut in two, its lead's half holding reports in two other languages
        (["seed-lead-abroad", "seed-rest"], [Merge(1, 2)]),
        # the younger fragment keeps nothing: it is the older id that survives, whatever the sizes
        (["gox-early", "atm", "gox-late"], [Merge(1, 3)]),
        # neighbouring but different: close means and template headlines, but no names in common
        (["gox", "efh"], []),
        # neighbouring but different: two names in common (Mt. Gox, Tokyo), another development
        (["gox", "karpeles"], []),
        # neighbouring but different: same currency, same hour
        (["gox", "atm"], []),
        # neighbouring but different: both Home Office migration stories, same morning
        (["hotels", "boats"], []),
        # neighbouring but different: the seed story against a Home Office story
        (["seed", "hotels"], []),
        # one event, a story in English and one in other languages only: its reports would join the English one
        (["seed", "seed-abroad"], [Merge(1, 2)]),
        (["sport", "wimbledon-abroad"], [Merge(1, 2)]),
        # reports in other languages of another event, the same evening
        (["seed", "wimbledon-abroad"], []),
        (["sport", "seed-abroad"], []),
        (["hotels", "seed-abroad"], []),
    ],
)
def test_merges_only_stories_about_the_same_event(items, groups, merges):
    engine = engine_with([items[name] for name in groups])
    assert refine(engine).merges == merges


def test_a_merge_says_what_the_two_stories_share(items):
    engine = engine_with([items["seed-early"], items["seed-late"]])
    (merge,) = refine(engine).merges
    assert merge.cosine >= RefineConfig().merge_cosine
    assert len(merge.entities) >= RefineConfig().merge_shared_entities and "louise-casey" in merge.entities


def test_a_merge_moves_everything_into_the_older_story(items):
    engine = engine_with([items["seed-early"], items["seed-late"]])
    refine(engine)
    survivor = engine.story(1)
    assert engine.story(2) is None and engine.live_stories == 1 and engine.index_size == 1
    assert {member.key for member in survivor.members} == {item.key for item in items["seed"]}
    assert survivor.size == 4
    assert survivor.entities["louise-casey"] == sum("louise-casey" in item.entities for item in items["seed"])
    assert all(engine.story_of(item.key) == 1 for item in items["seed"])


def test_after_a_merge_a_new_article_joins_the_survivor(items, make_items):
    engine = engine_with([items["gox-early"], items["gox-late"][:1]])
    refine(engine)
    follow_up = make_items(records([("gox-5", "AP", "08:20", "Mt. Gox files for bankruptcy protection in Japan")]))
    assert engine.add(follow_up[0]).story_id == 1


@pytest.mark.parametrize(
    ("groups", "moved"),
    [
        # seed story (4) with three Wimbledon articles forced into it: the bigger part keeps the id
        (["seed", "sport"], "sport"),
        (["sport", "seed"], "sport"),
        # the seed story with two Home Office migration articles forced into it: too close for the embedding
        # split, but the placement model, judging the members two by two and then each group against the
        # other whole, keeps them apart
        (["seed", "hotels"], "hotels"),
        (["seed", "boats"], "boats"),
        # one coherent story is left whole, and so is the seed story
        (["gox", "gox-more"], None),
        (["seed"], None),
    ],
)
def test_splits_only_clearly_mixed_stories(items, groups, moved):
    members = [item for name in groups for item in items[name]]
    engine = engine_with([members], first_id=5)
    refinement = refine(engine)
    if moved is None:
        assert refinement.splits == [] and engine.story(5).size == len(members)
        return
    expected = {item.key for item in items[moved]}
    [split] = refinement.splits
    assert (split.story_id, split.new_story_id, set(split.moved_keys)) == (5, 6, expected)
    assert {member.key for member in engine.story(6).members} == expected
    assert engine.story(5).size == len(members) - len(expected)
    assert all(engine.story_of(key) == 6 for key in expected)
    assert engine.next_story_id == 7


def test_no_model_split_that_the_merge_pass_would_undo(items):
    """With a merge rule that takes any two stories, splitting the hotels off the seed story would be merged
    back in the same pass, and again at every pass after, each time under a new id."""
    engine = engine_with([items["seed"] + items["hotels"]], first_id=5)
    refinement = refine(
        engine, RefineConfig(merge_cosine=-1.0, merge_title_overlap=0.0, merge_max_gap=timedelta(days=365))
    )
    assert refinement.splits == [] and refinement.merges == []
    assert engine.story(5).size == len(items["seed"]) + len(items["hotels"])


def two_groups(sizes: tuple[int, int], cosine: float) -> list[StoryItem]:
    """Members in two tight groups whose means have the given cosine; each member is nudged along a
    dimension of its own so no two are identical."""
    angle = math.acos(cosine)
    directions = [(1.0, 0.0), (math.cos(angle), math.sin(angle))]
    start = datetime(2025, 6, 16, 8, tzinfo=timezone.utc)
    made: list[StoryItem] = []
    for group, (size, (x, y)) in enumerate(zip(sizes, directions, strict=True)):
        for number in range(size):
            vector = np.zeros(EMBEDDING_DIM, dtype=np.float32)
            vector[:2] = x, y
            vector[2 + len(made)] = 0.05
            key = f"g{group}-{number}"
            made.append(StoryItem(key, key, key, "Wire", start + timedelta(minutes=len(made)), vector, []))
    return made


@pytest.mark.parametrize(
    ("sizes", "cosine", "splits"),
    [
        ((4, 3), 0.0, True),
        ((4, 3), 0.25, True),
        ((4, 3), 0.4, False),  # apart, but not further than a merge could bring back together
        ((4, 3), 0.9, False),
        ((6, 2), 0.0, False),  # the smaller side is too small to be a story of its own
        ((9, 3), 0.0, True),
        ((10, 3), 0.0, False),  # ... or too small a share of the story
    ],
)
def test_split_needs_two_sizeable_groups_far_apart(sizes, cosine, splits):
    """The 2-means split alone: the placement model's split, tested apart, reads more than these vectors."""
    engine = engine_with([two_groups(sizes, cosine)])
    refinement = refine(engine, RefineConfig(model_split=False))
    assert bool(refinement.splits) == splits
    if splits:
        assert set(refinement.splits[0].moved_keys) == {f"g1-{number}" for number in range(sizes[1])}


def test_the_refiner_waits_for_its_period_in_item_time(items):
    engine = engine_with([items["gox-early"]])
    refiner = Refiner(RefineConfig())
    assert refiner.refine_if_due(engine).merges == []  # the first call always runs: nothing to merge yet
    for item in items["gox-late"]:
        engine.add(item, story_id=2)  # 6 and 9 minutes later, inside the 10-minute period
    assert not refiner.refine_if_due(engine)
    later = items["gox"][0]
    engine.add(
        StoryItem(
            "gox-much-later", later.title, later.text, "AP", later.published.replace(hour=9), later.embedding, []
        ),
        story_id=2,
    )
    assert refiner.refine_if_due(engine).merges == [Merge(1, 2)]


def test_merge_refuses_to_let_a_younger_story_absorb_an_older_one(items):
    engine = engine_with([items["gox-early"], items["gox-late"]])
    with pytest.raises(ValueError):
        engine.merge(2, 1)


def _pairwise_title_overlap(a, b) -> float:
    """The definition, pair by pair: best headline word Jaccard between different outlets."""
    best = 0.0
    for left in a.members:
        for right in b.members:
            if left.source != right.source:
                x, y = title_words(left.title), title_words(right.title)
                best = max(best, len(x & y) / len(x | y) if x or y else 0.0)
    return best


def test_title_overlap_scores_every_pair_of_other_outlets_exactly():
    words = "casey report inquiry grooming gangs home office cooper national review police".split()
    rng = random.Random(3)

    def story(size: int) -> SimpleNamespace:
        return SimpleNamespace(
            members=[
                SimpleNamespace(title=" ".join(rng.sample(words, rng.randint(0, 6))), source=rng.choice("ABC"))
                for _ in range(size)
            ]
        )

    pairs = [(story(rng.randint(1, 12)), story(rng.randint(1, 12))) for _ in range(300)]
    assert [title_overlap(a, b) for a, b in pairs] == [_pairwise_title_overlap(a, b) for a, b in pairs]
    same_outlet = SimpleNamespace(members=[SimpleNamespace(title="Casey report", source="A")])
    assert title_overlap(same_outlet, same_outlet) == 0.0


def test_a_pass_judges_again_only_the_stories_that_changed(items, make_items, monkeypatch):
    judged: dict[str, list] = {"split": [], "merge": []}

    def judging(kind, test):
        def judge(*stories_and_config):
            judged[kind].append(tuple(story.id for story in stories_and_config[:-1]))
            return test(*stories_and_config)

        return judge

    monkeypatch.setattr(refine_module, "proposed_split", judging("split", refine_module.proposed_split))
    monkeypatch.setattr(refine_module, "should_merge", judging("merge", refine_module.should_merge))
    engine = engine_with([items["gox"], items["atm"]])
    verdicts = Verdicts()
    assert not refine(engine, verdicts=verdicts)
    assert judged == {"split": [(1,), (2,)], "merge": [(1, 2)]}

    judged["split"].clear(), judged["merge"].clear()
    assert not refine(engine, verdicts=verdicts)
    assert judged == {"split": [], "merge": []}

    follow_up = make_items(records([("gox-9", "AP", "09:40", "Mt. Gox customers wait for news of their bitcoins")]))
    engine.add(follow_up[0], story_id=1)
    assert not refine(engine, verdicts=verdicts)
    assert judged == {"split": [(1,)], "merge": [(1, 2)]}


SPLIT_A = refine_module.Split(1, 3, frozenset({"a2", "b1"}), "", datetime(2025, 6, 16), datetime(2025, 6, 16))
SPLIT_C = refine_module.Split(3, 4, frozenset({"b1"}), "", datetime(2025, 6, 16), datetime(2025, 6, 16))


@pytest.mark.parametrize(
    "earlier, later",
    [
        # a merge, then a split of the survivor that moves an article the merge brought
        (refine_module.Refinement([Merge(1, 2)]), refine_module.Refinement(splits=[SPLIT_A])),
        # a split, then the part split off merged into another story
        (refine_module.Refinement(splits=[SPLIT_A]), refine_module.Refinement([Merge(2, 3)])),
        # a chain of merges: the survivor of the first absorbed by the second
        (refine_module.Refinement([Merge(2, 3)]), refine_module.Refinement([Merge(1, 2)])),
        # a split of the part a split made
        (refine_module.Refinement(splits=[SPLIT_A]), refine_module.Refinement(splits=[SPLIT_C])),
    ],
)
def test_two_passes_as_one_move_every_article_where_the_passes_in_turn_do(earlier, later):
    """What the writer stores after a batch in which several passes fell due (``Refinement.then``)."""
    articles = [("a1", 1), ("a2", 1), ("b1", 2), ("b2", 2), ("c1", 3)]
    in_turn = [later.story_after(key, earlier.story_after(key, story)) for key, story in articles]
    assert [earlier.then(later).story_after(key, story) for key, story in articles] == in_turn
