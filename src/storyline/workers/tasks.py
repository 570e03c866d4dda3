"""Celery tasks: poll feeds, fetch pages, analyse (any worker), place and store (the single writer).

Every task is idempotent, because delivery is at least once: storing skips canonical URLs already stored
(checked first, and the unique constraint on ``articles.url`` stops any race), so a task redelivered after
its worker was killed stores what is missing and duplicates nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from storyline.config import Settings, get_settings
from storyline.domain import ArticleInput
from storyline.errors import BlockedURLError, ConfigError, FetchError, InputError, RobotsDisallowedError
from storyline.fetch.urls import canonical_url, require_http_url
from storyline.logs import get_logger
from storyline.pipeline import (
    Analyzed,
    BatchResult,
    Failure,
    Processor,
    analyze_inputs,
    embed_inputs,
    in_publication_order,
    rebuild_engine,
    refine_stories,
    store_each,
)
from storyline.runtime import Runtime
from storyline.store import queries, transaction
from storyline.store.models import Article as ArticleRow
from storyline.workers import codec
from storyline.workers.app import ANALYSIS_QUEUE, STORIES_QUEUE, app

log = get_logger("workers")

ANALYZE_BATCH = 16
# Transient failures are retried with exponential backoff (1 s, 2 s, 4 s ... capped, with jitter).
RETRY_OPTIONS: dict[str, Any] = {
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}
PERMANENT_FETCH_ERRORS = (BlockedURLError, RobotsDisallowedError)
# Articles waiting for enrichment this long are queued again by the beat's sweep; at most this many a minute.
BACKLOG_SWEEP_AFTER = timedelta(minutes=5)
BACKLOG_SWEEP_LIMIT = 2000
WRITER_LOCK_KEY = int.from_bytes(hashlib.sha256(b"storyline.place_and_store").digest()[:8], "big", signed=True)


@dataclass
class WorkerState:
    """What one worker process keeps between tasks; built lazily, so each forked child opens its own."""

    settings: Settings | None = None
    runtime: Runtime | None = None
    processor: Processor | None = None
    # The highest article id this writer has seen stored; any other value means another writer was here.
    last_article_id: int | None = None


_state = WorkerState()


def _runtime() -> Runtime:
    if _state.runtime is None:
        _state.runtime = Runtime.open(_state.settings or get_settings(), run_migrations=False)
    return _state.runtime


# Analysis: any worker ----------------------------------------------------------------------------------


class QueueingProcessor(Processor):
    """Hands inputs to the analysis queue instead of processing them here: with it, the collection code
    (``collect.poll_feed``) polls and fetches in a worker while analysis and placement go through the queues."""

    def process(self, items: Sequence[ArticleInput], enrich: bool = True) -> BatchResult:
        for batch in _batches(iter(items), ANALYZE_BATCH):
            analyze.delay([codec.input_to_json(item) for item in batch], enrich)
        return BatchResult()


def _batches(items: Iterator, size: int) -> Iterator[list]:
    while batch := list(islice(items, size)):
        yield batch


def _not_yet_stored(runtime: Runtime, items: Sequence[ArticleInput]) -> list[ArticleInput]:
    """Skips articles already stored before spending any model time on them (invalid URLs pass through:
    ``analyze_inputs`` rejects them with the reason)."""
    canonical: dict[int, str] = {}
    for index, item in enumerate(items):
        try:
            canonical[index] = canonical_url(require_http_url(item.url))
        except InputError:
            continue
    with transaction(runtime.sessions) as session:
        known = queries.existing_urls(session, sorted(set(canonical.values())))
    return [item for index, item in enumerate(items) if canonical.get(index) not in known]


@app.task(name="storyline.analyze", autoretry_for=(OperationalError,), **RETRY_OPTIONS)
def analyze(items_json: list[dict[str, Any]], enrich: bool = True) -> int:
    """Extraction and enrichment for a batch of inputs; the results go to the single writer. Without
    ``enrich``, extraction and the title-and-lead embedding only: the writer places them at once and queues
    their enrichment (``enrich_waiting``)."""
    items = _not_yet_stored(_runtime(), [codec.input_from_json(payload) for payload in items_json])
    if not items:
        return 0
    analyzed, failures = analyze_inputs(items) if enrich else embed_inputs(items)
    for failure in failures:
        log.warning("article rejected", url=failure.subject, error=str(failure.error))
    if analyzed:
        place_and_store.delay([codec.analyzed_to_json(one) for one in analyzed])
    return len(analyzed)


@app.task(name="storyline.fetch_page", autoretry_for=(FetchError, OperationalError), **RETRY_OPTIONS)
def fetch_page(url: str, feed_id: int | None = None, source: str | None = None) -> bool:
    """Fetches one page and queues it for analysis; transient fetch errors are retried with backoff."""
    from storyline.fetch.http import Fetcher

    try:
        page = Fetcher(_runtime().settings).fetch(url)
    except PERMANENT_FETCH_ERRORS as exc:
        log.warning("page refused", url=url, error=str(exc))
        return False
    html = page.content.decode(page.encoding or "utf-8", "replace")
    item = ArticleInput(url=page.url, html=html, source=source, feed_id=feed_id)
    analyze.delay([codec.input_to_json(item)])
    return True


@app.task(name="storyline.poll_feed", autoretry_for=(OperationalError,), **RETRY_OPTIONS)
def poll_feed(feed_id: int) -> int:
    """Polls one feed with the collection code (conditional GET, adaptive interval, backoff); its new
    entries are fetched here in order, which keeps the per-host politeness delay, then queued for analysis."""
    from storyline.collect import PollReport
    from storyline.collect import poll_feed as poll
    from storyline.fetch.http import Fetcher

    runtime = replace(_runtime(), _processor=QueueingProcessor())
    report = PollReport()
    poll(runtime, Fetcher(runtime.settings), feed_id, report, enrich=False)
    return len(report.failed_feeds)


@app.task(name="storyline.dispatch_due", autoretry_for=(OperationalError,), **RETRY_OPTIONS)
def dispatch_due() -> int:
    """The beat's minute tick: one ``poll_feed`` task per due feed. Each dispatched feed is leased (its next
    poll pushed back by the minimum interval) so a slow queue never gets the same feed twice."""
    runtime = _runtime()
    now = datetime.now(timezone.utc)
    lease = timedelta(seconds=runtime.settings.feed_min_interval_s)
    with transaction(runtime.sessions) as session:
        due = queries.due_feeds(session, now)
        for feed in due:
            feed.next_poll_at = now + lease
        feed_ids = [feed.id for feed in due]
    for feed_id in feed_ids:
        poll_feed.delay(feed_id)
    return len(feed_ids)


@app.task(name="storyline.refetch_excerpts", autoretry_for=(OperationalError,), **RETRY_OPTIONS)
def refetch_excerpts() -> int:
    """The beat's tick for stored feed excerpts whose page failed: fetched again when due, as the in-process
    poller does after each pass (``collect.refetch_excerpts``); the article keeps its story, so no writer is
    needed."""
    from storyline.collect import refetch_excerpts as refetch
    from storyline.fetch.http import Fetcher

    runtime = _runtime()
    return refetch(runtime, Fetcher(runtime.settings))


@app.task(name="storyline.refresh_stories", autoretry_for=(OperationalError,), **RETRY_OPTIONS)
def refresh_stories() -> int:
    from storyline.pipeline import refresh_stale_stories

    return refresh_stale_stories(_runtime().sessions)


@app.task(name="storyline.enrich", autoretry_for=(OperationalError,), **RETRY_OPTIONS)
def enrich_waiting(article_ids: list[int]) -> int:
    """The backlog on the queue: enriches the stored articles that still wait (a redelivery finds them done),
    tells the writer their entities and analyses the stories they complete."""
    from storyline.backlog import enrich_stored
    from storyline.pipeline import refresh_stories

    runtime = _runtime()
    enriched = enrich_stored(runtime.sessions, article_ids)
    if enriched:
        learn_entities.delay(enriched.entities)
    refresh_stories(runtime.sessions, sorted(enriched.story_ids))
    return len(enriched)


@app.task(name="storyline.sweep_backlog", autoretry_for=(OperationalError,), **RETRY_OPTIONS)
def sweep_backlog() -> int:
    """The beat's minute tick for the backlog: queues again the articles that have waited for their enrichment
    longer than ``BACKLOG_SWEEP_AFTER`` (a task lost with its broker message, or never sent because its writer
    died after storing), oldest first; returns how many."""
    runtime = _runtime()
    before = datetime.now(timezone.utc) - BACKLOG_SWEEP_AFTER
    with transaction(runtime.sessions) as session:
        waiting = queries.unenriched_article_ids(session, BACKLOG_SWEEP_LIMIT, created_before=before)
    for batch in _batches(iter(waiting), runtime.settings.backlog_batch):
        enrich_waiting.delay(batch)
    return len(waiting)


@app.task(name="storyline.learn_entities", queue=STORIES_QUEUE, autoretry_for=(OperationalError,), **RETRY_OPTIONS)
def learn_entities(entities: dict[str, list[str]]) -> int:
    """Tells the writer's warm story engine the entities enrichment found (public id -> slugs); an engine not
    built yet reads them from the database when it is."""
    if _state.processor is None:
        return 0
    return sum(_state.processor.engine.learn_entities(key, slugs) for key, slugs in entities.items())


@app.task(name="storyline.send_alerts", autoretry_for=(OperationalError,), **RETRY_OPTIONS)
def send_alerts() -> int:
    """The beat's minute tick for alerts: the same ``deliver_due`` as ``storyline alerts send``; deliveries are
    leased rows, so several workers running it at once send each message once."""
    from storyline.alerts.delivery import deliver_due

    return deliver_due(_runtime()).delivered


# Placement: the single writer --------------------------------------------------------------------------


def _max_article_id(session: Session) -> int:
    return session.scalar(select(func.max(ArticleRow.id))) or 0


def _writer_processor(session: Session) -> Processor:
    """The warm story engine, rebuilt from the database at start and whenever another writer stored
    articles since this one last did (a misconfigured second consumer, or a plain ``storyline import``)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK_KEY})
    latest = _max_article_id(session)
    if _state.processor is None or _state.last_article_id != latest:
        if _state.processor is not None:
            log.warning("another writer stored articles: rebuilding the story engine", seen=latest)
        _state.processor = Processor(rebuild_engine(session))
        _state.last_article_id = latest
    return _state.processor


