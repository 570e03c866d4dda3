"""The section an article belongs to, from a fixed taxonomy, by a linear classifier over its MiniLM embedding.

The classifier is trained on two sources: the BBC dev half (Business, Entertainment, Politics, Sport,
Technology) and hand-written headline-and-lead examples (``models/section_examples.json``) for the sections the
BBC labels cannot teach (World, UK, US, Science, Health). Re-train with::

    storyline train sections --dir ../shared/data/bbc-news-summary-dev

which prints the cross-validated accuracies (held-out BBC articles; held-out examples) and rewrites
``models/sections.npz``.
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
EXAMPLES_PATH = MODELS / "section_examples.json"


class LinearModel(NamedTuple):
    weights: np.ndarray  # (sections, dim)
    bias: np.ndarray  # (sections,)
    labels: tuple[str, ...]


def classify(article: Article, embedding: np.ndarray | None) -> str:
    if embedding is None:
        embedding = nlp.embed([nlp.lead_text(article.title, article.text)])[0]
    model = load_model()
    scores = model.weights @ np.asarray(embedding, dtype=np.float32) + model.bias
    return model.labels[int(np.argmax(scores))]


@lru_cache(maxsize=1)
def load_model() -> LinearModel:
    with np.load(WEIGHTS_PATH) as stored:
        return LinearModel(stored["weights"], stored["bias"], tuple(str(label) for label in stored["labels"]))


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
