"""``storyline bench freshness``: seconds from an article's publication to its story, and to its analysis.

A loopback JSON Feed server publishes articles of the AllSides development data at a steady rate, later
articles of a story a few publications after its first, so that both new stories and stories already on the
site grow. A ``storyline serve --poll`` subprocess on a fresh SQLite database (the code path a self-hosted
install runs: the poller places first, the backlog enriches behind) polls it. A checker asks the server's JSON
API, as a client would, when each article is listed with its story (its ``story_id`` in ``/api/articles``, the
row ``/api/stories/{id}`` lists it from) and when its analysis is there (the article ``enriched`` and its story
no longer ``analysis_pending``); the backlog's length is read from the database every second. The first
articles are a warm-up, not counted: they load the models. The data holds 785 articles: after them, each text
is published again with an update line (``updated``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import httpx
import numpy as np

from storyline.config import Settings
from storyline.evals.bench import _free_port, _wait_ready
from storyline.evals.loopback import LoopbackServer, QuietHandler
from storyline.nlp import available_cpus

FEEDS = 8  # outlets, each its own feed; an article goes to the feed its AllSides outlet falls in
FEED_ITEMS = 100  # the newest items each feed carries, as a busy outlet's feed does
WARMUP_ARTICLES = 3
WARMUP_TIMEOUT_S = 300.0
# A story's later articles are published this many stories after its first, so they join a story on the site.
LATER_ARTICLES_LAG = 4
PLACEMENT_CHECK_S = 0.5  # how often articles not yet in a story are looked for
ANALYSIS_CHECK_S = 2.0  # how often the articles waiting for their analysis, and their stories, are asked for
DRAIN_TIMEOUT_S = 300.0  # after publishing stops, the longest wait for the last analyses
POLL_INTERVAL_S = 1.0  # the poller's passes, and each feed's interval: a busy outlet polled every second
PERCENTS = (50, 95, 99)
STORY_PAGE = 100  # the most articles the API lists a request

Progress = Callable[[int, int], None]


def _noop(done: int, total: int) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Story:
    """A development story: the texts of its articles, first report first."""

    articles: tuple[dict, ...]


def read_stories(path: Path) -> list[Story]:
    """The AllSides stories of ``path`` in the file's order, each article's gold ``story`` dropped."""
    grouped: dict[str, list[dict]] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                grouped.setdefault(str(record.pop("story")), []).append(record)
    return [Story(tuple(records)) for records in grouped.values()]


def publication_order(stories: Sequence[Story], lag: int = LATER_ARTICLES_LAG) -> list[dict]:
    """Every article once: each story's first report in story order, its later articles ``lag`` stories
    later (into a story already published)."""
    slots = [(rank, 0, story.articles[0]) for rank, story in enumerate(stories)]
    slots += [
        (rank + lag, position, article)
        for rank, story in enumerate(stories)
        for position, article in enumerate(story.articles[1:], start=1)
    ]
    return [article for *_, article in sorted(slots, key=lambda slot: (slot[0], slot[1]))]


def percentiles(seconds: Sequence[float], percents: Sequence[int] = PERCENTS) -> dict[str, float | None]:
    """``p50``, ``p95``, ... of ``seconds`` (linear interpolation), None each when there is none."""
    values = np.asarray(seconds, dtype=float)
    return {f"p{p}": round(float(np.percentile(values, p)), 2) if len(values) else None for p in percents}


@dataclass(slots=True)
class Publication:
    url: str
    published: float  # time.time() when the feed first carried it
    in_story: float | None = None
    analysed: float | None = None
    story_id: int | None = None
    enriched: bool = False


def feed_path(number: int) -> str:
    return f"/feeds/{number}.json"


class FeedServer(LoopbackServer):
    """``FEEDS`` JSON Feeds on 127.0.0.1, each carrying its ``FEED_ITEMS`` newest articles; a conditional GET
    whose ETag still matches gets 304. Article URLs point at this server but are never fetched (the feeds are
    read with ``page_mode`` never: their text is the article)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, list[dict]] = {feed_path(number): [] for number in range(FEEDS)}
        self._documents = {path: (0, self._document(path)) for path in self._items}
        server = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                status, etag, body = server.answer(self.path, self.headers.get("If-None-Match"))
                self.send_response(status)
                if etag:
                    self.send_header("ETag", etag)
                self.send_header("Content-Type", "application/feed+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler, "freshness-feed")

    def feed_urls(self) -> list[str]:
        return [self.base_url + path for path in self._items]

    def publish(self, record: dict, url: str) -> None:
        """Adds the article to the feed of its outlet, dated now."""
        path = feed_path(zlib.crc32((record.get("source") or "").encode("utf-8")) % FEEDS)
        item = {
            "id": url,
            "url": url,
            "title": record.get("title") or "",
            "content_text": record.get("text") or "",
            "date_published": datetime.now(timezone.utc).isoformat(),
        }
        with self._lock:
            self._items[path] = [item, *self._items[path]][:FEED_ITEMS]
            version = self._documents[path][0] + 1
            self._documents[path] = (version, self._document(path))

    def _document(self, path: str) -> bytes:
        title = f"Outlet {path.rsplit('/', 1)[-1].removesuffix('.json')}"
        document = {"version": "https://jsonfeed.org/version/1.1", "title": title, "items": self._items[path]}
        return json.dumps(document).encode("utf-8")

    def answer(self, path: str, if_none_match: str | None) -> tuple[int, str | None, bytes]:
        with self._lock:
            if path not in self._documents:
                return 404, None, b"not found"
            version, document = self._documents[path]
        etag = f'"v{version}"'
        if if_none_match == etag:
            return 304, etag, b""
        return 200, etag, document


def server_environment(database_url: str) -> dict[str, str]:
    """The subprocess's environment: this checkout's code, the loopback host allowed, no politeness delay (one
    host serves everything) and feeds polled every second."""
    source_dir = str(Path(__file__).resolve().parents[2])
    return dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [source_dir, os.environ.get("PYTHONPATH")])),
        STORYLINE_DATABASE_URL=database_url,
        STORYLINE_ALLOW_PRIVATE_HOSTS="true",
        STORYLINE_PER_HOST_DELAY_S="0",
        STORYLINE_FEED_MIN_INTERVAL_S=str(int(POLL_INTERVAL_S)),
        STORYLINE_FEED_DEFAULT_INTERVAL_S=str(int(POLL_INTERVAL_S)),
        STORYLINE_POLL_INTERVAL_S=str(POLL_INTERVAL_S),
    )


