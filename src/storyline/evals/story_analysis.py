"""``storyline bench story-analysis``: the cost of analysing one very big story.

A story of ``articles`` articles is made from the bundled seed story's four articles, analysed once and then
stored again and again under new addresses, outlets (``OUTLETS`` of them) and times, with their embeddings
jittered so no two are alike: what a busy event imported in bulk looks like to the story analysis, without
spending an hour of NLP on the set-up. Then the story's analysis runs exactly as the importer runs it
(``pipeline.refresh_story_analysis``), timed (wall and CPU seconds), with the process's peak memory; then its
page is rendered twice (the first view also compiles the templates) and its JSON API answer once.
"""

from __future__ import annotations

import resource
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np

from storyline.config import Settings
from storyline.runtime import Runtime

OUTLETS = 200
JITTER = 0.02
STORE_CHUNK = 1_000
SAMPLE = Path(__file__).parents[1] / "data" / "sample.jsonl"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_story_analysis(articles: int = 10_000, progress=lambda done, total: None) -> dict:
    from fastapi.testclient import TestClient

    from storyline.fetch.jsonl import parse_line
    from storyline.pipeline import Processed, analyze_inputs, refresh_counts, refresh_story_analysis, store_processed
    from storyline.store import queries, transaction
    from storyline.web.app import create_app

    seed = [parse_line(line) for line in SAMPLE.read_text("utf-8").splitlines() if line.strip()]
    analyzed, _ = analyze_inputs(seed)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(prefix="storyline-bench-") as folder:
        settings = Settings(database_url=f"sqlite:///{folder}/bench.db", secret_key="bench", web_page_cache_s=0)
        runtime = Runtime.open(settings)
        story_id = 1
        for start in range(0, articles, STORE_CHUNK):
            with transaction(runtime.sessions) as session:
                for number in range(start, min(start + STORE_CHUNK, articles)):
                    original = analyzed[number % len(analyzed)]
                    url = f"https://outlet-{number % OUTLETS}.example/story/{number}"
                    article = replace(
                        original.article,
                        key=f"bench{number:08d}",
                        url=url,
                        source=f"Outlet {number % OUTLETS}",
                        published=original.article.published + timedelta(minutes=number),
                    )
                    embedding = original.embedding + rng.normal(0, JITTER, original.embedding.shape)
                    vector = (embedding / np.linalg.norm(embedding)).astype(np.float32)
                    store_processed(session, Processed(article, original.analysis, vector, story_id, None))
            progress(min(start + STORE_CHUNK, articles), articles)
        with transaction(runtime.sessions) as session:
            refresh_counts(session, [story_id])
        before_mb = peak_rss_mb()
        started, cpu_started = time.perf_counter(), time.process_time()
        with transaction(runtime.sessions) as session:
            refresh_story_analysis(session, story_id)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        peak_mb = peak_rss_mb()
        with transaction(runtime.sessions) as session:
            analysis = queries.get_story(session, story_id).analysis
        client = TestClient(create_app(runtime))
        # The page cache is off (``web_page_cache_s=0``): each view renders. The first also compiles templates.
        first_s, page = timed(lambda: client.get(f"/en/story/{story_id}"))
        page_s, _ = timed(lambda: client.get(f"/en/story/{story_id}"))
        api_s, _ = timed(lambda: client.get(f"/api/stories/{story_id}"))
        runtime.close()
    return {
        "articles": articles,
        "outlets": OUTLETS,
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(peak_mb, 1),
        "peak_rss_before_analysis_mb": round(before_mb, 1),
        "summary_sentences": len(analysis["summary_citations"]),
        "exclusive_outlets": len(analysis["exclusives"]),
        "cpu_seconds": round(cpu_seconds, 2),
        "story_page_status": page.status_code,
        "story_page_first_s": round(first_s, 3),
        "story_page_s": round(page_s, 3),
        "story_page_kb": round(len(page.content) / 1024, 1),
        "api_story_s": round(api_s, 3),
    }


def timed(call):
    """Seconds ``call`` took, and what it returned."""
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result
