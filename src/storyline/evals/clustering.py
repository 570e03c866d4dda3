"""Story clustering quality and speed on a labelled headline set (``storyline eval clustering``).

Rows are replayed strictly in time order through the same ``StoryEngine`` the product uses, built the way
``Processor.place`` builds its input (a title-only article, its embedding, its non-topic hashtags); the gold
``STORY`` column is read only to score. Embeddings and entities are computed ahead in batches because they
depend on one article alone; placement, the only stateful step, sees one row at a time. With ``refine`` the
periodic refinement pass (``stories/refine.py``) runs as it does on the story writer: after a row, once per
``RefineConfig.every`` of item time, over the live stories built from the rows seen so far; an article's
predicted story is the one it ends in, as the store would hold it after the merges and splits.
Scores are B-cubed precision, recall and F1 (Bagga and Baldwin, 1998).

``squeeze`` moves the gold stories' start times that many times closer together (each story's own rows keep
their offsets from its start). Every development story is a burst about a minute long, far from the next, so
timing alone separates them; squeezed, the stories overlap in time and the score leans on content. This is
the one place gold labels touch the input, and only the timestamps.

``dates_only`` stamps every row at midnight of its day (UTC), as a sitemap or a feed that gives dates only
does: then time cannot separate the events of one day at all, and the score is what content alone achieves.
"""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from storyline.domain import Article
from storyline.errors import InputError
from storyline.moments import parse_moment
from storyline.stories.engine import StoryEngine, StoryItem
from storyline.stories.refine import RefineConfig, Refinement, Refiner

Progress = Callable[[int, int], None]

UCI_COLUMNS = ("ID", "TITLE", "URL", "PUBLISHER", "STORY", "TIMESTAMP")
EMBED_CHUNK = 256
BENCH_NOISE = 0.02  # scale of the noise added to reused embeddings, small next to story-level distances
SEGMENTS = 5


@dataclass(frozen=True, slots=True)
class LabelledHeadline:
    id: str
    title: str
    url: str
    publisher: str
    story: str
    published: datetime


@dataclass(slots=True)
class Prepared:
    """Everything about the rows that does not depend on other rows, computed ahead of placement."""

    rows: list[LabelledHeadline]
    articles: list[Article]
    embeddings: np.ndarray
    entities: list[list[str]]


def _noop(done: int, total: int) -> None:
    return None


