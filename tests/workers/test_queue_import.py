"""``import --queue`` through real Celery workers (Redis broker, PostgreSQL store), including a worker crash."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlalchemy import select

from storyline.config import Settings
from storyline.runtime import Runtime
from storyline.store import transaction
from storyline.store.models import Article, Story

pytestmark = [pytest.mark.postgres, pytest.mark.broker, pytest.mark.slow]
ANALYSIS_QUEUE, STORIES_QUEUE = "storyline", "stories"

TOPICS = [
    ("Glasgow", "tram line", "Anna Reid", 40),
    ("Leeds", "flood barrier", "Tom Hughes", 25),
    ("Cardiff", "children's hospital", "Megan Price", 120),
    ("Belfast", "harbour bridge", "Sean Doyle", 60),
    ("Norwich", "solar farm", "Priya Shah", 18),
    ("Bristol", "bus lane scheme", "Jack Moore", 9),
    ("Oxford", "science park", "Helen Clarke", 75),
    ("York", "railway museum wing", "David Lowe", 14),
    ("Dundee", "wind turbine plant", "Fiona Grant", 90),
    ("Exeter", "cathedral restoration", "Paul Turner", 7),
]
OUTLETS = ["BBC News", "The Guardian", "Sky News", "The Telegraph", "The Independent"]


def _records() -> list[dict]:
    """Fifty short articles: ten stories told by five outlets."""
    records = []
    for topic, (city, project, leader, cost) in enumerate(TOPICS):
        for number, outlet in enumerate(OUTLETS):
            text = (
                f"{leader}, the leader of {city} council, approved the {project} on Monday.\n"
                f"The {project} will cost {cost} million pounds and open in {2026 + number}, officials said.\n"
                f'"This is a good day for {city}," {leader} told {outlet}.'
            )
            records.append(
                {
                    "url": f"https://news{number}.example.com/{city.lower()}/{topic}-{number}",
                    "source": outlet,
                    "title": f"{city} council approves {cost} million pound {project}",
                    "text": text,
                    "published": f"2025-06-{10 + topic:02d}T{8 + number:02d}:00:00+00:00",
                }
            )
    return records


@pytest.fixture
def queue_runtime(postgres_url, broker_url):
    runtime = Runtime.open(Settings(database_url=postgres_url, broker_url=broker_url, secret_key="test-secret"))
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.fixture
def records_file(tmp_path):
    records = _records()
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(json.dumps(record) for record in records) + "\n", encoding="utf-8")
    return path, records


def _stored_urls(runtime: Runtime) -> list[str]:
    with transaction(runtime.sessions) as session:
        return list(session.scalars(select(Article.url)))


def _assert_each_stored_once(runtime: Runtime, records: list[dict]) -> None:
    urls = Counter(_stored_urls(runtime))
    assert set(urls) == {record["url"] for record in records}
    assert all(count == 1 for count in urls.values())
    with transaction(runtime.sessions) as session:
        rows = list(session.scalars(select(Article)))
        stories = {story.id: story for story in session.scalars(select(Story))}
    assert len({row.public_id for row in rows}) == len(records)
    members = Counter(row.story_id for row in rows if row.duplicate_of_id is None)
    # The single writer kept the stories table in step with the articles it placed.
    assert all(row.story_id in stories for row in rows)
    assert {story_id: stories[story_id].article_count for story_id in members} == dict(members)


def test_queued_import_stores_each_article_once(queue_runtime, records_file, start_worker, wait_for):
    from storyline.workers.tasks import enqueue_jsonl

    path, records = records_file
    workers = [start_worker([ANALYSIS_QUEUE]), start_worker([STORIES_QUEUE])]
    assert enqueue_jsonl(queue_runtime, path) == len(records)
    wait_for(lambda: len(_stored_urls(queue_runtime)) >= len(records), "50 stored articles", workers)
    _assert_each_stored_once(queue_runtime, records)

    # Queuing the same file again stores nothing new.
    assert enqueue_jsonl(queue_runtime, path) == len(records)
    wait_for(lambda: not workers[0].in_flight("storyline.analyze") and _queues_empty(queue_runtime), "idle", workers)
    _assert_each_stored_once(queue_runtime, records)


def _queues_empty(runtime: Runtime) -> bool:
    import redis

    client = redis.Redis.from_url(runtime.settings.broker_url)
    return client.llen(ANALYSIS_QUEUE) == 0 and client.llen(STORIES_QUEUE) == 0


def test_worker_killed_mid_task_loses_and_duplicates_nothing(queue_runtime, records_file, start_worker, wait_for):
    from storyline.workers.tasks import enqueue_jsonl

    path, records = records_file
    analysis, writer = start_worker([ANALYSIS_QUEUE]), start_worker([STORIES_QUEUE])
    assert enqueue_jsonl(queue_runtime, path, batch_size=5) == len(records)
    wait_for(lambda: len(_stored_urls(queue_runtime)) > 0, "the first stored batch", [analysis, writer])
    wait_for(lambda: bool(analysis.in_flight("storyline.analyze")), "an analysis in progress", [analysis, writer])
    analysis.kill()
    writer.kill()
    assert len(_stored_urls(queue_runtime)) < len(records)

    workers = [start_worker([ANALYSIS_QUEUE]), start_worker([STORIES_QUEUE])]
    wait_for(lambda: len(_stored_urls(queue_runtime)) >= len(records), "all articles after the restart", workers)
    _assert_each_stored_once(queue_runtime, records)
