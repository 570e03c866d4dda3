"""The section an article belongs to, from a fixed taxonomy, by a linear classifier over its MiniLM embedding.

The classifier is trained on two sources: the BBC dev half (Business, Entertainment, Politics, Sport,
Technology) and hand-written headline-and-lead examples (``models/section_examples.json``) for the sections the
BBC labels cannot teach (World, UK, US, Science, Health).

MiniLM is an English model: it read a translated AllSides article's section as its English original's only 63%
of the time. An article in another language is therefore embedded by multilingual-e5 and that vector mapped
onto MiniLM's space by a linear map (``models/sections_bridge.npz``) fitted on English news, where both encoders
read the same texts; the same classifier then reads the mapped vector (79% agreement with the original,
cross-validated by story halves; README). Re-train both with::

    storyline train sections --dir ../shared/data/bbc-news-summary-dev --allsides ../shared/data

which prints the cross-validated accuracies (held-out BBC articles; held-out examples; translations against
their originals) and rewrites ``models/sections.npz`` and ``models/sections_bridge.npz``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from storyline import nlp
from storyline.domain import Article
from storyline.i18n import N_
from storyline.logs import get_logger

log = get_logger("enrich")

# Marked for translation: pages show a section in the reader's language (its address keeps this name).
SECTIONS = (
    N_("World"),
    N_("UK"),
    N_("US"),
    N_("Politics"),
    N_("Business"),
    N_("Technology"),
    N_("Science"),
    N_("Health"),
    N_("Sport"),
    N_("Entertainment"),
)
MODELS = Path(__file__).parent / "models"
WEIGHTS_PATH = MODELS / "sections.npz"
BRIDGE_PATH = MODELS / "sections_bridge.npz"
EXAMPLES_PATH = MODELS / "section_examples.json"


class LinearModel(NamedTuple):
    weights: np.ndarray  # (sections, dim)
    bias: np.ndarray  # (sections,)
    labels: tuple[str, ...]


class Bridge(NamedTuple):
    """A linear map from multilingual-e5's space onto MiniLM's: ``vectors @ weights + bias``."""

    weights: np.ndarray  # (e5 dim, MiniLM dim)
    bias: np.ndarray  # (MiniLM dim,)

    def to_minilm(self, vectors: np.ndarray) -> np.ndarray:
        return np.asarray(vectors, dtype=np.float32) @ self.weights + self.bias


def classify(article: Article, embedding: np.ndarray | None) -> str:
    """The article's section: an English article's from its MiniLM ``embedding`` (computed when None), an
    article in another language's from its multilingual-e5 embedding mapped onto MiniLM's space."""
    if nlp.primary_language(article.language) != "en":
        vector = nlp.embed_lead_multilingual([nlp.lead_text(article.title, article.text)])
        return from_embedding(load_bridge().to_minilm(vector)[0])
    if embedding is None:
        embedding = nlp.embed([nlp.lead_text(article.title, article.text)])[0]
    return from_embedding(embedding)


def from_embedding(embedding: np.ndarray) -> str:
    """The section a MiniLM embedding (or a vector mapped onto its space) reads as."""
    model = load_model()
    scores = model.weights @ np.asarray(embedding, dtype=np.float32) + model.bias
    return model.labels[int(np.argmax(scores))]


@lru_cache(maxsize=1)
def load_model() -> LinearModel:
    with np.load(WEIGHTS_PATH) as stored:
        return LinearModel(stored["weights"], stored["bias"], tuple(str(label) for label in stored["labels"]))


@lru_cache(maxsize=1)
def load_bridge() -> Bridge:
    with np.load(BRIDGE_PATH) as stored:
        return Bridge(stored["weights"].astype(np.float32), stored["bias"].astype(np.float32))


def example_rows() -> tuple[list[str], list[str]]:
    """The hand-written examples as (texts, sections)."""
    examples = json.loads(EXAMPLES_PATH.read_text(encoding="utf-8"))
    texts: list[str] = []
    labels: list[str] = []
    for section, items in examples.items():
        if section in SECTIONS:
            texts.extend(items)
            labels.extend([section] * len(items))
    return texts, labels
