"""One article the database refuses is rolled back alone (a savepoint), reported with its line, URL and stage,
withdrawn from its story, and the rest of its batch is stored: on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyline import config, pipeline
from storyline.cli import app
from storyline.domain import ArticleInput
from storyline.errors import StoreError
from storyline.store import queries, reading, transaction

from ..conftest import counted_queries

GERMAN = Path(__file__).parents[1] / "stories" / "testdata" / "german.jsonl"

runner = CliRunner()

SUBJECTS = ["harbour bridge", "robotics prize", "library extension", "cycle lanes", "flower show", "river clean-up"]


def _records() -> list[dict]:
    return [
        {
            "url": f"https://news.example.org/local/{number}",
            "title": f"Town council approves the {subject} plan",
            "text": f"The council voted on Monday to approve the {subject} plan after a long public consultation. "
            f"Councillors said the {subject} would open next spring and cost less than first thought.",
            "source": f"Example Gazette {number % 2}",
            "published": f"2025-06-16T{10 + number:02d}:00:00+00:00",
        }
        for number, subject in enumerate(SUBJECTS)
    ]


def _refuse_hashtags_of(url: str, monkeypatch) -> None:
    """Makes storing one article's hashtags break a real constraint: its first link is inserted twice."""
    real = pipeline.store_hashtags

    def store_hashtags(session, row, hashtags):
        real(session, row, hashtags)
        if row.url == url and hashtags:
            real(session, row, hashtags[:1])
            session.flush()

    monkeypatch.setattr(pipeline, "store_hashtags", store_hashtags)


def test_a_refused_article_is_rolled_back_alone(runtime, monkeypatch):
    records = _records()
    refused_url = records[2]["url"]
    _refuse_hashtags_of(refused_url, monkeypatch)
    items = [ArticleInput(**{**record, "published": None}) for record in records]
    report = pipeline.ingest(runtime.sessions, runtime.processor, items)

    assert report.imported == len(records) - 1
    (failure,) = report.failed
    assert failure.subject == refused_url and isinstance(failure.error, StoreError)
    assert str(failure.error).startswith("store: refused the article: IntegrityError")
    assert refused_url in str(failure.error)
    with transaction(runtime.sessions) as session:
        assert queries.existing_urls(session, [r["url"] for r in records]) == {r["url"] for r in records} - {
            refused_url
        }
        assert queries.get_article_by_url(session, refused_url) is None
        for row in queries.latest_articles(session, limit=10):
            assert row.hashtags and row.story_id is not None
            story = queries.get_story(session, row.story_id)
            assert story is not None and story.article_count >= 1
    # The story engine forgot it too, so nothing points at an article that is not there ...
    assert runtime.processor.engine.story_of(pipeline.public_id_for(refused_url)) is None

    # ... and once the fault is gone, importing again stores it exactly once.
    monkeypatch.undo()
    again = pipeline.ingest(runtime.sessions, runtime.processor, items)
    assert (again.imported, again.skipped, again.failed) == (1, len(records) - 1, [])


def test_import_reports_refused_articles_by_line_and_stores_the_rest(runtime, tmp_path, monkeypatch):
    """A line the database refuses (a broken constraint) is named by its line and URL in the summary, and
    every other line is stored; text no driver could encode (a lone surrogate and a NUL, which JSON allows and
    which once stopped a whole batch in spaCy) is stored cleaned rather than refused."""
    records = _records()
    records[1]["text"] += " Broken \ud800 character and a \u0000 NUL."
    constraint_url = records[4]["url"]
    _refuse_hashtags_of(constraint_url, monkeypatch)
    source = tmp_path / "import.jsonl"
    source.write_text("\n".join(json.dumps(record) for record in records) + "\n", encoding="utf-8")
    monkeypatch.setenv("STORYLINE_DATABASE_URL", runtime.settings.database_url)
    config.get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["import", str(source)], env={"COLUMNS": "400"})
    finally:
        config.get_settings.cache_clear()

    assert result.exit_code == 0 and result.exception is None, result.output
    assert "imported 5, already present 0, rejected 1" in result.output
    assert "line 5: store: refused the article: IntegrityError" in result.output
    assert constraint_url in result.output
    with transaction(runtime.sessions) as session:
        stored = queries.existing_urls(session, [r["url"] for r in records])
        cleaned = queries.get_article_by_url(session, records[1]["url"])
        assert cleaned.text.endswith("Broken \ufffd character and a  NUL.")
    assert stored == {r["url"] for r in records} - {constraint_url}


def test_an_item_without_a_title_gets_one_from_its_text(sqlite_runtime):
    record = _records()[0]
    item = ArticleInput(url=record["url"], text=record["text"], source=record["source"])
    report = pipeline.ingest(sqlite_runtime.sessions, sqlite_runtime.processor, [item])
    assert report.imported == 1 and not report.failed
    with transaction(sqlite_runtime.sessions) as session:
        row = queries.get_article_by_url(session, record["url"])
        assert row.title_derived
        opening = "The council voted on Monday to approve the harbour bridge plan after a long public consultation."
        assert row.title == opening


