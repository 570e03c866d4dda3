"""Ask-a-question on gold questions, measured through the product path.

The file (JSON) names stories, each ``{"articles": [{id, url, title, text, source}, ...]}``, ``{"jsonl": "<path
relative to the file>"}`` in the import format, or ``{"bbc": "<section>/<nnn>"}``, an article of the BBC layout
read from ``bbc_dir`` (the development data stays where it is, never copied beside the questions), and
questions ``{story, question, answers, split}``: ``answers`` lists acceptable answer strings (case-insensitive),
empty when no article answers it.
Every article goes through the pipeline's ``to_article`` and ``analyze_article``, as stored, and the question
through ``ask.answer`` with those analyses, as the ask page calls it.

Scores, per split and overall: the share of answerable questions whose first cited sentence holds a gold
answer, the share whose whole answer does, the share whose marked span holds it, and the share of unanswerable
questions answered "none of these articles answers that question".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from storyline.domain import Article, ArticleAnalysis, ArticleInput
from storyline.errors import InputError


@dataclass(slots=True, frozen=True)
class GoldQuestion:
    story: str
    question: str
    answers: tuple[str, ...]
    split: str


def read_gold(path: Path, bbc_dir: Path | None = None) -> tuple[dict[str, list[ArticleInput]], list[GoldQuestion]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        stories = {name: _story_inputs(Path(path).parent, spec, bbc_dir) for name, spec in data["stories"].items()}
        questions = [
            GoldQuestion(q["story"], q["question"], tuple(q["answers"]), q.get("split", "dev"))
            for q in data["questions"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"unreadable gold questions: {exc}", subject=str(path)) from exc
    unknown = {q.story for q in questions} - set(stories)
    if unknown:
        raise InputError(f"questions about unknown stories {sorted(unknown)}", subject=str(path))
    return stories, questions


def _story_inputs(folder: Path, spec: dict, bbc_dir: Path | None) -> list[ArticleInput]:
    if "bbc" in spec:
        return [_bbc_input(bbc_dir, spec["bbc"])]
    if "jsonl" in spec:
        lines = (folder / spec["jsonl"]).read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
    else:
        rows = spec["articles"]
    return [
        ArticleInput(url=row.get("url") or f"https://example.org/{row['id']}", title=row["title"], text=row["text"],
                     source=row["source"])
        for row in rows
    ]  # fmt: skip


def _bbc_input(bbc_dir: Path | None, item: str) -> ArticleInput:
    from storyline.evals.summary import read_text

    if bbc_dir is None:
        raise InputError("the questions name BBC articles: give the BBC layout's folder", subject=item)
    title, _, body = read_text(Path(bbc_dir) / "articles" / f"{item}.txt").strip().partition("\n")
    return ArticleInput(
        url=f"https://bbc.storyline.invalid/{item}", title=title.strip(), text=body.strip(), source="BBC News"
    )


def holds(text: str, answers: Sequence[str]) -> bool:
    lowered = text.lower()
    return any(answer.lower() in lowered for answer in answers)


Story = tuple[list[Article], list[ArticleAnalysis]]


def run(path: Path, bbc_dir: Path | None = None) -> dict:
    inputs, questions = read_gold(path, bbc_dir)
    return score(analyze_stories(inputs), questions)


def analyze_stories(inputs: dict[str, list[ArticleInput]]) -> dict[str, Story]:
    """Each story's articles and their analyses, as the pipeline stores them."""
    from storyline.enrich import analyze
    from storyline.pipeline import to_article

    stories: dict[str, Story] = {}
    for name, items in inputs.items():
        articles = [to_article(item) for item in items]
        stories[name] = (articles, [analyze.analyze_article(article) for article in articles])
    return stories


def score(stories: dict[str, Story], questions: Sequence[GoldQuestion]) -> dict:
    from storyline.enrich import ask

    rows = []
    for gold in questions:
        articles, analyses = stories[gold.story]
        reply = ask.answer(gold.question, articles, None, analyses)
        first = reply.citations[0].text if reply.citations else ""
        rows.append(
            {
                "question": gold.question,
                "split": gold.split,
                "kind": str(reply.kind),
                "answerable": bool(gold.answers),
                "first": holds(first, gold.answers) if gold.answers else not reply.answered,
                "whole": holds(reply.text, gold.answers) if gold.answers else not reply.answered,
                "span": bool(gold.answers) and holds(reply.parts()[1], gold.answers),
                "answer": reply.text,
            }
        )
    scores: dict = {"questions": len(rows)}
    for split in sorted({row["split"] for row in rows}) + ["all"]:
        scores[split] = _scores([row for row in rows if split in ("all", row["split"])])
    scores["misses"] = [
        {key: row[key] for key in ("question", "split", "kind", "answer")} for row in rows if not row["first"]
    ]
    return scores


def _scores(rows: Sequence[dict]) -> dict:
    answerable = [row for row in rows if row["answerable"]]
    unanswerable = [row for row in rows if not row["answerable"]]
    return {
        "answerable": len(answerable),
        "first_sentence_holds_answer": _share(answerable, "first"),
        "whole_answer_holds_answer": _share(answerable, "whole"),
        "marked_span_holds_answer": _share(answerable, "span"),
        "unanswerable": len(unanswerable),
        "unanswerable_said_none": _share(unanswerable, "first"),
    }


def _share(rows: Sequence[dict], key: str) -> float | None:
    return round(sum(row[key] for row in rows) / len(rows), 3) if rows else None
