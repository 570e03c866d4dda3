"""Placement across languages: how alike an article reads to a story's members written in other languages.

MiniLM, which places articles, is an English model: a French report of an English story lands far from it.
Multilingual-e5-small (``nlp.embed_multilingual``) puts the same event in any of its languages close together,
but it runs about ten times slower than MiniLM on this machine, so it is used only where languages meet: an
article is embedded with it when it is compared with a story holding members in another language, and so are
those members, once each (cached by article key). An English-only deployment never loads it.

e5's cosines live in a narrow band (unrelated articles about 0.75, the same event across languages about
0.87), while the placement model was fitted on MiniLM's (unrelated about 0.11, one event about 0.72). So the
mean e5 cosine to the story's members in other languages is mapped onto MiniLM's scale by a line
(``BridgeConfig.scale``, ``offset``), fitted by matching the quantiles of cross-language pairs on the
AllSides translated development stories to those of same-language MiniLM pairs: the 50th percentile of
unrelated pairs and the median of same-story pairs (AUC 0.993 across languages, 0.991 for MiniLM within one).
Pairwise means, not a cosine to the members' mean: averaging e5 vectors raises every cosine to the mean, and
the line was fitted on pairs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

Encoder = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True, slots=True)
class BridgeConfig:
    scale: float = 5.6
    offset: float = -4.1
    members: int = 3  # the most recent members in other languages an article is compared with (1 to 8 scored alike)
    # Below this share of a story, its members in other languages are not bridged to: they would weigh less
    # than a tenth of the story's cosine, and bridging costs the arrival a multilingual embedding (about 0.7 s).
    min_share: float = 0.1
    cache_size: int = 50_000  # bridge vectors kept, about 75 MB


def _default_encoder(texts: Sequence[str]) -> np.ndarray:
    from storyline.nlp import embed_lead_multilingual

    return embed_lead_multilingual(texts)


class Bridge:
    """Cross-language cosines on MiniLM's scale, embedding each text at most once while it is cached."""

    def __init__(self, encode: Encoder | None = None, config: BridgeConfig | None = None) -> None:
        self.config = config or BridgeConfig()
        self._encode = encode or _default_encoder
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def vectors(self, texts: dict[str, str]) -> dict[str, np.ndarray]:
        """The bridge vector of each key's text, embedding only the keys not cached, in one call."""
        missing = [key for key in texts if key not in self._vectors]
        if missing:
            for key, vector in zip(missing, self._encode([texts[key] for key in missing]), strict=True):
                self._vectors[key] = np.asarray(vector, dtype=np.float32)
        found = {}
        for key in texts:
            self._vectors.move_to_end(key)
            found[key] = self._vectors[key]
        while len(self._vectors) > self.config.cache_size:
            self._vectors.popitem(last=False)
        return found

    def cosine(self, key: str, text: str, others: dict[str, str]) -> float:
        """The calibrated mean cosine between ``text`` and the ``others`` (key -> text), which must not be empty."""
        vectors = self.vectors({key: text, **others})
        mine = vectors.pop(key)
        mean = float(np.mean([np.dot(mine, vector) for vector in vectors.values()]))
        return self.config.scale * mean + self.config.offset
