"""Fits the story placement model (``storyline train placement``) on labelled development sets.

Each set is replayed in time order through the product's own ``StoryEngine`` with every article placed in its
gold story (teacher forcing), so the live stories look as a correct engine would keep them; for each article
the engine's own candidate stories and their features (``stories.placement``) are recorded, labelled by
whether the candidate is the article's gold story. Monotone gradient-boosted trees (scikit-learn's
``HistGradientBoostingClassifier``) are fitted on every pair, each set weighing the same whatever its number
of pairs (the UCI set alone has more pairs than the others together), and the trees go to
``stories/models/placement.json``.

Two cross-validated scores are printed: pair AUC from folds that keep each gold story's pairs together, and
B-cubed F1 end to end, where the gold stories are cut in two halves by a hash of their id (a story falls in the
same half in every set that holds it), a model is fitted on one half's pairs and the whole set replayed, and
the other half's articles are scored, for the join threshold and others around it.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from storyline.errors import InputError
from storyline.evals.clustering import apply_refinement
from storyline.stories.bridge import Bridge
from storyline.stories.engine import StoryEngine, StoryItem
from storyline.stories.placement import (
    FEATURE,
    FEATURES,
    LEAF,
    LEFT,
    MODEL_PATH,
    MONOTONE,
    RIGHT,
    THRESHOLD,
    VALUE,
    PlacementModel,
)
from storyline.stories.refine import Refiner

# An article joins its likeliest story when it is more likely in than out. Higher thresholds trade the
# day-spaced sets' recall for the dense week's precision (the table ``train`` prints); none serves all.
JOIN_THRESHOLD = 0.5
THRESHOLDS = (0.4, JOIN_THRESHOLD, 0.6, 0.7, 0.8)
NEVER_JOINS = PlacementModel(trees=(), baseline=-50.0, threshold=2.0)  # teacher forcing picks every story
FOLDS = 5
# Small trees, each leaf backed by many pairs: the development sets are a few hundred stories, and a held-out
# corpus will not look like them.
TREES = dict(max_iter=150, learning_rate=0.1, max_leaf_nodes=8, min_samples_leaf=50, random_state=0)
UCI_SQUEEZE = 10.0
Progress = Callable[[str], None]


@dataclass(slots=True)
class LabelledSet:
    name: str
    items: list[StoryItem]  # in time order
    gold: list[str]


def read_import_file(path: Path) -> LabelledSet:
    """A JSON Lines file in the import format with a gold ``story``, made into story items the way
    ``Processor.place`` makes them (extraction, sentences, non-topic hashtags, the embedding of title and lead)."""
    from storyline import nlp
    from storyline.enrich.entities import extract_hashtags
    from storyline.fetch.jsonl import parse_line
    from storyline.pipeline import embedding_text, story_item, unsplit_article

    articles, gold = [], []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            if "story" not in record:
                raise InputError(f"line {number}: no gold 'story'", subject=str(path))
            gold.append(str(record.pop("story")))
            article = unsplit_article(parse_line(json.dumps(record)))
            article.sentences = nlp.split_sentences(article.text)
            articles.append(article)
    embeddings = nlp.embed([embedding_text(article) for article in articles])
    items = [
        story_item(article, embedding, [tag.slug for tag in extract_hashtags(article) if tag.kind != "topic"])
        for article, embedding in zip(articles, embeddings, strict=True)
    ]
    return _in_time_order(path.stem, items, gold)


def read_uci_file(path: Path, squeeze: float = 1.0) -> LabelledSet:
    from storyline.evals.clustering import prepare, read_uci, squeeze_story_starts
    from storyline.pipeline import story_item

    prepared = prepare(squeeze_story_starts(read_uci(path), squeeze))
    items = [
        story_item(article, embedding, slugs)
        for article, embedding, slugs in zip(prepared.articles, prepared.embeddings, prepared.entities, strict=True)
    ]
    name = path.stem if squeeze == 1 else f"{path.stem}-squeeze{squeeze:g}"
    return _in_time_order(name, items, [row.story for row in prepared.rows])


def development_sets(data_dir: Path) -> list[LabelledSet]:
    """What the bundled model is fitted on: the AllSides development stories in both time variants and with
    most articles of a third of the stories translated (where the trees learn what a comparison across
    languages is worth), and the UCI headlines with their stories' starts squeezed ten times closer. Raw, every
    UCI story is a one-minute burst far from the next, and a model fitted on that learns that time alone
    separates stories."""
    return [
        read_import_file(data_dir / "allsides-dev-day.jsonl"),
        read_import_file(data_dir / "allsides-dev-week.jsonl"),
        read_import_file(data_dir / "allsides-xling-dev.jsonl"),
        read_uci_file(data_dir / "news-aggregator-dev.csv", squeeze=UCI_SQUEEZE),
    ]


def _in_time_order(name: str, items: list[StoryItem], gold: list[str]) -> LabelledSet:
    order = sorted(range(len(items)), key=lambda index: (items[index].published, index))
    return LabelledSet(name, [items[index] for index in order], [gold[index] for index in order])


def pairs(labelled: LabelledSet, bridge: Bridge) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(features, labels, gold story of each pair's article) over a teacher-forced replay of the set."""
    engine = StoryEngine(model=NEVER_JOINS, bridge=bridge)
    story_of_gold: dict[str, int] = {}
    gold_of_story: dict[int, str] = {}
    rows, labels, groups = [], [], []
    for item, gold in zip(labelled.items, labelled.gold, strict=True):
        for story_id, features in engine.judge(item):
            rows.append(features.vector())
            labels.append(gold_of_story[story_id] == gold)
            groups.append(gold)
        target = story_of_gold.get(gold)
        placement = engine.add(item, story_id=target if target is not None and engine.story(target) else None)
        story_of_gold[gold] = placement.story_id
        gold_of_story.setdefault(placement.story_id, gold)
    return np.array(rows).reshape(-1, len(FEATURES)), np.array(labels, dtype=bool), groups