def subscribe(database_url: str, feed_urls: Sequence[str]) -> None:
    """Creates the database and subscribes it to the feeds, read as they come (no page fetched)."""
    from storyline.collect import add_feed
    from storyline.runtime import Runtime
    from storyline.store import queries, transaction

    interval = int(POLL_INTERVAL_S)
    settings = Settings(
        database_url=database_url,
        allow_private_hosts=True,
        feed_min_interval_s=interval,
        feed_default_interval_s=interval,
    )
    runtime = Runtime.open(settings)
    try:
        for feed_url in feed_urls:
            feed = add_feed(runtime, feed_url)
            with transaction(runtime.sessions) as session:
                queries.get_feed(session, feed.id).page_mode = "never"
    finally:
        runtime.close()


class Checker:
    """Asks the JSON API, as a client would, when each publication is listed with its story and when its
    analysis is there. The newest articles come a hundred a request (``/api/articles``, newest first; copies,
    which that list leaves out, are asked for by URL), so the checker's own load stays small next to the
    server's work whatever the backlog."""

    def __init__(self, api: str) -> None:
        self.client = httpx.Client(base_url=api, timeout=30)
        self.publications: list[Publication] = []
        self._lock = threading.Lock()
        self._last_analysis_check = 0.0

    def add(self, publication: Publication) -> None:
        with self._lock:
            self.publications.append(publication)

    def waiting(self) -> list[Publication]:
        with self._lock:
            return [p for p in self.publications if p.analysed is None]

    def check(self) -> None:
        """Looks for the publications not in a story yet; every ``ANALYSIS_CHECK_S``, for the analyses too."""
        now = time.monotonic()
        analyses_due = now - self._last_analysis_check >= ANALYSIS_CHECK_S
        if analyses_due:
            self._last_analysis_check = now
        targets = [p for p in self.waiting() if analyses_due or p.in_story is None]
        if not targets:
            return
        listed = self._newest_since(min(p.published for p in targets))
        seen = time.time()
        enriched_stories: set[int] = set()
        for publication in targets:
            article = listed.get(publication.url) or self._by_url(publication.url)
            if article is None or article["story_id"] is None:
                continue
            if publication.in_story is None:
                publication.in_story = seen
            publication.story_id, publication.enriched = article["story_id"], article["enriched"]
            if analyses_due and publication.enriched:
                enriched_stories.add(publication.story_id)
        for story_id in sorted(enriched_stories):
            answer = self.client.get(f"/api/stories/{story_id}", params={"limit": 1})
            if answer.status_code == 200 and not answer.json()["analysis_pending"]:
                for publication in targets:
                    if publication.story_id == story_id and publication.enriched:
                        publication.analysed = time.time()

    def _newest_since(self, oldest: float) -> dict[str, dict]:
        """The listed articles, newest first, back to those published before ``oldest`` (a second's slack)."""
        listed: dict[str, dict] = {}
        while True:
            answer = self.client.get("/api/articles", params={"limit": STORY_PAGE, "offset": len(listed)})
            page = answer.json()["items"] if answer.status_code == 200 else []
            listed.update((article["url"], article) for article in page)
            if len(page) < STORY_PAGE or datetime.fromisoformat(page[-1]["published"]).timestamp() < oldest - 1:
                return listed

    def _by_url(self, url: str) -> dict | None:
        answer = self.client.get("/api/articles", params={"url": url})
        found = answer.json()["items"] if answer.status_code == 200 else []
        return found[0] if found else None

    def close(self) -> None:
        self.client.close()