def read_uci(path: Path, limit: int | None = None) -> list[LabelledHeadline]:
    """The UCI News Aggregator CSV, in timestamp order (ties by file order); ``limit`` keeps the earliest."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [column for column in UCI_COLUMNS if column not in (reader.fieldnames or [])]
            if missing:
                raise InputError(f"missing columns {', '.join(missing)}", subject=str(path))
            rows = [_headline(record, line) for line, record in enumerate(reader, start=2)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read the headline set: {exc}", subject=str(path)) from exc
    rows.sort(key=lambda row: row.published)
    return rows[:limit] if limit is not None else rows


def _headline(record: dict[str, str], line: int) -> LabelledHeadline:
    try:
        published = datetime.fromtimestamp(int(record["TIMESTAMP"]) / 1000, tz=timezone.utc)
    except (TypeError, ValueError) as exc:
        raise InputError(f"line {line}: bad TIMESTAMP {record.get('TIMESTAMP')!r}") from exc
    return LabelledHeadline(
        id=record["ID"],
        title=(record["TITLE"] or "").strip(),
        url=record["URL"] or "",
        publisher=(record["PUBLISHER"] or "").strip(),
        story=record["STORY"],
        published=published,
    )


def midnight(moment: datetime) -> datetime:
    """``moment`` (aware) as a source that gives dates only stamps it: midnight of its day, UTC."""
    return datetime.combine(moment.astimezone(timezone.utc).date(), datetime.min.time(), tzinfo=timezone.utc)


def squeeze_story_starts(rows: Sequence[LabelledHeadline], factor: float) -> list[LabelledHeadline]:
    """The rows with each gold story's start moved ``factor`` times closer to the first story's, in time order."""
    if factor == 1 or not rows:
        return list(rows)
    starts: dict[str, datetime] = {}
    for row in rows:
        starts[row.story] = min(starts.get(row.story, row.published), row.published)
    origin = min(starts.values())

    def moved(row: LabelledHeadline) -> LabelledHeadline:
        start = starts[row.story]
        return replace(row, published=origin + (start - origin) / factor + (row.published - start))

    return sorted((moved(row) for row in rows), key=lambda row: row.published)


def bcubed(gold: Mapping[str, Hashable], predicted: Mapping[str, Hashable]) -> dict[str, float]:
    """B-cubed precision, recall and F1 over the items of ``gold`` (each must have a prediction)."""
    if not gold:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    pairs = Counter((predicted[item], label) for item, label in gold.items())
    cluster_sizes = Counter(predicted[item] for item in gold)
    label_sizes = Counter(gold.values())
    precision = sum(n * n / cluster_sizes[cluster] for (cluster, _), n in pairs.items()) / len(gold)
    recall = sum(n * n / label_sizes[label] for (_, label), n in pairs.items()) / len(gold)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def prepare(rows: Sequence[LabelledHeadline], progress: Progress = _noop) -> Prepared:
    """Title-only articles as the product would make them, their embeddings and their entity slugs."""
    from storyline import nlp
    from storyline.enrich.entities import extract_hashtags
    from storyline.pipeline import embedding_text

    articles = [
        Article(
            key=row.id,
            url=row.url,
            title=row.title,
            text=row.title,  # what ``to_article`` makes of an input without a body
            source=row.publisher,
            published=row.published,
            sentences=nlp.split_sentences(row.title),
        )
        for row in rows
    ]
    chunks: list[np.ndarray] = []
    for start in range(0, len(articles), EMBED_CHUNK):
        chunk = articles[start : start + EMBED_CHUNK]
        chunks.append(nlp.embed([embedding_text(article) for article in chunk]))
        progress(start + len(chunk), 2 * len(articles))
    entities = [[tag.slug for tag in extract_hashtags(article) if tag.kind != "topic"] for article in articles]
    embeddings = np.concatenate(chunks) if chunks else nlp.embed([])
    return Prepared(list(rows), articles, embeddings, entities)


@dataclass(slots=True)
class Clustered:
    predicted: dict[str, int]  # row id -> the story it ends in
    merges: int = 0
    splits: int = 0


def apply_refinement(predicted: dict[str, int], refinement: Refinement) -> None:
    """Moves the rows the way the store moves articles: absorbed stories' rows to the survivor (in the order
    the merges were made, so a chain ends at the oldest id), split-off rows to the new story."""
    if refinement:
        for key, story_id in predicted.items():
            predicted[key] = refinement.story_after(key, story_id)


def cluster(prepared: Prepared, refine: RefineConfig | None = None, progress: Progress = _noop) -> Clustered:
    """Places the rows one at a time in time order; with ``refine``, refines as the story writer does."""
    from storyline.pipeline import story_item

    engine = StoryEngine()
    refiner = Refiner(refine) if refine is not None else None
    result = Clustered(predicted={})
    total = len(prepared.rows)
    for done, (row, article, embedding, slugs) in enumerate(
        zip(prepared.rows, prepared.articles, prepared.embeddings, prepared.entities, strict=True), start=1
    ):
        result.predicted[row.id] = engine.add(story_item(article, embedding, slugs)).story_id
        if refiner is not None:
            refinement = refiner.refine_if_due(engine)
            apply_refinement(result.predicted, refinement)
            result.merges += len(refinement.merges)
            result.splits += len(refinement.splits)
        if done % 100 == 0 or done == total:
            progress(total + done, 2 * total)
    return result


def run(
    path: Path,
    predictions: Path,
    fmt: str = "uci",
    limit: int | None = None,
    progress: Progress | None = None,
    refine: RefineConfig | None = None,
    squeeze: float = 1.0,
    dates_only: bool = False,
    user_path: UserPath | None = None,
) -> dict:
    """Clusters the rows online, writes ``{"id", "story"}`` JSON lines to ``predictions``, returns scores."""
    if fmt == "jsonl":
        return run_import(path, predictions, limit, dates_only, user_path, progress)
    if user_path is not None and user_path != UserPath():
        raise InputError(
            "arrival lag, restarts and placing first replay the import: use --format jsonl", subject=str(path)
        )
    if fmt != "uci":
        raise InputError(f"unknown format {fmt!r}; known: uci, jsonl", subject=str(path))
    report = progress or _noop
    started = time.perf_counter()
    rows = squeeze_story_starts(read_uci(path, limit), squeeze)
    if dates_only:
        rows = [replace(row, published=midnight(row.published)) for row in rows]
    prepared = prepare(rows, report)
    placing = time.perf_counter()
    clustered = cluster(prepared, refine, report)
    placed = time.perf_counter()
    total = len(prepared.rows)
    predictions.parent.mkdir(parents=True, exist_ok=True)
    with predictions.open("w", encoding="utf-8") as out:
        for row in prepared.rows:
            out.write(json.dumps({"id": row.id, "story": clustered.predicted[row.id]}) + "\n")
    seconds = time.perf_counter() - started
    refinement = {"merges": clustered.merges, "splits": clustered.splits} if refine is not None else None
    return {
        **bcubed({row.id: row.story for row in prepared.rows}, clustered.predicted),
        "gold_stories": len({row.story for row in prepared.rows}),
        "predicted_stories": len(set(clustered.predicted.values())),
        "refinement": refinement,
        "squeeze": squeeze,
        "dates_only": dates_only,
        "rows": total,
        "seconds": round(seconds, 2),
        "rows_per_s": round(total / seconds, 1) if seconds else None,
        "placement_rows_per_s": round(total / (placed - placing), 1) if placed > placing else None,
    }


def read_labelled_jsonl(
    path: Path, limit: int | None = None, dates_only: bool = False
) -> tuple[list[str], dict[str, str]]:
    """The file's lines as ``storyline import`` reads them, without their gold ``story``, and each line's id
    (its ``id`` field, else its line number) -> gold story; with ``dates_only`` each ``published`` moved to
    its day's midnight. Lines that are not JSON objects pass through, for the import to reject as it would,
    and so do times that do not parse."""
    lines: list[str] = []
    gold: dict[str, str] = {}
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if limit is not None and len(lines) >= limit:
                    break
                if not line.strip():
                    continue
                record = json.loads(line)
                if not isinstance(record, dict) or "story" not in record:
                    raise InputError(f"line {number}: no gold 'story' field", subject=str(path))
                record.setdefault("id", str(number))
                gold[str(record["id"])] = str(record.pop("story"))
                if dates_only and "published" in record:
                    record["published"] = _midnight_text(record["published"])
                lines.append(json.dumps(record))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot read the labelled file: {exc}", subject=str(path)) from exc
    return lines, gold


def _midnight_text(published: object) -> object:
    """A line's ``published`` at its day's midnight, read as the import reads it (``moments.parse_moment``)."""
    moment = parse_moment(published) if isinstance(published, str) else None
    return midnight(moment).isoformat() if moment is not None else published


@dataclass(frozen=True, slots=True)
class UserPath:
    """How the articles reach the writer, for ``run_import``: the paths real use takes besides one time-ordered
    import in one process. ``arrival_lag_h``: each line arrives a uniformly random 0 to that many hours after it
    was published (seeded), the file read in arrival order, as polled feeds deliver; ``restarts``: the lines
    imported in that many more runs, each a new process's writer rebuilding its engine from the database, as
    every ``storyline import`` and server start does; ``place_first``: each batch placed as soon as it is
    embedded and enriched after, the backlog drained before the next, as the poller does (``backlog``);
    ``batch``: lines a batch, the import's 64 by default, where a poll of one feed brings a few."""

    arrival_lag_h: float = 0.0
    restarts: int = 0
    place_first: bool = False
    batch: int = 64
    seed: int = 0

    def as_json(self) -> dict:
        return {
            "arrival_lag_h": self.arrival_lag_h,
            "restarts": self.restarts,
            "place_first": self.place_first,
            "batch": self.batch,
        }


