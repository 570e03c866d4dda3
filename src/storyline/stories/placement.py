"""Whether an article belongs to a live story: a logistic regression over what the two share.

The features say what distinguishes two events that read alike (``FEATURES``): the sentence-embedding cosine
to the story's mean, the rare words and the named entities they share (``lexical``), how long the story has
been quiet next to its own pace, and its size. The outlet is not among them: in the development sets each
outlet covers a story once, so a model would learn that an outlet's second article is another story, while
real outlets file follow-ups and live updates.
The regression reads the standardised features and their pairwise products (``expand``): whether a lull
matters depends on the story's pace and size, whether shared words matter on how alike the two read, and a
linear model of the raw features could not say so (cross-validated B-cubed F1 on the development sets rose
from 0.92/0.86/0.83 to 0.96/0.89/0.95, see the README). The weights are fitted on the development sets by
``storyline train placement`` (``storyline.training``) and read from ``models/placement.json``; this module
only applies them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np

from storyline.errors import ConfigError

MODEL_PATH = Path(__file__).parent / "models" / "placement.json"

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

    def vector(self) -> np.ndarray:
        hours = max(self.lull.total_seconds(), 0.0) / 3600
        paces = 1 - math.exp(-abs(self.lull) / self.pace) if self.pace > timedelta(0) else 1.0
        return np.array(
            [
                self.cosine,
                self.terms_share,
                self.terms_any,
                self.entities_share,
                self.entities_any,
                self.entities_none,
                math.log1p(hours),
                paces,
                math.log(max(self.size, 1)),
            ],
            dtype=np.float64,
        )


def expand(standardised: np.ndarray) -> np.ndarray:
    """The features followed by every product of two of them (squares included), in a fixed order; works on
    one vector or on rows of them."""
    rows = np.atleast_2d(standardised)
    left, right = np.triu_indices(rows.shape[1])
    expanded = np.hstack([rows, rows[:, left] * rows[:, right]])
    return expanded[0] if standardised.ndim == 1 else expanded


@dataclass(frozen=True, slots=True)
class PlacementModel:
    mean: np.ndarray  # of each feature on the training pairs, to standardise
    scale: np.ndarray
    weights: np.ndarray  # one an ``expand``ed feature
    bias: float
    threshold: float  # join the best story when its probability reaches this
    # The range each feature had in training: a value beyond it is read as its nearest bound, since squares
    # and products extrapolate wildly (two identical embeddings, cosine 1.0, lie beyond every training pair).
    low: np.ndarray | None = None
    high: np.ndarray | None = None

    def probability(self, features: PairFeatures) -> float:
        return float(self.probabilities(features.vector()[None, :])[0])

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """The probability of each row of raw feature vectors."""
        if self.low is not None and self.high is not None:
            rows = np.clip(rows, self.low, self.high)
        logits = expand((rows - self.mean) / self.scale) @ self.weights + self.bias
        return 1 / (1 + np.exp(-np.clip(logits, -50.0, 50.0)))

    def to_json(self) -> dict:
        return {
            "features": list(FEATURES),
            "mean": _rounded(self.mean),
            "scale": _rounded(self.scale),
            "weights": _rounded(self.weights),
            "bias": round(self.bias, 6),
            "threshold": self.threshold,
            "low": None if self.low is None else _rounded(self.low),
            "high": None if self.high is None else _rounded(self.high),
        }

    @classmethod
    def from_json(cls, payload: dict) -> PlacementModel:
        if payload.get("features") != list(FEATURES):
            raise ConfigError("placement model features do not match this version; run storyline train placement")
        return cls(
            np.array(payload["mean"], dtype=np.float64),
            np.array(payload["scale"], dtype=np.float64),
            np.array(payload["weights"], dtype=np.float64),
            float(payload["bias"]),
            float(payload["threshold"]),
            None if payload.get("low") is None else np.array(payload["low"], dtype=np.float64),
            None if payload.get("high") is None else np.array(payload["high"], dtype=np.float64),
        )


def _rounded(values: np.ndarray) -> list[float]:
    return [round(float(value), 6) for value in values]


@lru_cache(maxsize=1)
def bundled_model() -> PlacementModel:
    try:
        payload = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the placement model: {exc}", subject=str(MODEL_PATH)) from exc
    return PlacementModel.from_json(payload)