def backlog_length(database: Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as connection:
        return connection.execute("SELECT count(*) FROM articles WHERE enriched_at IS NULL").fetchone()[0]


def bench_freshness(data: Path, seconds: float = 600.0, rate: float = 5.0, progress: Progress = _noop) -> dict:
    """Publishes ``rate`` articles a second for ``seconds`` from ``data`` (an AllSides JSON Lines file with
    its gold ``story``) and measures; see the module docstring."""
    records = publication_order(read_stories(data))
    with tempfile.TemporaryDirectory(prefix="freshness-") as workdir, FeedServer() as feed:
        database = Path(workdir) / "freshness.db"
        database_url = f"sqlite:///{database}"
        subscribe(database_url, feed.feed_urls())
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "storyline.cli", "serve", "--poll", "--port", str(port)],
            env=server_environment(database_url),
            cwd=workdir,  # its generated secret key goes to the temporary directory's data/
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        api = f"http://127.0.0.1:{port}"
        checker, measured = Checker(api), Checker(api)
        try:
            _wait_ready(api, server)
            load_before = os.getloadavg()
            round_of = _Publisher(feed, records)
            warmup_s = _warm_up(checker, round_of, server)
            backlog: list[tuple[float, int]] = []
            total = int(seconds * rate)
            start = time.monotonic()
            next_sample = start
            while True:
                now = time.monotonic()
                due = min(total, int((now - start) * rate) + 1)
                while len(measured.publications) < due:
                    measured.add(round_of.next())
                if now >= next_sample:
                    backlog.append((round(now - start, 1), backlog_length(database)))
                    next_sample += 1.0
                measured.check()
                progress(len(measured.publications) - len(measured.waiting()), total)
                finished = len(measured.publications) == total and not measured.waiting()
                if finished or now - start > seconds + DRAIN_TIMEOUT_S or server.poll() is not None:
                    break
                time.sleep(PLACEMENT_CHECK_S)
            load_after = os.getloadavg()
        finally:
            checker.close()
            measured.close()
            server.terminate()
            server.wait(timeout=60)
    return _result(measured, backlog, seconds, rate, warmup_s, round_of, load_before, load_after)