def in_arrival_order(lines: Sequence[str], lag_h: float, seed: int) -> list[str]:
    """``lines`` in the order they would arrive, each ``published`` plus a uniformly random lag of up to
    ``lag_h`` hours; lines with no time that parses arrive last, in their order, as undated articles do."""
    if lag_h <= 0:
        return list(lines)
    rng = np.random.default_rng(seed)
    lags = rng.uniform(0.0, lag_h * 3600.0, len(lines))

    def arrival(index: int) -> tuple[bool, float]:
        try:
            published = json.loads(lines[index]).get("published")
        except (ValueError, AttributeError):
            published = None
        moment = parse_moment(published) if isinstance(published, str) else None
        return (moment is None, moment.timestamp() + lags[index] if moment is not None else 0.0)

    return [lines[index] for index in sorted(range(len(lines)), key=arrival)]


def _runs(lines: Sequence[str], count: int) -> list[list[str]]:
    """``lines`` cut into ``count`` consecutive runs as even as can be."""
    bounds = np.linspace(0, len(lines), count + 1).round().astype(int)
    return [list(lines[start:stop]) for start, stop in zip(bounds[:-1], bounds[1:], strict=True)]


def run_import(
    path: Path,
    predictions: Path,
    limit: int | None = None,
    dates_only: bool = False,
    user_path: UserPath | None = None,
    progress: Progress | None = None,
) -> dict:
    """Scores the stories ``storyline import`` makes of a labelled JSON Lines file: the lines, less their gold
    ``story``, are imported by the command's own code into a fresh SQLite database (extraction, analysis,
    placement, dedupe and the writer's refinement, batch by batch), and each line's predicted story is the one
    its article is stored in. Story analyses, which do not change the grouping, are not run. A line the import
    refuses counts as a story of its own. ``user_path`` replays the file as real use delivers it (``UserPath``)."""
    import tempfile

    from storyline.backlog import enrich_and_teach
    from storyline.cli import import_jsonl
    from storyline.config import Settings
    from storyline.runtime import Runtime
    from storyline.store import queries, transaction

    user_path = user_path or UserPath()
    report = progress or _noop
    lines, gold = read_labelled_jsonl(path, limit, dates_only)
    runs = _runs(in_arrival_order(lines, user_path.arrival_lag_h, user_path.seed), user_path.restarts + 1)
    started = time.perf_counter()
    refused: list[str] = []
    with tempfile.TemporaryDirectory(prefix="storyline-eval-") as folder:
        settings = Settings(database_url=f"sqlite:///{folder}/eval.db")
        done_before = 0
        for number, run in enumerate(runs):
            source = Path(folder) / f"import-{number}.jsonl"
            source.write_text("".join(line + "\n" for line in run), encoding="utf-8")
            runtime = Runtime.open(settings)  # a new process's writer: its engine is rebuilt from the database

            def stored(done: int, total: int, runtime: Runtime = runtime, before: int = done_before) -> None:
                while user_path.place_first and enrich_and_teach(runtime):
                    pass  # the backlog drained before the next batch, the poller's path on a quiet machine
                report(before + done, len(lines))

            try:
                _, bad = import_jsonl(
                    runtime,
                    source,
                    show_progress=False,
                    enrich=not user_path.place_first,
                    on_batch=stored,
                    batch_size=user_path.batch,
                )
                refused.extend(bad)
            finally:
                runtime.close()
            done_before += len(run)
        runtime = Runtime.open(settings, run_migrations=False)
        try:
            with transaction(runtime.sessions) as session:
                stored_stories = dict(queries.stories_by_external_id(session))
        finally:
            runtime.close()
    seconds = time.perf_counter() - started
    predicted = {item: stored_stories.get(item, f"refused-{item}") for item in gold}
    predictions.parent.mkdir(parents=True, exist_ok=True)
    with predictions.open("w", encoding="utf-8") as out:
        for item, story in predicted.items():
            out.write(json.dumps({"id": item, "story": story}) + "\n")
    return {
        **bcubed(gold, predicted),
        "gold_stories": len(set(gold.values())),
        "predicted_stories": len(set(predicted.values())),
        "rows": len(gold),
        "stored": len(stored_stories),
        "refused": refused,
        "dates_only": dates_only,
        **user_path.as_json(),
        "seconds": round(seconds, 2),
        "rows_per_s": round(len(gold) / seconds, 1) if seconds else None,
    }


