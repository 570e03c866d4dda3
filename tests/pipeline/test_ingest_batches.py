"""An import of several batches, with the next batch parsed in a background process or here."""

from __future__ import annotations

import html
import io
import json
from datetime import datetime

from storyline import nlp, pipeline
from storyline.config import Settings
from storyline.domain import ArticleInput
from storyline.fetch.jsonl import read_jsonl
from storyline.pipeline import IngestReport, ingest_batches
from storyline.runtime import Runtime
from storyline.store import queries, transaction


def _stored(runtime: Runtime) -> dict:
    with transaction(runtime.sessions) as session:
        rows = queries.latest_articles(session, limit=100)
        articles = {
            row.url: (row.sentences, row.summary, row.quotes, row.figures, sorted(t.entity.slug for t in row.hashtags))
            for row in rows
        }
        return articles | {"stories": len({row.story_id for row in rows})}


def test_parsing_ahead_stores_what_parsing_here_stores(tmp_path, seed_records, monkeypatch):
    lines = io.StringIO("\n".join(json.dumps(record) for record in seed_records))
    inputs = [item for _, item in read_jsonl(lines)]
    parsed_here: list[str] = []
    parse = nlp._sentence_docs
    monkeypatch.setattr(nlp, "_sentence_docs", lambda texts: parsed_here.extend(texts) or parse(texts))
    stored, parsed_here_by = {}, {}
    for processes in (0, 1):
        nlp._parsed.clear()
        parsed_here.clear()
        database_url = f"sqlite:///{tmp_path / f'parse-{processes}.db'}"
        runtime = Runtime.open(Settings(database_url=database_url, parse_processes=processes))
        report = ingest_batches(runtime, ([item] for item in inputs), IngestReport())
        assert report.imported == len(inputs) and not report.failed
        stored[processes], parsed_here_by[processes] = _stored(runtime), len(parsed_here)
        runtime.close()
    assert stored[1] == stored[0]
    assert stored[0]["stories"] == 1
    # Here: every body and headline without processes; with one, only the first batch's.
    assert parsed_here_by == {0: 2 * len(inputs), 1: 2}


def _page(record: dict) -> str:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in record["text"].split("\n") if p.strip())
    title = html.escape(record["title"])
    body = f"<article><h1>{title}</h1>{paragraphs}</article>"
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>"


def test_pages_parsed_ahead_are_extracted_once(tmp_path, seed_records, monkeypatch):
    inputs = [
        ArticleInput(url=r["url"], html=_page(r), source=r["source"], published=datetime.fromisoformat(r["published"]))
        for r in seed_records
    ]
    extracted: list[str] = []
    extract = pipeline.extract_article
    monkeypatch.setattr(pipeline, "extract_article", lambda page, url: extracted.append(url) or extract(page, url))
    runtime = Runtime.open(Settings(database_url=f"sqlite:///{tmp_path / 'pages.db'}", parse_processes=1))
    report = ingest_batches(runtime, ([item] for item in inputs), IngestReport())
    runtime.close()
    assert report.imported == len(inputs) and not report.failed
    assert len(extracted) == len(set(extracted)) == len(inputs)


def test_a_batch_is_placed_in_publication_order_whatever_order_it_arrived_in(seed_records):
    """A poll brings a feed's older entries after other feeds' newer ones; placed as they arrived, an article
    older than its story finds the story formed around later reports."""
    inputs = [item for _, item in read_jsonl(io.StringIO("\n".join(json.dumps(r) for r in seed_records)))]
    newest_first = sorted(inputs, key=lambda item: item.published, reverse=True)
    arrived = pipeline.Processor().process(newest_first, enrich=False)
    in_order = pipeline.Processor().process(sorted(inputs, key=lambda item: item.published), enrich=False)
    assert [one.article.url for one in arrived.processed] == [item.url for item in newest_first]  # as given
    placed = {one.article.url: one.story_id for one in arrived.processed}
    assert placed == {one.article.url: one.story_id for one in in_order.processed}


def test_a_batch_is_stored_as_it_was_placed_so_a_restart_replays_it_so(sqlite_runtime, seed_records):
    inputs = [item for _, item in read_jsonl(io.StringIO("\n".join(json.dumps(r) for r in seed_records)))]
    newest_first = sorted(inputs, key=lambda item: item.published, reverse=True)
    report = pipeline.ingest(sqlite_runtime.sessions, sqlite_runtime.processor, newest_first, enrich=False)
    assert report.imported == len(inputs)
    with transaction(sqlite_runtime.sessions) as session:
        replayed = [row.published_at for row in queries.articles_since(session, datetime(2000, 1, 1))]
    assert replayed == sorted(replayed)
