"""Figure pairs: does ``figures.relation`` call two figures agree, disagree or different things as a reader would?

Each line of the pairs file holds two sentences, the figure to read in each (as written) and the gold label.
Both sentences go through the product's own extraction (``extract_figures`` on a one-sentence article), so a
figure the extraction misses or misreads counts against the score: the pair is then predicted "different",
as the story page would show no disagreement for it. Scores are printed for each ``split`` (``dev``, tuned on;
``heldout``, not) and for all pairs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from storyline.domain import Article, Figure
from storyline.enrich.figures import Relation, extract_figures, parse_number, relation
from storyline.errors import InputError
from storyline.nlp import split_sentences


def read_pairs(path: Path) -> list[dict]:
    pairs = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                pair = json.loads(line)
                Relation(pair["label"])
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(f"line {number} is no labelled figure pair: {exc!r}", subject=str(path)) from exc
            sides = [pair.get(side) if isinstance(pair.get(side), dict) else {} for side in ("a", "b")]
            if not all(isinstance(side.get(field), str) for side in sides for field in ("sentence", "figure")):
                raise InputError(f"line {number} lacks a sentence or figure for a or b", subject=str(path))
            pairs.append(pair)
    return pairs


def find_figure(sentence: str, written: str) -> Figure | None:
    """The figure the product extracts from ``sentence`` that is the one written ``written``: its text holds
    that writing, or failing that its value is that number."""
    article = Article(key="pair", url="https://example.invalid/pair", title="", text=sentence, source="eval",
                      sentences=split_sentences(sentence))  # fmt: skip
    figures = extract_figures(article)
    by_text = [figure for figure in figures if written.lower() in figure.text.lower()]
    if by_text:
        return by_text[0]
    parsed = parse_number(written)
    return next((figure for figure in figures if parsed is not None and figure.value == parsed[0]), None)


def predict(pair: dict) -> tuple[Relation, bool]:
    """The relation the product gives the pair, and whether both figures were found."""
    a = find_figure(pair["a"]["sentence"], pair["a"]["figure"])
    b = find_figure(pair["b"]["sentence"], pair["b"]["figure"])
    if a is None or b is None:
        return Relation.DIFFERENT, False
    return relation(a, b), True


def score(gold: Iterable[Relation], predicted: Iterable[Relation], found: Iterable[bool]) -> dict:
    rows = list(zip(gold, predicted, found, strict=True))
    true_positive = sum(g is Relation.DISAGREE and p is Relation.DISAGREE for g, p, _ in rows)
    flagged = sum(p is Relation.DISAGREE for _, p, _ in rows)
    actual = sum(g is Relation.DISAGREE for g, _, _ in rows)
    return {
        "pairs": len(rows),
        "gold": dict(Counter(g.value for g, _, _ in rows)),
        "disagreement_precision": round(true_positive / flagged, 3) if flagged else None,
        "disagreement_recall": round(true_positive / actual, 3) if actual else None,
        "false_disagreements": flagged - true_positive,
        "accuracy": round(sum(g is p for g, p, _ in rows) / len(rows), 3) if rows else None,
        "figures_not_extracted": sum(not f for _, _, f in rows),
        "confusions": dict(Counter(f"{g.value}->{p.value}" for g, p, _ in rows if g is not p).most_common()),
    }


def run(path: Path) -> dict:
    pairs = read_pairs(path)
    outcomes = [predict(pair) for pair in pairs]
    gold = [Relation(pair["label"]) for pair in pairs]
    splits: dict[str, list[int]] = {}
    for position, pair in enumerate(pairs):
        splits.setdefault(pair.get("split", "dev"), []).append(position)
    result = {
        name: score(
            [gold[i] for i in positions], [outcomes[i][0] for i in positions], [outcomes[i][1] for i in positions]
        )
        for name, positions in sorted(splits.items())
    }
    result["all"] = score(gold, [p for p, _ in outcomes], [f for _, f in outcomes])
    result["errors"] = [
        {"id": pair.get("id"), "gold": gold[i].value, "predicted": outcomes[i][0].value, "found": outcomes[i][1]}
        for i, pair in enumerate(pairs)
        if gold[i] is not outcomes[i][0]
    ]
    return result
