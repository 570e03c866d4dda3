"""Article-body extraction scored as the public Zyte article-extraction-benchmark scores it.

Each page's predicted and true bodies become multisets of 4-word shingles (``\\w+`` tokens); a page's TP/FP/FN
counts are normalised to sum to 1 so long pages weigh no more than short ones; precision is averaged over the
pages that predicted something, recall over the pages that have a true body, and F1 is taken of the two means.
A page whose extraction fails is scored as an empty prediction: it lowers recall and does not stop the run.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from storyline.errors import InputError, StorylineError
from storyline.extract import extract_article
from storyline.logs import get_logger

log = get_logger("eval")

Progress = Callable[[int, int], None]

SHINGLE_WORDS = 4
BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 13
_TOKEN = re.compile(r"\w+", re.UNICODE)


class Counts(NamedTuple):
    """One page's shingle TP/FP/FN, normalised to sum to 1 (all zero when both texts are empty)."""

    tp: float
    fp: float
    fn: float


def shingles(text: str | None, size: int = SHINGLE_WORDS) -> Counter[tuple[str, ...]]:
    """Overlapping word n-grams; a text shorter than ``size`` words is one short shingle, as in the benchmark."""
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + size]) for i in range(max(1, len(tokens) - size + 1)) if tokens)


def page_counts(true: str | None, pred: str | None) -> Counts:
    truth, prediction = shingles(true), shingles(pred)
    tp = float(sum((truth & prediction).values()))
    fp = float(sum((prediction - truth).values()))
    fn = float(sum((truth - prediction).values()))
    total = tp + fp + fn
    if total == 0:
        return Counts(0.0, 0.0, 0.0)
    return Counts(tp / total, fp / total, fn / total)


def _precision(counts: Counts) -> float:
    if counts.fp == counts.fn == 0:
        return 1.0
    return counts.tp / (counts.tp + counts.fp) if counts.tp + counts.fp else 0.0


def _recall(counts: Counts) -> float:
    if counts.fp == counts.fn == 0:
        return 1.0
    return counts.tp / (counts.tp + counts.fn) if counts.tp + counts.fn else 0.0


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def score(pages: Sequence[Counts]) -> dict[str, float]:
    """Mean precision (pages that predicted text), mean recall (pages with a true body), F1 of the means."""
    precision = _mean([_precision(c) for c in pages if c.tp + c.fp > 0])
    recall = _mean([_recall(c) for c in pages if c.tp + c.fn > 0])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def bootstrap_std(pages: Sequence[Counts], samples: int = BOOTSTRAP_SAMPLES) -> dict[str, float]:
    """Standard deviation of each score over pages resampled with replacement (seeded, so runs repeat)."""
    if len(pages) < 2:
        return {f"{name}_std": 0.0 for name in ("precision", "recall", "f1")}
    rng = random.Random(BOOTSTRAP_SEED)
    draws = [score(rng.choices(pages, k=len(pages))) for _ in range(samples)]
    return {f"{name}_std": statistics.stdev(d[name] for d in draws) for name in ("precision", "recall", "f1")}


def _page_id(path: Path) -> str:
    return path.name.split(".", 1)[0]


def _extract_body(path: Path) -> str:
    """The extracted body of one stored page; empty when the page has none or cannot be read."""
    try:
        html = gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as exc:
        log.warning("unreadable page", page=path.name, error=str(exc))
        return ""
    try:
        return extract_article(html, f"https://example.invalid/{_page_id(path)}").text
    except StorylineError as exc:
        log.warning("extraction failed", page=path.name, error=str(exc))
        return ""


def _load_truth(path: Path) -> dict[str, dict]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read ground truth: {exc}", subject=str(path)) from exc


def run(
    html_dir: Path,
    predictions: Path,
    ground_truth: Path | None,
    progress: Progress | None = None,
) -> dict:
    """Extract every ``html_dir/<id>.html.gz``, write ``{id: {"articleBody": text}}`` to ``predictions``, and
    score against ``ground_truth`` when given. Every true page is scored (one without HTML as an empty
    prediction); pages missing from the truth are predicted but not scored."""
    pages = sorted(Path(html_dir).glob("*.html.gz"))
    if not pages:
        raise InputError("no *.html.gz pages found", subject=str(html_dir))
    truth = _load_truth(ground_truth) if ground_truth else None
    predicted: dict[str, dict[str, str]] = {}
    for done, path in enumerate(pages, start=1):
        predicted[_page_id(path)] = {"articleBody": _extract_body(path)}
        if progress:
            progress(done, len(pages))
    predictions.write_text(json.dumps(predicted, ensure_ascii=False, indent=2), encoding="utf-8")
    result: dict = {"pages": len(predicted), "predictions": str(predictions)}
    if truth is None:
        return result
    scored = [
        page_counts(true.get("articleBody"), predicted.get(page_id, {}).get("articleBody"))
        for page_id, true in truth.items()
    ]
    result.update(score(scored))
    result.update(bootstrap_std(scored))
    result["scored_pages"] = len(scored)
    result["empty_predictions"] = sum(1 for body in predicted.values() if not body["articleBody"].strip())
    return result
