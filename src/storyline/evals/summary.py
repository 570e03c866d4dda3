"""Article summaries and sections on the BBC News Summary layout, measured through the product path.

Layout: ``articles/<section>/<nnn>.txt`` (first line the title, the rest the body) and, when present,
``summaries/<section>/<nnn>.txt`` (the reference extract). Some files are Latin-1, not UTF-8.

Scores: ROUGE-1/2/L F1 (rouge-score, Porter stemming) of our summary against the reference, next to a lead
baseline cut to exactly as many words as our summary, so the comparison is not won by length; the accuracy of
the predicted section where the BBC label maps onto our taxonomy; the share of summaries whose first line
leans on a sentence the reader has not seen (``summarize.leans_on_earlier``: an opening connective or
pronoun, or a quote without its speaker).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from storyline.domain import Article, ArticleInput
from storyline.errors import InputError
from storyline.logs import get_logger

log = get_logger("eval")

Progress = Callable[[int, int], None]

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
BBC_SECTIONS = {
    "business": "Business",
    "entertainment": "Entertainment",
    "politics": "Politics",
    "sport": "Sport",
    "tech": "Technology",
}
SECTION_NOTE = (
    "the section classifier is trained on the BBC dev half: section accuracy on that half is training "
    "accuracy; `storyline train sections` reports the cross-validated figure"
)
ROUGE_NOTE = (
    "the sentence scorer is trained on the BBC dev references: ROUGE on that half is training ROUGE; "
    "`storyline train summary` reports the cross-validated figure"
)


@dataclass(slots=True, frozen=True)
class BBCItem:
    id: str  # "<section>/<nnn>"
    label: str  # the BBC folder name
    title: str
    body: str
    reference: str | None


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def read_bbc(data_dir: Path) -> Iterator[BBCItem]:
    """Every article of the layout in a stable order (section, then file name)."""
    articles = Path(data_dir) / "articles"
    if not articles.is_dir():
        raise InputError("no articles/ folder in the BBC layout", subject=str(data_dir))
    for path in sorted(articles.glob("*/*.txt")):
        title, _, body = read_text(path).strip().partition("\n")
        reference_path = Path(data_dir) / "summaries" / path.parent.name / path.name
        reference = read_text(reference_path) if reference_path.is_file() else None
        yield BBCItem(f"{path.parent.name}/{path.stem}", path.parent.name, title.strip(), body.strip(), reference)


def to_article(item: BBCItem) -> Article:
    from storyline.pipeline import to_article as pipeline_article

    url = f"https://bbc.storyline.invalid/{item.id}"
    return pipeline_article(ArticleInput(url=url, title=item.title, text=item.body, source="BBC News"))


def lead_words(text: str, words: int) -> str:
    """The opening of ``text`` cut to ``words`` words: the length-matched lead baseline."""
    return " ".join(text.split()[:words])


def rouge_f1(references: Sequence[str], predictions: Sequence[str]) -> dict[str, float]:
    """Mean ROUGE F1 per type over pairs, with Porter stemming as in the usual setup."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    totals = dict.fromkeys(ROUGE_TYPES, 0.0)
    for reference, prediction in zip(references, predictions, strict=True):
        scores = scorer.score(reference, prediction)
        for name in ROUGE_TYPES:
            totals[name] += scores[name].fmeasure
    count = max(1, len(references))
    return {name: round(total / count, 4) for name, total in totals.items()}


def run(data_dir: Path, predictions: Path, progress: Progress | None = None, limit: int | None = None) -> dict:
    from storyline.enrich import sections, summarize

    items = list(read_bbc(data_dir))[:limit] if limit else list(read_bbc(data_dir))
    references: list[str] = []
    ours: list[str] = []
    leads: list[str] = []
    word_counts: list[int] = []
    leaning = 0
    correct = labelled = 0
    with Path(predictions).open("w", encoding="utf-8") as out:
        for done, item in enumerate(items, start=1):
            article = to_article(item)
            chosen = summarize.summarize_article(article)
            summary = " ".join(article.sentences[i] for i in chosen)
            leaning += bool(chosen) and summarize.leans_on_earlier(article.sentences[chosen[0]])
            section = sections.classify(article, None)
            out.write(json.dumps({"id": item.id, "summary": summary, "section": section}) + "\n")
            if item.label in BBC_SECTIONS:
                labelled += 1
                correct += section == BBC_SECTIONS[item.label]
            if item.reference is not None:
                words = len(summary.split())
                references.append(item.reference)
                ours.append(summary)
                leads.append(lead_words(item.body, words))
                word_counts.append(words)
            if progress:
                progress(done, len(items))
    scores: dict = {"count": len(items), "first_line_leans_share": round(leaning / max(1, len(items)), 4)}
    if references:
        scores["rouge"] = rouge_f1(references, ours)
        scores["lead_baseline_rouge"] = rouge_f1(references, leads)
        lead2 = scores["lead_baseline_rouge"]["rouge2"]
        scores["rouge2_ratio_to_lead"] = round(scores["rouge"]["rouge2"] / lead2, 3) if lead2 else None
        scores["mean_words"] = round(statistics.mean(word_counts), 1)
        scores["rouge_note"] = ROUGE_NOTE
    if labelled:
        scores["section_accuracy"] = round(correct / labelled, 4)
        scores["section_accuracy_note"] = SECTION_NOTE
    return scores