def place_batch(session: Session, analyzed: Sequence[Analyzed]) -> list[ArticleRow]:
    """Places and stores the articles not stored yet, then refines the stories when due, in one transaction;
    returns the rows stored."""
    processor = _writer_processor(session)
    by_url = {one.article.url: one for one in analyzed}
    known = queries.existing_urls(session, list(by_url))
    placed = [
        processor.place(one) for one in in_publication_order(one for url, one in by_url.items() if url not in known)
    ]
    failures: list[Failure] = []
    stored = store_each(session, processor, placed, failures)
    for failure in failures:  # refused for good: a retry would be refused again, so the task goes on
        log.error("article refused at storage", url=failure.subject, error=str(failure.error))
    if stored:
        session.flush()
        _state.last_article_id = max(row.id for row in stored)
    refine_stories(session, processor)
    return stored


@app.task(
    name="storyline.place_and_store",
    queue=STORIES_QUEUE,
    autoretry_for=(OperationalError, IntegrityError),
    **RETRY_OPTIONS,
)
def place_and_store(analyzed_json: list[dict[str, Any]]) -> int:
    analyzed = [codec.analyzed_from_json(payload) for payload in analyzed_json]
    try:
        with transaction(_runtime().sessions) as session:
            stored = place_batch(session, analyzed)
            waiting = [row.id for row in stored if row.enriched_at is None]
    except BaseException:
        # The engine already holds the placements the rollback just undid: rebuild it from the database.
        _state.processor = None
        raise
    if waiting:  # placed first: their enrichment follows on the analysis queue (``sweep_backlog`` if lost)
        enrich_waiting.delay(waiting)
    return len(stored)