class _Publisher:
    """Publishes the articles in order, each under a URL of its own. After the last it starts over with each
    text made new (``updated``), so that no parse or embedding is found in a cache."""

    def __init__(self, feed: FeedServer, records: Sequence[dict]) -> None:
        self.feed, self.records, self.count = feed, records, 0

    def next(self) -> Publication:
        round_number, position = divmod(self.count, len(self.records))
        url = f"{self.feed.base_url}/article/{self.count}"
        self.count += 1
        self.feed.publish(updated(self.records[position], round_number), url)
        return Publication(url, time.time())


def updated(record: dict, round_number: int) -> dict:
    """The record as published in round ``round_number`` (0: as it is): a later round's headline and text say
    which update they are, so their parses and embeddings are computed afresh, as a new report's would be."""
    if not round_number:
        return record
    title = f"Update {round_number}: {record.get('title') or ''}"
    text = f"{record.get('text') or ''}\nThis is update {round_number} of the report, published again."
    return record | {"title": title, "text": text}


def _warm_up(checker: Checker, publisher: _Publisher, server: subprocess.Popen) -> float:
    """Publishes the warm-up articles and waits until they are analysed (the models are loaded by then)."""
    start = time.monotonic()
    for _ in range(WARMUP_ARTICLES):
        checker.add(publisher.next())
    while checker.waiting():
        if time.monotonic() - start > WARMUP_TIMEOUT_S or server.poll() is not None:
            raise RuntimeError("bench freshness: the warm-up articles were not analysed")
        time.sleep(PLACEMENT_CHECK_S)
        checker.check()
    return round(time.monotonic() - start, 1)


def _result(
    measured: Checker,
    backlog: list[tuple[float, int]],
    seconds: float,
    rate: float,
    warmup_s: float,
    publisher: _Publisher,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> dict:
    publications = measured.publications
    to_story, to_analysis = _latencies(publications)
    # The articles published as they are, before any text came round again with its update line.
    first_round = publications[: max(len(publisher.records) - WARMUP_ARTICLES, 0)]
    first_to_story, first_to_analysis = _latencies(first_round)
    lengths = [length for _, length in backlog]
    return {
        "seconds": seconds,
        "rate_per_s": rate,
        "published": len(publications),
        # Published as they are; the rest again with an update line (``updated``).
        "original_texts": min(len(publications) + WARMUP_ARTICLES, len(publisher.records)),
        "in_story": len(to_story),
        "analysed": len(to_analysis),
        "to_story_s": percentiles(to_story),
        "to_analysis_s": percentiles(to_analysis),
        "first_round": {
            "published": len(first_round),
            "to_story_s": percentiles(first_to_story),
            "to_analysis_s": percentiles(first_to_analysis),
        },
        "backlog_max": max(lengths, default=0),
        "backlog_final": lengths[-1] if lengths else 0,
        # Every 30 seconds: (seconds since the first publication, articles waiting for enrichment).
        "backlog_over_time": backlog[::30],
        "warmup_s": warmup_s,
        "poll_interval_s": POLL_INTERVAL_S,
        "load_average_before": [round(value, 2) for value in load_before],
        "load_average_after": [round(value, 2) for value in load_after],
        "cpus": available_cpus(),
        "goals": {"to_story_p95_s": 10, "to_analysis_p95_s": 120},
    }


def _latencies(publications: Sequence[Publication]) -> tuple[list[float], list[float]]:
    """Seconds from publication to the story, and to the analysis, of those that got there."""
    to_story = [p.in_story - p.published for p in publications if p.in_story is not None]
    to_analysis = [p.analysed - p.published for p in publications if p.analysed is not None]
    return to_story, to_analysis
