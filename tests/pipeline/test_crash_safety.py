"""Crash safety: an import killed with SIGKILL part-way and run again stores every article exactly once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from storyline.store.models import Article

LINES = 2_000  # enough batches on both sides of the kill; 10,000 took over 15 minutes to import on two cores
KILL_AFTER = 300
WAIT_LIMIT_S = 900
WORDS = "council minister report police inquiry market river storm school hospital court energy rail club".split()


def _write_corpus(path: Path) -> None:
    rng = random.Random(3)
    with path.open("w", encoding="utf-8") as handle:
        for index in range(LINES):
            # Each ten articles name a place of their own, as real ones do, so stories stay the size of real stories
            # (over fourteen words alone, the placement model files thousands of articles into one story).
            words = " ".join(rng.choices(WORDS, k=12))
            place = f"Placeton{index // 10}"
            record = {
                "url": f"https://crash.example.com/{index}?utm_source=feed",
                "title": f"Item {index}: {place} {words[:40]}",
                "text": f"{place}: {words.capitalize()} number {index}.",
                "source": f"Outlet {index % 5}",
                "published": f"2025-06-{1 + index % 28:02d}T12:00:00Z",
            }
            handle.write(json.dumps(record) + "\n")


def _stored(database_url: str) -> tuple[int, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            total = connection.scalar(select(func.count()).select_from(Article)) or 0
            distinct = connection.scalar(select(func.count(func.distinct(Article.url)))) or 0
    except Exception:  # the schema may not exist yet in the first seconds of the run
        return 0, 0
    finally:
        engine.dispose()
    return total, distinct


@contextmanager
def _import(env: dict[str, str], corpus: Path) -> Iterator[subprocess.Popen]:
    """A ``storyline import`` of the corpus, in its own process group, killed at the end if still running: no
    import outlives its test, whatever assertion stops it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "storyline.cli", "import", str(corpus)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.slow
def test_import_killed_midway_then_rerun_stores_each_article_once(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    _write_corpus(corpus)
    database_url = f"sqlite:///{tmp_path / 'crash.db'}"
    env = dict(os.environ, STORYLINE_DATABASE_URL=database_url, HF_HUB_OFFLINE="1")

    with _import(env, corpus) as first:
        deadline = time.monotonic() + WAIT_LIMIT_S
        while _stored(database_url)[0] < KILL_AFTER:
            assert first.poll() is None, first.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the import made no progress"
            time.sleep(0.5)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    killed_at, _ = _stored(database_url)
    assert KILL_AFTER <= killed_at < LINES, "the kill came too late to test anything"

    with _import(env, corpus) as second:
        _, stderr = second.communicate(timeout=WAIT_LIMIT_S)
    assert second.returncode == 0, stderr.decode()[-2000:]
    assert _stored(database_url) == (LINES, LINES)