# Entry points for the command line ------------------------------------------------------------------


def _broker_url(settings: Settings) -> str:
    if not settings.broker_url:
        raise ConfigError("no broker: set STORYLINE_BROKER_URL, e.g. redis://127.0.0.1:6379/0")
    return settings.broker_url


def enqueue_jsonl(runtime: Runtime, path: Path, batch_size: int = ANALYZE_BATCH) -> int:
    """Queues a JSON Lines file for the workers in batches; returns how many articles were queued.
    Bad lines are logged and skipped, exactly as the direct import reports them."""
    from storyline.fetch.jsonl import read_jsonl

    queued = 0
    with (
        path.open(encoding="utf-8", errors="replace") as handle,
        app.connection_for_write(_broker_url(runtime.settings)) as connection,
    ):
        valid = (item for _, item in _reported(read_jsonl(handle)))
        for batch in _batches(valid, batch_size):
            analyze.apply_async(([codec.input_to_json(item) for item in batch],), connection=connection)
            queued += len(batch)
    log.info("queued", file=str(path), articles=queued)
    return queued


def _reported(lines: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, ArticleInput]]:
    for line_number, item in lines:
        if isinstance(item, Exception):
            log.warning("line skipped", line=line_number, error=str(item))
        else:
            yield line_number, item


def worker_argv(queues: Sequence[str], concurrency: int, beat: bool, schedule_path: Path) -> list[str]:
    if STORIES_QUEUE in queues and concurrency != 1:
        raise ConfigError(f"the {STORIES_QUEUE!r} queue is the single story writer: run it with concurrency 1")
    unknown = set(queues) - {ANALYSIS_QUEUE, STORIES_QUEUE}
    if unknown or not queues:
        raise ConfigError(f"queues must be among {ANALYSIS_QUEUE!r}, {STORIES_QUEUE!r}; got {sorted(queues)}")
    argv = [
        "worker",
        f"--queues={','.join(queues)}",
        f"--concurrency={concurrency}",
        f"--hostname={'+'.join(queues)}@%h",
        "--loglevel=INFO",
    ]
    if beat:
        argv += ["--beat", f"--schedule={schedule_path}"]
    return argv


def run_worker(
    runtime: Runtime,
    queues: Sequence[str] = (ANALYSIS_QUEUE,),
    concurrency: int = 1,
    beat: bool = False,
) -> None:
    """Runs a Celery worker in this process until it is stopped. Run exactly one worker on the ``stories``
    queue (concurrency 1) and as many on ``storyline`` as the machines allow; ``beat`` adds the minute
    scheduler (one per deployment)."""
    argv = worker_argv(queues, concurrency, beat, runtime.settings.data_dir / "celerybeat-schedule")
    app.conf.broker_url = _broker_url(runtime.settings)
    _state.settings = runtime.settings
    # The worker forks its pool from this process: no database connection may be shared with the children.
    runtime.close()
    app.worker_main(argv)
