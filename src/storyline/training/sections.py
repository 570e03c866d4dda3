"""Fits the section classifier (``storyline train sections``): a logistic regression on MiniLM embeddings of
title and lead, on the BBC layout plus the hand-written examples; and the bridge that lets it read articles in
other languages, a ridge regression from multilingual-e5's embeddings of English news onto MiniLM's, on the same
texts and the AllSides development articles. ``enrich/sections.py`` applies both."""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
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
# The bridge's ridge penalty: 0.1 to 0.3 agree alike with the originals (0.79 to 0.80, by story halves); 1.0
# less (0.76), 0.03 less (0.74).
BRIDGE_ALPHA = 0.2
# The English articles the bridge is fitted on beside the BBC's, and the translations it is checked on.
ALLSIDES_ENGLISH = "allsides-dev-week.jsonl"
ALLSIDES_TRANSLATED = "allsides-xling-dev.jsonl"


def train(
    data_dir: Path,
    output: Path = sections.WEIGHTS_PATH,
    allsides_dir: Path | None = None,
    bridge_output: Path = sections.BRIDGE_PATH,
) -> dict:
    """Fits the classifier on the BBC layout in ``data_dir`` plus the examples; writes ``output``. With
    ``allsides_dir`` (the AllSides development files) also fits the bridge for other languages
    (``train_bridge``) and writes ``bridge_output``.

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
    if allsides_dir is not None:
        english = [nlp.lead_text(item.title, item.body) for item in items] + example_texts
        result["bridge"] = train_bridge(english, np.vstack([bbc_x, example_x]), allsides_dir, bridge_output)
    return result


def train_bridge(english: Sequence[str], english_minilm: np.ndarray, allsides_dir: Path, output: Path) -> dict:
    """Fits the map from multilingual-e5's space onto MiniLM's on the ``english`` texts (their MiniLM
    embeddings given) and the English AllSides articles, and writes it to ``output``.

    Returns how often a translated AllSides article (French, German, Spanish) is given the section its English
    original is given, per language, read through the bridge and by MiniLM alone: the gold stories are cut in
    two halves by a hash of their id, and each half's translations are read by a map fitted without that half's
    English articles."""
    from sklearn.linear_model import Ridge

    originals = {row["id"]: row for row in _rows(allsides_dir / ALLSIDES_ENGLISH)}
    translated = [row for row in _rows(allsides_dir / ALLSIDES_TRANSLATED) if row["language"] != "en"]
    own_texts = [_lead(row) for row in originals.values()]
    own_e5 = nlp.embed_multilingual(own_texts)
    own_minilm = nlp.embed(own_texts)
    english_e5 = nlp.embed_multilingual(list(english))
    translated_e5 = nlp.embed_multilingual([_lead(row) for row in translated])
    expected = [
        sections.from_embedding(vector) for vector in nlp.embed([_lead(originals[row["id"]]) for row in translated])
    ]
    by_minilm = [sections.from_embedding(vector) for vector in nlp.embed([_lead(row) for row in translated])]

    def fit(rows: np.ndarray) -> sections.Bridge:
        ridge = Ridge(alpha=BRIDGE_ALPHA).fit(
            np.vstack([english_e5, own_e5[rows]]), np.vstack([english_minilm, own_minilm[rows]])
        )
        # Stored in half precision (0.3 MB rather than 0.6): no translation's section changed in the check.
        return sections.Bridge(ridge.coef_.T.astype(np.float16), ridge.intercept_.astype(np.float16))

    own_halves = np.array([_half(row["story"]) for row in originals.values()])
    by_bridge: list[str] = [""] * len(translated)
    for half in (0, 1):
        bridge = fit(np.flatnonzero(own_halves != half))
        for position, row in enumerate(translated):
            if _half(row["story"]) == half:
                by_bridge[position] = sections.from_embedding(
                    bridge.to_minilm(translated_e5[position : position + 1])[0]
                )
    final = fit(np.arange(len(own_texts)))
    np.savez_compressed(output, weights=final.weights, bias=final.bias)
    sections.load_bridge.cache_clear()
    languages = sorted({row["language"] for row in translated})
    result = {
        "translations": len(translated),
        "agreement_with_original": _agreement(translated, by_bridge, expected, languages),
        "agreement_minilm_alone": _agreement(translated, by_minilm, expected, languages),
        "english_articles": len(english) + len(own_texts),
    }
    log.info("section bridge trained", **result)
    return result


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _lead(row: dict) -> str:
    return nlp.lead_text(row["title"], row["text"])


def _half(story: str) -> int:
    return zlib.crc32(str(story).encode("utf-8")) % 2


def _agreement(rows: Sequence[dict], found: Sequence[str], expected: Sequence[str], languages: Sequence[str]) -> dict:
    """Share of ``found`` equal to ``expected``, in all and per language."""
    shares = {"all": round(float(np.mean([a == b for a, b in zip(found, expected, strict=True)])), 3)}
    for language in languages:
        pairs = [(a, b) for a, b, row in zip(found, expected, rows, strict=True) if row["language"] == language]
        shares[language] = round(float(np.mean([a == b for a, b in pairs])), 3)
    return shares