@dataclass(slots=True)
class Pairs:
    features: np.ndarray
    labels: np.ndarray
    # The gold story of each pair's article. The AllSides sets hold the same stories (their times redrawn, or
    # translated), so a story is held out of every set at once: held out of one alone, a model would have seen
    # the very articles it is scored on.
    groups: list[str]
    weights: np.ndarray  # each set sums to the same


def all_pairs(sets: Sequence[LabelledSet], bridge: Bridge) -> Pairs:
    collected = [pairs(labelled, bridge) for labelled in sets]
    total = sum(len(labels) for _, labels, _ in collected)
    return Pairs(
        features=np.concatenate([features for features, _, _ in collected]),
        labels=np.concatenate([labels for _, labels, _ in collected]),
        groups=[group for _, _, groups in collected for group in groups],
        weights=np.concatenate(
            [np.full(len(labels), total / (len(collected) * len(labels))) for _, labels, _ in collected]
        ),
    )


def fit(features: np.ndarray, labels: np.ndarray, weights: np.ndarray, threshold: float = 0.5) -> PlacementModel:
    return model_from_trees(fit_trees(features, labels, weights), threshold)


def fit_trees(features: np.ndarray, labels: np.ndarray, weights: np.ndarray):
    from sklearn.ensemble import HistGradientBoostingClassifier

    monotone = [MONOTONE.get(name, 0) for name in FEATURES]
    return HistGradientBoostingClassifier(monotonic_cst=monotone, **TREES).fit(features, labels, sample_weight=weights)


def model_from_trees(classifier, threshold: float) -> PlacementModel:
    """The fitted trees as the product's node tables. Relies on scikit-learn's ``_predictors``, checked against
    its own ``decision_function`` in the tests."""
    trees = []
    for (predictor,) in classifier._predictors:
        nodes = predictor.nodes
        table = np.zeros((len(nodes), 6))
        table[:, FEATURE], table[:, THRESHOLD] = nodes["feature_idx"], nodes["num_threshold"]
        table[:, LEFT], table[:, RIGHT] = nodes["left"], nodes["right"]
        table[:, LEAF], table[:, VALUE] = nodes["is_leaf"], nodes["value"]
        trees.append(table)
    return PlacementModel(tuple(trees), float(np.ravel(classifier._baseline_prediction)[0]), threshold)


