"""Enrichment behind placement: the articles stored and placed as soon as they were embedded, enriched oldest first.

The poller (``serve --poll``, ``run``) stores each new article with its title-and-lead embedding and places it
in its story at once, leaving ``enriched_at`` empty. The backlog then runs every feature on it (sentences,
entities, quotes, figures, summary), stores that, tells the story engine the entities it found (placement and
refinement read them), and analyses the stories it touched. Work is never lost: what waits is what the database
says waits (``enriched_at IS NULL``), so a process killed halfway resumes on restart, and enriching the same
article twice stores it once. ``start`` runs it in a thread beside the poller, while the poller is idle; the
Celery ``storyline.enrich`` task and the beat's sweep do the same when scaled out (``workers/tasks.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from storyline.domain import ArticleAnalysis
from storyline.errors import StorylineError
from storyline.logs import get_logger
from storyline.pipeline import enrich_articles, refresh_stale_stories, refresh_stories, row_to_domain, store_enrichment
from storyline.runtime import Runtime
from storyline.store import queries, reading, transaction
from storyline.store.models import Article as ArticleRow

log = get_logger("backlog")

# How long the backlog waits before looking again whether the poller is still busy.
POLLER_BUSY_WAIT_S = 0.2


@dataclass(slots=True)
class Enriched:
    """What one pass enriched: each article's entity slugs (what placement reads) and the stories touched."""

    entities: dict[str, list[str]] = field(default_factory=dict)
    story_ids: set[int] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.entities)


def pending_ids(factory: sessionmaker[Session], limit: int) -> list[int]:
    with reading(factory) as session:
        return queries.unenriched_article_ids(session, limit)


def enrich_stored(factory: sessionmaker[Session], article_ids: Sequence[int], write_lock=None) -> Enriched:
    """Enriches the stored articles of ``article_ids`` that still wait, and stores their enrichment in one
    transaction (under ``write_lock`` when given). An article whose features fail is stored with what could be
    read (no entities, quotes, figures or summary) and logged, so that it does not hold the backlog up."""
    with reading(factory) as session:
        rows = [row for row in queries.get_articles_by_ids(session, article_ids) if row.enriched_at is None]
        waiting = [(row.id, row_to_domain(row)[0], np.frombuffer(row.embedding, dtype=np.float32)) for row in rows]
    if not waiting:
        return Enriched()
    analyses = enrich_articles([article for _, article, _ in waiting], [embedding for *_, embedding in waiting])
    done = Enriched()
    with write_lock or nullcontext(), transaction(factory) as session:
        for (row_id, article, _), analysis in zip(waiting, analyses, strict=True):
            row = session.get(ArticleRow, row_id)
            if row is None or row.enriched_at is not None:  # deleted, or enriched by another worker meanwhile
                continue
            if isinstance(analysis, StorylineError):
                log.warning("article enrichment failed", url=article.url, error=str(analysis))
                analysis = ArticleAnalysis(sentences=article.sentences, section=row.section or "", summary=[])
            store_enrichment(session, row, article, analysis)
            done.entities[row.public_id] = [tag.slug for tag in analysis.hashtags if tag.kind != "topic"]
            if row.story_id is not None:
                done.story_ids.add(row.story_id)
    return done


def enrich_and_teach(runtime: Runtime) -> Enriched:
    """Enriches the oldest waiting batch and teaches the story engine the entities it found (placement and
    refinement read them); the stories it touched are the caller's to analyse."""
    enriched = enrich_stored(
        runtime.sessions, pending_ids(runtime.sessions, runtime.settings.backlog_batch), runtime.write_lock
    )
    processor = runtime.loaded_processor  # none built yet: it will be built from the database, entities too
    if processor is not None and enriched:
        with runtime.write_lock:
            for key, slugs in enriched.entities.items():
                processor.engine.learn_entities(key, slugs)
    return enriched


class Backlog:
    """Enriches what waits, a batch at a time, for one process; see the module docstring."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        # Set by the poller while it polls: placement comes first, so the backlog waits for it.
        self.poller_busy = threading.Event()
        self.stopping = threading.Event()

    def step(self) -> int:
        """Enriches the oldest waiting batch, teaches the story engine its entities and analyses the stories
        it completed; returns how many articles it enriched."""
        enriched = enrich_and_teach(self.runtime)
        refresh_stories(self.runtime.sessions, sorted(enriched.story_ids))
        return len(enriched)

    def drain(self) -> int:
        """Enriches everything that waits, then analyses every story still stale (a run killed between storing
        an enrichment and analysing its story leaves one behind); returns how many articles it enriched."""
        total = 0
        while done := self.step():
            total += done
        while refresh_stale_stories(self.runtime.sessions):
            pass
        return total

    def run(self) -> None:
        """Works until ``stopping`` is set, while the poller is idle; any failure is logged and the loop goes on."""
        idle_s = self.runtime.settings.backlog_idle_s
        while not self.stopping.is_set():
            if self.poller_busy.is_set():
                self.stopping.wait(POLLER_BUSY_WAIT_S)
                continue
            try:
                done = self.step()
            except Exception as exc:  # the backlog must outlive any single failure; what waits stays waiting
                log.error("backlog pass failed", error=repr(exc))
                done = 0
            if not done:
                self.stopping.wait(idle_s)


def start(runtime: Runtime) -> Backlog:
    """Starts the backlog in a daemon thread of this process and returns it."""
    backlog = Backlog(runtime)
    threading.Thread(target=backlog.run, daemon=True, name="backlog").start()
    return backlog
