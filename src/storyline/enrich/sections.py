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
from storyline.logs import get_logger

log = get_logger("enrich")

SECTIONS = (
    "World",
    "UK",
    "US",
    "Politics",
    "Business",
    "Technology",
    "Science",
    "Health",
    "Sport",
    "Entertainment",
)
MODELS = Path(__file__).parent / "models"
WEIGHTS_PATH = MODELS / "sections.npz"
EXAMPLES_PATH = MODELS / "section_examples.json"
LEAD_CHARS = 400  # the same lead the pipeline embeds for story grouping
REGULARISATION_C = 4.0
# Each hand-written example counts as this many BBC articles: higher teaches the five example-only sections
# better and costs BBC accuracy (cross-validated: weight 3 -> 0.962 BBC / 0.74 examples, 6 -> 0.956 / 0.79).
EXAMPLE_WEIGHT = 6.0
CV_FOLDS = 5
CV_SEED = 7


class LinearModel(NamedTuple):
    weights: np.ndarray  # (sections, dim)
    bias: np.ndarray  # (sections,)
    labels: tuple[str, ...]


def lead_text(title: str, text: str) -> str:
    return f"{title}. {text[:LEAD_CHARS]}"


def classify(article: Article, embedding: np.ndarray | None) -> str:
    if embedding is None:
        embedding = nlp.embed([lead_text(article.title, article.text)])[0]
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


def train(data_dir: Path, output: Path = WEIGHTS_PATH) -> dict:
    """Fits the classifier on the BBC layout in ``data_dir`` plus the examples; writes ``output``.

    Returns accuracies measured by 5-fold cross-validation, never on training rows: on held-out BBC articles
    (the five BBC sections), and on held-out hand-written examples (the five sections only they teach)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from storyline.evals.summary import BBC_SECTIONS, read_bbc

    items = [item for item in read_bbc(data_dir) if item.label in BBC_SECTIONS]
    bbc_x = nlp.embed([lead_text(item.title, item.body) for item in items])
    bbc_y = np.array([BBC_SECTIONS[item.label] for item in items])
    example_texts, example_labels = example_rows()
    example_x, example_y = nlp.embed(example_texts), np.array(example_labels)

    def fit(bbc_indices: np.ndarray, example_indices: np.ndarray) -> LogisticRegression:
        weights = np.concatenate([np.ones(len(bbc_indices)), np.full(len(example_indices), EXAMPLE_WEIGHT)])
        classifier = LogisticRegression(C=REGULARISATION_C, max_iter=2000)
        return classifier.fit(
            np.vstack([bbc_x[bbc_indices], example_x[example_indices]]),
            np.concatenate([bbc_y[bbc_indices], example_y[example_indices]]),
            sample_weight=weights,
        )

    def folds(y: np.ndarray) -> list:
        return list(StratifiedKFold(CV_FOLDS, shuffle=True, random_state=CV_SEED).split(np.zeros(len(y)), y))

    bbc_correct = example_correct = 0
    for (bbc_train, bbc_test), (ex_train, ex_test) in zip(folds(bbc_y), folds(example_y), strict=True):
        classifier = fit(bbc_train, ex_train)
        bbc_correct += int((classifier.predict(bbc_x[bbc_test]) == bbc_y[bbc_test]).sum())
        example_correct += int((classifier.predict(example_x[ex_test]) == example_y[ex_test]).sum())
    final = fit(np.arange(len(bbc_y)), np.arange(len(example_y)))
    np.savez_compressed(
        output,
        weights=final.coef_.astype(np.float32),
        bias=final.intercept_.astype(np.float32),
        labels=np.array(final.classes_, dtype=str),
    )
    load_model.cache_clear()
    result = {
        "cv_accuracy": round(bbc_correct / len(bbc_y), 4),
        "examples_cv_accuracy": round(example_correct / len(example_y), 4),
        "cv_folds": CV_FOLDS,
        "bbc_articles": len(bbc_y),
        "examples": len(example_y),
    }
    log.info("sections trained", **result)
    return result