def pair_scores(data: Pairs) -> dict:
    """AUC of the pairs' probabilities from models fitted without the held-out stories' pairs."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold

    predicted = np.zeros(len(data.labels))
    for train, test in GroupKFold(n_splits=FOLDS).split(data.features, data.labels, data.groups):
        trees = fit_trees(data.features[train], data.labels[train], data.weights[train])
        predicted[test] = trees.predict_proba(data.features[test])[:, 1]
    return {
        "pairs": int(len(data.labels)),
        "positives": int(data.labels.sum()),
        "auc": round(float(roc_auc_score(data.labels, predicted, sample_weight=data.weights)), 4),
    }


def story_half(story: str) -> int:
    """The cross-validation half of a gold story, the same in every set that holds it."""
    return zlib.crc32(story.encode("utf-8")) % 2


def held_out_f1(sets: Sequence[LabelledSet], data: Pairs, bridge: Bridge) -> dict[float, dict[str, float]]:
    """For each threshold, each set's B-cubed F1 over the articles of the gold stories a model did not see."""
    halves = np.array([story_half(story) for story in data.groups])
    models = {
        half: fit(data.features[halves != half], data.labels[halves != half], data.weights[halves != half])
        for half in (0, 1)
    }
    scores: dict[float, dict[str, float]] = {}
    for threshold in THRESHOLDS:
        scores[threshold] = {}
        for labelled in sets:
            per_half = []
            gold = dict(zip((item.key for item in labelled.items), labelled.gold, strict=True))
            for half, model in models.items():
                predicted = replay(labelled, replace(model, threshold=threshold), bridge)
                scored = [key for key, story in gold.items() if story_half(story) == half]
                per_half.append(bcubed_of(scored, gold, predicted)["f1"])
            scores[threshold][labelled.name] = round(float(np.mean(per_half)), 4)
    return scores


def bcubed_of(scored: Sequence[str], gold: dict[str, str], predicted: dict[str, int]) -> dict[str, float]:
    """B-cubed averaged over the ``scored`` items only, their clusters and gold stories counted in full: an
    article of a held-out story wrongly joined to a story the model saw still costs its precision."""
    clusters: dict[int, list[str]] = {}
    stories: dict[str, list[str]] = {}
    for key in gold:
        clusters.setdefault(predicted[key], []).append(key)
        stories.setdefault(gold[key], []).append(key)
    precision = recall = 0.0
    for key in scored:
        cluster, story = clusters[predicted[key]], stories[gold[key]]
        precision += sum(gold[other] == gold[key] for other in cluster) / len(cluster)
        recall += sum(predicted[other] == predicted[key] for other in story) / len(story)
    precision, recall = precision / len(scored), recall / len(scored)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def replay(labelled: LabelledSet, model: PlacementModel, bridge: Bridge) -> dict[str, int]:
    """Each article's story when the set is replayed through the engine with ``model``, refining as the story
    writer does."""
    engine, refiner = StoryEngine(model=model, bridge=bridge), Refiner()
    predicted: dict[str, int] = {}
    for item in labelled.items:
        predicted[item.key] = engine.add(item).story_id
        apply_refinement(predicted, refiner.refine_if_due(engine))
    return predicted


def train(sets: Sequence[LabelledSet], output: Path = MODEL_PATH, progress: Progress = lambda _: None) -> dict:
    # One bridge for every replay: it embeds each article in the multilingual space once, not once a replay.
    bridge = Bridge()
    progress("replaying the sets with their gold stories")
    data = all_pairs(sets, bridge)
    progress("cross-validating pairs")
    scores = pair_scores(data)
    progress("cross-validating stories")
    by_threshold = held_out_f1(sets, data, bridge)
    model = fit(data.features, data.labels, data.weights, JOIN_THRESHOLD)
    output.write_text(json.dumps(model.to_json(), indent=2) + "\n", encoding="utf-8")
    return {
        "cross_validated_pairs": scores,
        "threshold": JOIN_THRESHOLD,
        "cross_validated_f1": by_threshold[JOIN_THRESHOLD],
        "cross_validated_f1_by_threshold": {str(t): v for t, v in by_threshold.items()},
        "written": str(output),
    }
