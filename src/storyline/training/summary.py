"""Fits the summary sentence scorer (``storyline train summary``): a logistic regression over position,
centrality and TextRank features, on the BBC reference extracts; ``enrich/summarize.py`` applies it."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from storyline import nlp
from storyline.enrich import summarize
from storyline.evals.summary import lead_words, read_bbc, rouge_f1
from storyline.logs import get_logger

log = get_logger("training")

CV_FOLDS = 5


def reference_labels(sentences: Sequence[str], reference: str) -> np.ndarray:
    """1 for a sentence whose words are (almost) all in the reference extract, else 0.

    The references are whole article sentences glued together, so word-bigram containment recovers them even
    where our sentence splitter cuts differently."""
    reference_bigrams = set(_bigrams(reference))
    labels = []
    for sentence in sentences:
        bigrams = _bigrams(sentence)
        inside = sum(1 for bigram in bigrams if bigram in reference_bigrams)
        labels.append(1.0 if bigrams and inside / len(bigrams) >= 0.8 else 0.0)
    return np.array(labels)


def _bigrams(text: str) -> list[tuple[str, str]]:
    tokens = re.findall(r"\w+", text.lower())
    return list(itertools.pairwise(tokens))


def train(data_dir: Path, output: Path = summarize.SCORER_PATH) -> dict:
    """Fits the sentence scorer on the BBC references in ``data_dir``; writes ``output``.

    Returns the held-out ROUGE-2 of 5-fold cross-validation (folds by article) next to the length-matched
    lead baseline, so the reported gain is never measured on training articles."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold

    items = [item for item in read_bbc(data_dir) if item.reference]
    sentences = [nlp.split_sentences(item.body) for item in items]
    features = [summarize.sentence_features(item.title, item.body, s) for item, s in zip(items, sentences, strict=True)]
    labels = [reference_labels(s, item.reference or "") for item, s in zip(items, sentences, strict=True)]

    def fit(rows: Sequence[int]) -> summarize.Scorer:
        x = np.vstack([features[i] for i in rows])
        y = np.concatenate([labels[i] for i in rows])
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        model = LogisticRegression(C=1.0, max_iter=2000).fit((x - mean) / scale, y)
        return summarize.Scorer(mean, scale, model.coef_[0], float(model.intercept_[0]))

    references: list[str] = []
    ours: list[str] = []
    leads: list[str] = []
    for train_rows, test_rows in KFold(CV_FOLDS, shuffle=True, random_state=7).split(items):
        scorer = fit(train_rows)
        for i in test_rows:
            chosen = summarize.select(
                summarize.probabilities(scorer, features[i]),
                [summarize.word_count(s) for s in sentences[i]],
                summarize.openers(sentences[i]) or None,
            )
            summary = " ".join(sentences[i][j] for j in chosen)
            references.append(items[i].reference or "")
            ours.append(summary)
            leads.append(lead_words(items[i].body, summarize.word_count(summary)))
    final = fit(range(len(items)))
    output.write_text(
        json.dumps(
            {
                "features": summarize.FEATURES,
                "mean": final.mean.tolist(),
                "scale": final.scale.tolist(),
                "weights": final.weights.tolist(),
                "bias": final.bias,
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    summarize.load_scorer.cache_clear()
    ours_rouge, lead_rouge = rouge_f1(references, ours), rouge_f1(references, leads)
    result = {
        "cv_rouge": ours_rouge,
        "cv_lead_rouge": lead_rouge,
        "cv_rouge2_ratio": round(ours_rouge["rouge2"] / lead_rouge["rouge2"], 3),
        "cv_mean_words": round(sum(map(summarize.word_count, ours)) / len(ours), 1),
        "articles": len(items),
    }
    log.info("summary scorer trained", **result)
    return result
