"""Fits the section classifier (``storyline train sections``): a logistic regression on MiniLM embeddings of
title and lead, on the BBC layout plus the hand-written examples; ``enrich/sections.py`` applies it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from storyline import nlp
from storyline.enrich import sections
from storyline.evals.summary import BBC_SECTIONS, read_bbc
from storyline.logs import get_logger

log = get_logger("training")

REGULARISATION_C = 4.0
# Each hand-written example counts as this many BBC articles: higher teaches the five example-only sections
# better and costs BBC accuracy (cross-validated: weight 3 -> 0.962 BBC / 0.74 examples, 6 -> 0.956 / 0.79).
EXAMPLE_WEIGHT = 6.0
CV_FOLDS = 5
CV_SEED = 7


def train(data_dir: Path, output: Path = sections.WEIGHTS_PATH) -> dict:
    """Fits the classifier on the BBC layout in ``data_dir`` plus the examples; writes ``output``.

    Returns accuracies measured by 5-fold cross-validation, never on training rows: on held-out BBC articles
    (the five BBC sections), and on held-out hand-written examples (the five sections only they teach)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    items = [item for item in read_bbc(data_dir) if item.label in BBC_SECTIONS]
    bbc_x = nlp.embed([nlp.lead_text(item.title, item.body) for item in items])
    bbc_y = np.array([BBC_SECTIONS[item.label] for item in items])
    example_texts, example_labels = sections.example_rows()
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
    sections.load_model.cache_clear()
    result = {
        "cv_accuracy": round(bbc_correct / len(bbc_y), 4),
        "examples_cv_accuracy": round(example_correct / len(example_y), 4),
        "cv_folds": CV_FOLDS,
        "bbc_articles": len(bbc_y),
        "examples": len(example_y),
    }
    log.info("sections trained", **result)
    return result