def throughput(path: Path, sizes: Sequence[int] = (10_000, 100_000), progress: Progress | None = None) -> dict:
    """Rows per second of placement alone as the corpus grows: the dev rows replayed again and again, each
    pass shifted later by the span of the set, with titles marked and embeddings jittered so a pass neither
    copies nor exactly repeats the one before. The refinement pass runs as it does on the story writer and is
    timed with placement. Flat rates mean retirement keeps each placement's cost bounded."""
    from storyline.pipeline import story_item

    report = progress or _noop
    prepared = prepare(read_uci(path))
    if not prepared.rows:
        raise InputError("no rows to replay", subject=str(path))
    span = prepared.rows[-1].published - prepared.rows[0].published + timedelta(hours=1)
    rng = np.random.default_rng(0)
    results: dict[str, dict] = {}
    done_overall, total_overall = 0, sum(sizes)
    for size in sizes:
        engine = StoryEngine()
        refiner = Refiner()
        merges = splits = 0
        segment_rows = max(size // SEGMENTS, 1)
        # Placement and refinement seconds for each successive fifth of the replay: whether cost grows with it.
        segments: list[dict] = []
        for position in range(size):
            if position % segment_rows == 0:
                segments.append({"rows": 0, "place_s": 0.0, "refine_s": 0.0})
            cycle, index = divmod(position, len(prepared.rows))
            article = prepared.articles[index]
            if cycle:
                article = replace(
                    article,
                    key=f"{article.key}-{cycle}",
                    title=f"{article.title} ({cycle})",
                    text=f"{article.text} ({cycle})",
                    published=prepared.rows[index].published + cycle * span,
                )
            embedding = prepared.embeddings[index] + rng.normal(0, BENCH_NOISE, prepared.embeddings.shape[1])
            item: StoryItem = story_item(article, embedding.astype(np.float32), prepared.entities[index])
            started = time.perf_counter()
            engine.add(item)
            placed = time.perf_counter()
            refinement = refiner.refine_if_due(engine)
            segment = segments[-1]
            segment["rows"] += 1
            segment["place_s"] += placed - started
            segment["refine_s"] += time.perf_counter() - placed
            merges, splits = merges + len(refinement.merges), splits + len(refinement.splits)
            done_overall += 1
            if done_overall % 1000 == 0:
                report(done_overall, total_overall)
        seconds = sum(segment["place_s"] + segment["refine_s"] for segment in segments)
        results[str(size)] = {
            "rows": size,
            "seconds": round(seconds, 2),
            "rows_per_s": round(size / seconds, 1) if seconds else None,
            "live_stories": engine.live_stories,
            "index_size": engine.index_size,
            "merges": merges,
            "splits": splits,
            "segments": [
                {"rows": seg["rows"], "place_s": round(seg["place_s"], 2), "refine_s": round(seg["refine_s"], 2)}
                for seg in segments
            ],
        }
    report(total_overall, total_overall)
    return {"sizes": results}