@pytest.mark.parametrize(
    ("published", "kept"),
    [
        (datetime(1, 1, 1, tzinfo=timezone.utc), False),  # what a page's metadata said; it overflowed the engine
        (datetime(9999, 12, 31, tzinfo=timezone.utc), False),
        (datetime(1989, 12, 31, tzinfo=timezone.utc), False),
        (datetime(2014, 3, 10, tzinfo=timezone.utc), True),
        (datetime.now(timezone.utc) + timedelta(days=1), True),
        (None, False),
    ],
)
def test_implausible_publication_dates_give_way_to_the_arrival_time(sqlite_runtime, published, kept):
    """Stored as undated, so placement reads the article's lulls as unknown (``StoryItem.undated``)."""
    record = _records()[0]
    item = ArticleInput(url=record["url"], title=record["title"], text=record["text"], published=published)
    report = pipeline.ingest(sqlite_runtime.sessions, sqlite_runtime.processor, [item])
    assert report.imported == 1 and not report.failed
    with transaction(sqlite_runtime.sessions) as session:
        row = queries.get_article_by_url(session, record["url"])
    assert (row.published_at == published) is kept
    assert row.undated is not kept


def test_a_restarted_writer_still_knows_which_articles_came_undated(sqlite_runtime):
    dated, undated = _records()[:2]
    items = [
        ArticleInput(url=dated["url"], title=dated["title"], text=dated["text"], published=datetime.now(timezone.utc)),
        ArticleInput(url=undated["url"], title=undated["title"], text=undated["text"]),
    ]
    report = pipeline.ingest(sqlite_runtime.sessions, sqlite_runtime.processor, items)
    assert report.imported == 2 and not report.failed
    with transaction(sqlite_runtime.sessions) as session:
        engine = pipeline.rebuild_engine(session)
        keys = {item.url: queries.get_article_by_url(session, item.url).public_id for item in items}
    members = {member.key: member for story in engine.stories() for member in story.members}
    assert (members[keys[dated["url"]]].undated, members[keys[undated["url"]]].undated) == (False, True)


def test_a_restarted_writer_still_knows_each_article_s_language(sqlite_runtime):
    """Replayed as English, a German report would be compared with its story by MiniLM, not the multilingual
    bridge: after every restart (each ``storyline import`` is one), the English coverage of an event a German
    outlet broke started a story of its own."""
    german = json.loads(GERMAN.read_text(encoding="utf-8"))
    english = _records()[0]
    items = [
        ArticleInput(url="https://www.spiegel.example/a", title=german["title"], text=german["text"], language="de"),
        ArticleInput(url=english["url"], title=english["title"], text=english["text"], language="en"),
    ]
    report = pipeline.ingest(sqlite_runtime.sessions, sqlite_runtime.processor, items)
    assert report.imported == 2 and not report.failed
    with transaction(sqlite_runtime.sessions) as session:
        engine = pipeline.rebuild_engine(session)
        keys = {queries.get_article_by_url(session, item.url).public_id: item.language for item in items}
    members = {member.key: member.language for story in engine.stories() for member in story.members}
    assert members == keys


def test_rebuilding_the_writer_s_engine_reads_a_few_statements_however_many_articles(sqlite_runtime):
    """The engine is rebuilt at every start and after every failed batch, from up to a week of articles."""

    def rebuild_statements() -> int:
        with counted_queries(sqlite_runtime) as statements, reading(sqlite_runtime.sessions) as session:
            pipeline.rebuild_engine(session)
        return len(statements)

    records, counts = _records(), []
    for batch in (records[:2], records[2:]):
        items = [ArticleInput(**{**r, "published": datetime.fromisoformat(r["published"])}) for r in batch]
        assert not pipeline.ingest(sqlite_runtime.sessions, sqlite_runtime.processor, items).failed
        counts.append(rebuild_statements())
    with_two, with_six = counts
    assert with_six == with_two, "six articles read as many statements as two"


def test_a_batch_whose_transaction_fails_leaves_the_writer_nothing_the_database_lacks(sqlite_runtime, monkeypatch):
    """The whole batch rolled back (the database went away as it was committed): the writer's engine, which
    placed the batch, is rebuilt from the database, so the batch imported again is placed as if for the first
    time and stored exactly as the engine holds it."""
    items = [
        ArticleInput(**{**record, "published": datetime.fromisoformat(record["published"])}) for record in _records()
    ]

    def refine_fails(session, processor, whatever_the_cadence=False):
        raise StoreError("store: the database went away")

    monkeypatch.setattr(pipeline, "refine_stories", refine_fails)
    with pytest.raises(StoreError):
        pipeline.ingest_batches(sqlite_runtime, [items], pipeline.IngestReport())
    assert sqlite_runtime.loaded_processor is None

    monkeypatch.undo()
    report = pipeline.ingest_batches(sqlite_runtime, [items], pipeline.IngestReport())
    assert (report.imported, report.failed) == (len(items), [])
    engine = sqlite_runtime.processor.engine
    with transaction(sqlite_runtime.sessions) as session:
        rows = queries.latest_articles(session, limit=len(items))
        assert {row.public_id: row.story_id for row in rows} == {
            row.public_id: engine.story_of(row.public_id) for row in rows
        }
        assert all(row.duplicate_of_id is None for row in rows)
