"""The Celery writer stores each article of a batch on its own, as ``import`` does: one the database refuses
is reported, and the others are stored in the same task (no retry that would be refused again)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from storyline import pipeline
from storyline.domain import ArticleInput
from storyline.store import queries, transaction
from storyline.workers import tasks


def test_the_writer_stores_the_rest_of_a_batch_when_one_article_is_refused(sqlite_runtime, monkeypatch, refuse_storing):
    start = datetime(2025, 6, 16, 10, tzinfo=timezone.utc)
    items = [
        ArticleInput(
            url=f"https://news.example.org/{subject}",
            title=f"Council approves the {subject} plan",
            text=f"The council approved the {subject} plan on Monday after a long consultation with residents.",
            source="Example Gazette",
            published=start + timedelta(hours=number),
        )
        for number, subject in enumerate(["bridge", "library", "museum"])
    ]
    analyzed, failures = pipeline.analyze_inputs(items)
    assert not failures
    refuse_storing(items[1].url)
    monkeypatch.setattr(tasks._state, "processor", None)
    with transaction(sqlite_runtime.sessions) as session:
        stored = tasks.place_batch(session, analyzed)
    assert len(stored) == 2
    with transaction(sqlite_runtime.sessions) as session:
        assert queries.existing_urls(session, [item.url for item in items]) == {items[0].url, items[2].url}
