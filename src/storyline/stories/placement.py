"""Whether an article belongs to a live story: gradient-boosted trees over what the two share.

The features say what distinguishes two events that read alike (``FEATURES``): the sentence-embedding cosine
to the story's mean, the rare words and the named entities they share (``lexical``), how long the story has
been quiet, in hours and in the story's own pace, its size, and the article's lowest cosine to the story's
latest members (``engine.RECENT_MEMBERS``): a story that has drifted or gathered two events keeps a broad mean
that many articles come close to, while an article of its event reads like each of its latest reports.
Bounded to the latest few, it costs the same in a story of 10,000 articles. Across languages the cosine comes
from the multilingual bridge (``bridge``) and the shared words are the names and numbers a translation keeps, so
the share of the story in other languages than the article's is a feature too: the trees learn, from the
translated development set, how much each signal is worth there. The outlet is left out on purpose:
each outlet covers an AllSides story once, so a model would learn that an outlet's second article is another
story, while real outlets file follow-ups and live updates.

Trees, because the features interact (whether a lull matters depends on the story's pace, whether shared
words matter on how alike the two read); the cross-validated scores of the alternatives tried are in the
README. Each tree is constrained to be monotone (``MONOTONE``): more similarity or more shared vocabulary
never lowers the probability, a longer lull never raises it, and a bigger story never lowers it (no AllSides
story has more than three articles, and unconstrained trees learned that a fourth is an intruder). So no
quirk of the training data can push an identical article out of its story, as a regression over products of
the features did beyond the range it was fitted on. The trees are fitted by ``storyline train placement``
(``storyline.training``) and read from ``models/placement.json``; this module only applies them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np

from storyline.errors import ConfigError

MODEL_PATH = Path(__file__).parent / "models" / "placement.json"
# Lulls shorter than this read as this long. Closer timestamps say nothing about the event: a feed stamps all
# its entries with one time, a sitemap gives dates only, a busy aggregator sees an unrelated article every few
# seconds. Only in the UCI headlines, stamped when the aggregator crawled a story's cluster, do a story's
# articles arrive within a second of each other; unfloored, the trees learned that as proof of one story
# (three unrelated articles stamped alike joined one story, whatever they said).
LULL_RESOLUTION = timedelta(minutes=10)
# An article stamped at midnight, the same midnight as the story's latest, comes from a source that gives
# dates only: the time between them is unknown, not zero. Such a pair is judged at each of these lulls and the
# probabilities averaged, an expectation over when each was really published. (Equal stamps at other times
# are real: two outlets publishing in the same minute.) So is an article that came with no date at all and is
# stamped with when it arrived (``StoryItem.undated``), and a story whose latest stamp is such an arrival.
UNKNOWN_LULLS = tuple(timedelta(hours=hours) for hours in (0, 1, 3, 6, 12))
# A midnight stamp against a timed one: the date-only side was published at some time of its day, unknown, so
# the pair is judged as if it had come at each of these hours (the middles of six four-hour spans) and the
# probabilities averaged. Two midnights of different days keep their whole days apart, the expected distance.
TIMES_OF_DAY = tuple(timedelta(hours=hours) for hours in (2, 6, 10, 14, 18, 22))

FEATURES = (
    "cosine",  # the article's embedding against the story's mean
    "terms_share",  # idf mass of the article's words the story's members hold, by share of members
    "terms_any",  # ... that any member holds
    "entities_share",  # the same for the people, organisations and places they name
    "entities_any",
    "entities_none",  # 1 when the article names no entity: the entity features then say nothing
    "lull_hours",  # log(1 + hours since the story's last article)
    "lull_paces",  # 1 - exp(-lull / the story's pace): a lull is long or short for this story
    "log_size",  # log(number of members)
    "recent_least",  # the article's lowest cosine to the story's latest members in its language
    "foreign_share",  # share of the story's members in other languages than the article's
)


@dataclass(frozen=True, slots=True)
class PairFeatures:
    cosine: float
    terms_share: float
    terms_any: float
    entities_share: float
    entities_any: float
    entities_none: float
    lull: timedelta
    pace: timedelta
    size: int
    # None when no latest member is in the article's language: the cosine to the story stands in.
    recent_least: float | None = None
    # Across languages the cosine comes from the bridge and the shared words are names and numbers only, which
    # say less than the same signals within one language: the trees read how much of the story that concerns.
    foreign_share: float = 0.0
    # The lulls the pair may have had when its stamps do not tell (``possible_lulls``), judged at each and the
    # probabilities averaged; empty when ``lull`` is exact
    lulls: tuple[timedelta, ...] = ()

    def vector(self) -> np.ndarray:
        hours, paces = lull_columns(self.lull.total_seconds(), self.pace.total_seconds())
        return np.array(
            [
                self.cosine,
                self.terms_share,
                self.terms_any,
                self.entities_share,
                self.entities_any,
                self.entities_none,
                hours,
                paces,
                math.log(max(self.size, 1)),
                self.cosine if self.recent_least is None else self.recent_least,
                self.foreign_share,
            ],
            dtype=np.float64,
        )


# +1: the probability never falls as the feature grows; -1: never rises; 0: free.
MONOTONE = {"cosine": 1, "terms_share": 1, "terms_any": 1, "entities_share": 1, "entities_any": 1, "lull_hours": -1,
            "lull_paces": -1, "log_size": 1, "recent_least": 1}  # fmt: skip
# The columns of a tree's node table.
FEATURE, THRESHOLD, LEFT, RIGHT, LEAF, VALUE = range(6)


@dataclass(frozen=True, slots=True)
class PlacementModel:
    """A sum of decision trees giving the log-odds that the article belongs to the story."""

    trees: tuple[np.ndarray, ...]  # each a table of nodes, one a row (the columns above); node 0 is the root
    baseline: float  # log-odds before any tree
    threshold: float  # join the best story when its probability reaches this

    def probability(self, features: PairFeatures) -> float:
        if features.lulls:
            rows = np.stack([replace(features, lull=lull).vector() for lull in features.lulls])
            return float(self.probabilities(rows).mean())
        vector = features.vector()
        logit = self.baseline
        for nodes in self.trees:
            node = nodes[0]
            while not node[LEAF]:
                node = nodes[int(node[LEFT] if vector[int(node[FEATURE])] <= node[THRESHOLD] else node[RIGHT])]
            logit += node[VALUE]
        return 1 / (1 + math.exp(-max(min(logit, 50.0), -50.0)))

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """``probability`` for each row of ``vectors`` (rows as ``PairFeatures.vector`` makes them), all at once:
        each tree is walked level by level for every row together."""
        vectors = np.asarray(vectors, dtype=np.float64).reshape(-1, len(FEATURES))
        rows = np.arange(len(vectors))
        logits = np.full(len(vectors), self.baseline)
        for nodes in self.trees:
            node = np.zeros(len(vectors), dtype=np.intp)
            inner = ~nodes[node, LEAF].astype(bool)
            while inner.any():
                left = vectors[rows, nodes[node, FEATURE].astype(np.intp)] <= nodes[node, THRESHOLD]
                child = np.where(left, nodes[node, LEFT], nodes[node, RIGHT]).astype(np.intp)
                node = np.where(inner, child, node)
                inner = ~nodes[node, LEAF].astype(bool)
            logits += nodes[node, VALUE]
        return 1 / (1 + np.exp(-np.clip(logits, -50.0, 50.0)))

    def to_json(self) -> dict:
        return {
            "features": list(FEATURES),
            "baseline": round(self.baseline, 8),
            "threshold": self.threshold,
            "trees": [[[_compact(value) for value in row] for row in nodes] for nodes in self.trees],
        }

    @classmethod
    def from_json(cls, payload: dict) -> PlacementModel:
        if payload.get("features") != list(FEATURES):
            raise ConfigError("placement model features do not match this version; run storyline train placement")
        trees = tuple(np.array(nodes, dtype=np.float64) for nodes in payload["trees"])
        return cls(trees, float(payload["baseline"]), float(payload["threshold"]))


def lull_columns(seconds: np.ndarray | float, pace_seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """The lull's two features from ``seconds`` since the story (``lull_to``): log(1 + hours), and the share of
    the story's pace; neither lull nor pace finer than ``LULL_RESOLUTION``, as the article's stamp is not."""
    resolution = LULL_RESOLUTION.total_seconds()
    lull = np.maximum(seconds, resolution)
    return np.log1p(lull / 3600), 1 - np.exp(-lull / max(pace_seconds, resolution))


def lull_to(published: datetime, first: datetime, last: datetime) -> timedelta:
    """How far ``published`` lies from a story's coverage, from its first report to its last: after the last,
    the time since it; before the first (a feed's older entries arriving late, a backfill), the time until it;
    none within."""
    return max(published - last, first - published, timedelta(0))


def possible_lulls(published: datetime, first: datetime, last: datetime, unknown: bool) -> tuple[timedelta, ...]:
    """The lulls an article stamped ``published`` may really have to a story from ``first`` to ``last`` when
    the stamps do not tell it, else none (``lull_to`` is exact). ``unknown``: either side came undated and is
    stamped with when it arrived. A stamp at midnight (UTC, as dates without a time are read) against a timed
    one stands for any time of its day (``TIMES_OF_DAY``): a sitemap's date for an event that timed feeds cover
    from the morning on is not hours before it."""
    if unknown or dates_only(published, last):
        return UNKNOWN_LULLS
    if at_midnight(published) and not at_midnight(last):
        return tuple(lull_to(published + hour, first, last) for hour in TIMES_OF_DAY)
    if at_midnight(last) and not at_midnight(published):
        return tuple(lull_to(published - hour, first, last) for hour in TIMES_OF_DAY)
    return ()


def at_midnight(moment: datetime) -> bool:
    """Whether ``moment`` is a midnight, as a date without a time is read."""
    return (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)


def dates_only(first: datetime, second: datetime) -> bool:
    """Whether two stamps are the same midnight: a source that gives dates only stamped both."""
    return first == second and at_midnight(first)


def _compact(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(float(value), 8)


@lru_cache(maxsize=1)
def bundled_model() -> PlacementModel:
    try:
        payload = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the placement model: {exc}", subject=str(MODEL_PATH)) from exc
    return PlacementModel.from_json(payload)
