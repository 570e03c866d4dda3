"""Speed benchmarks (``storyline bench``): on demand, never in timed tests.

``ingest`` compares the whole pipeline with the plain throughput of its embedding model on the same texts;
``web`` drives concurrent connections against article pages and against a bare endpoint of the same server.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path

import httpx
import numpy as np

from storyline.config import Settings
from storyline.domain import ArticleInput
from storyline.errors import InputError
from storyline.nlp import available_cpus

Progress = Callable[[int, int], None]

INGEST_BATCH = 64
WEB_WARMUP_S = 2.0
WEB_WARMUP_PAGES = 1_000
WEB_SINGLE_CONNECTION_S = 5.0
# Readers' traffic: request counts by page popularity follow Zipf's law with an exponent near 1 (Breslau et
# al., "Web Caching and Zipf-like Distributions", 1999), over a day's worth of coverage.
READERS_PAGES = 1_000
READERS_ZIPF_S = 1.0
# Enough distinct pages that none is asked for twice in a phase: every one of them is rendered.
DISTINCT_PAGES = 60_000
SERVER_START_TIMEOUT_S = 120.0
GENERATE_CHUNK = 5_000


def _noop(done: int, total: int) -> None:
    return None


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    while chunk := list(islice(items, size)):
        yield chunk


def rss_mb() -> float:
    """This process's resident memory, from /proc (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _processes() -> Iterator[tuple[int, list[str]]]:
    """Every process's id and the fields of its /proc stat line after the command name (Linux)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name, in parentheses, may hold spaces: fields are counted after its closing one.
            fields = stat.read_text(encoding="ascii", errors="replace").rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        yield int(stat.parent.name), fields


def children_rss_mb() -> float:
    """Resident memory of this process's direct children (the parser processes)."""
    pages = sum(int(fields[21]) for _, fields in _processes() if int(fields[1]) == os.getpid())
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


# Ingest ------------------------------------------------------------------------------------------------


def bbc_inputs(data_dir: Path, count: int) -> list[ArticleInput]:
    """``count`` articles from the BBC layout (``articles/<section>/<nnn>.txt``), cycled with distinct URLs
    when ``count`` exceeds the set; a cycled copy is a syndicated duplicate to the pipeline, as it would be."""
    files = sorted((data_dir / "articles").glob("*/*.txt"))
    if not files:
        raise InputError("no articles/<section>/<nnn>.txt files found", subject=str(data_dir))
    inputs = []
    for index in range(count):
        path = files[index % len(files)]
        raw = path.read_bytes().decode("utf-8", errors="replace")
        title, _, body = raw.strip().partition("\n")
        inputs.append(
            ArticleInput(
                url=f"https://bench.storyline.invalid/{index // len(files)}/{path.parent.name}/{path.stem}",
                title=title.strip(),
                text=body.strip(),
                source=f"Outlet {index % 7}",
                published=datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=index),
            )
        )
    return inputs


BRIDGE_SAMPLE = 200  # texts the multilingual encoder is timed on: enough for a rate, a minute at most


def bench_ingest(data_dir: Path, count: int = 3000, progress: Progress = _noop) -> dict:
    from storyline import nlp
    from storyline.pipeline import IngestReport, embedding_text, ingest_batches, unsplit_article
    from storyline.runtime import Runtime

    inputs = bbc_inputs(data_dir, count)
    articles = [unsplit_article(item) for item in inputs]
    texts = [embedding_text(article) for article in articles]
    nlp.embed(texts[:32])  # loads the models outside the timings
    spacy_model = nlp.get_spacy()
    started, cpu_started = time.perf_counter(), time.process_time()
    nlp.embed(texts)
    embed_s, embed_cpu_s = time.perf_counter() - started, time.process_time() - cpu_started

    with tempfile.TemporaryDirectory() as tmp:
        runtime = Runtime.open(Settings(database_url=f"sqlite:///{tmp}/bench.db"))
        report = IngestReport()
        done = 0
        parsers_rss_mb = 0.0

        def stored(batch: list) -> None:
            nonlocal done, parsers_rss_mb
            done += len(batch)
            parsers_rss_mb = max(parsers_rss_mb, children_rss_mb())
            progress(done, count)

        started = time.perf_counter()
        ingest_batches(runtime, _chunks(iter(inputs), INGEST_BATCH), report, on_batch=stored)
        seconds = time.perf_counter() - started
        steady_rss_mb = rss_mb()
        runtime.close()
        database_bytes = sum(path.stat().st_size for path in Path(tmp).glob("bench.db*"))
    # spaCy straight over the same bodies and headlines, past the pipeline's parse cache; after the import, so
    # that the memory figure above is the pipeline's own.
    paragraphs = [p for article in articles for text in (article.text, article.title) for p in nlp.paragraphs(text)]
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in spacy_model.pipe(paragraphs):
        pass
    parse_s, parse_cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    # The cross-language bridge's encoder (``stories/bridge.py``) loads only where languages meet: its rate, and
    # the memory with every model loaded.
    sample = texts[:BRIDGE_SAMPLE]
    nlp.embed_multilingual(sample[:4])
    started = time.perf_counter()
    nlp.embed_multilingual(sample)
    bridge_per_s = len(sample) / (time.perf_counter() - started)
    all_models_rss_mb = rss_mb()
    articles_per_s = count / seconds
    embed_limit = count / embed_s
    models_limit = count / (embed_s + parse_s)
    # Both models' CPU time (every thread) spread perfectly over every core with nothing else running: about
    # the most any pipeline that runs both could do on this machine.
    cpus = available_cpus()
    cpu_limit = cpus * count / (embed_cpu_s + parse_cpu_s)
    return {
        "articles": count,
        "imported": report.imported,
        "failed": len(report.failed),
        "seconds": round(seconds, 2),
        "articles_per_s": round(articles_per_s, 2),
        "embed_limit_per_s": round(embed_limit, 2),
        "ratio": round(articles_per_s / embed_limit, 3),
        # The floor set by both models run one after the other: what the pipeline adds beyond its models.
        "parse_limit_per_s": round(count / parse_s, 2),
        "models_limit_per_s": round(models_limit, 2),
        "ratio_to_models": round(articles_per_s / models_limit, 3),
        "embed_cpu_ms_per_article": round(embed_cpu_s * 1000 / count, 1),
        "parse_cpu_ms_per_article": round(parse_cpu_s * 1000 / count, 1),
        "cpu_limit_per_s": round(cpu_limit, 2),
        # The highest ``ratio`` this machine's cores allow.
        "ratio_ceiling": round(cpu_limit / embed_limit, 3),
        "rss_mb_models_loaded": round(steady_rss_mb, 1),
        "parse_processes_rss_mb": round(parsers_rss_mb, 1),
        "bridge_embed_per_s": round(bridge_per_s, 2),
        "rss_mb_all_models_loaded": round(all_models_rss_mb, 1),
        "database_kb_per_article": round(database_bytes / 1024 / count, 1),
        "parse_processes": runtime.settings.parse_processes,
        "cpus": cpus,
    }


# Web ---------------------------------------------------------------------------------------------------

_WORDS = (
    "council government minister report police inquiry market shares economy election voters budget school "
    "hospital patients doctors football club season match league court judge ruling climate energy prices "
    "company profits workers strike union city river storm flood rescue university study scientists data "
    "technology phone software security network film music award festival artist museum transport rail"
).split()


def _sentence(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(10, 22))
    return " ".join(words).capitalize() + "."


def generate_database(
    database_url: str,
    articles: int,
    progress: Progress = _noop,
    seed: int = 7,
    sentences: tuple[int, int] = (6, 14),
    embeddings: bool = True,
) -> int:
    """Fills a database with ``articles`` generated articles in stories of one to eight, with outlets,
    hashtags and cached story analyses, so pages render as they do in production; ``sentences`` bounds each
    body's length and ``embeddings`` False leaves them out (for a benchmark that never reads either). Returns
    the article count."""
    from sqlalchemy import func, insert, select

    from storyline.runtime import Runtime
    from storyline.store import transaction
    from storyline.store.models import Article, ArticleEntity, Entity, Outlet, Story

    runtime = Runtime.open(Settings(database_url=database_url))
    with transaction(runtime.sessions) as session:
        present = session.scalar(select(func.count()).select_from(Article)) or 0
    if present >= articles:
        runtime.close()
        return present
    rng = random.Random(seed)
    start = datetime.now(timezone.utc) - timedelta(days=30)
    with transaction(runtime.sessions) as session:
        session.execute(insert(Outlet), [{"name": f"Outlet {i}", "slug": f"outlet-{i}"} for i in range(40)])
        session.execute(
            insert(Entity),
            [
                {"slug": f"entity-{i}", "name": f"Entity {i}", "kind": rng.choice(["person", "org", "place"])}
                for i in range(2000)
            ],
        )
    outlet_ids = list(range(1, 41))
    article_id = present + 1
    story_id = 1
    while article_id <= articles:
        stories, rows, links = [], [], []
        while len(rows) < GENERATE_CHUNK and article_id <= articles:
            size = min(rng.randint(1, 8), articles - article_id + 1)
            when = start + timedelta(seconds=article_id * 25)
            title = _sentence(rng)[:-1]
            stories.append(
                {
                    "id": story_id,
                    "title": title,
                    "created_at": when,
                    "updated_at": when,
                    "article_count": size,
                    "outlet_count": size,
                    "analysis": {
                        "summary": "",
                        "summary_citations": [],
                        "hashtags": [],
                        "quotes": [],
                        "figures": [],
                        "exclusives": {},
                    },
                    "analysis_article_count": size,
                }
            )
            for _ in range(size):
                body = [_sentence(rng) for _ in range(rng.randint(*sentences))]
                rows.append(
                    {
                        "id": article_id,
                        "public_id": f"gen{article_id:09d}",
                        "url": f"https://generated.storyline.invalid/{article_id}",
                        "title": title,
                        "text": "\n".join(body),
                        "sentences": body,
                        "language": "en",
                        "published_at": when,
                        "created_at": when,
                        "outlet_id": rng.choice(outlet_ids),
                        "story_id": story_id,
                        "section": rng.choice(["Politics", "Business", "Sport", "Technology"]),
                        "summary": [0, 1],
                        "quotes": [],
                        "figures": [],
                        "embedding": np.zeros(384, dtype=np.float32).tobytes() if embeddings else None,
                    }
                )
                links += [
                    {"article_id": article_id, "entity_id": entity, "mentions": 1, "rank": rank}
                    for rank, entity in enumerate(rng.sample(range(1, 2001), 3))
                ]
                article_id += 1
            story_id += 1
        with transaction(runtime.sessions) as session:
            session.execute(insert(Story), stories)
            session.execute(insert(Article), rows)
            session.execute(insert(ArticleEntity), links)
        progress(article_id - 1, articles)
    runtime.close()
    return articles


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"bench: server exited with code {server.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise RuntimeError("bench: server did not become ready")


class _KeepAliveClient:
    """One HTTP/1.1 keep-alive connection that sends GETs and reads whole ``Content-Length`` answers.

    A general client such as httpx spends several times the server's CPU on building requests and parsing
    answers; on a shared machine that CPU is taken from the server, which in production has its clients
    elsewhere. This does the least a correct client must: status, headers, and every byte of the body."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self._reader, self._writer, self._host = reader, writer, host

    @classmethod
    async def connect(cls, host: str, port: int) -> _KeepAliveClient:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, f"{host}:{port}")

    async def get(self, path: str) -> int:
        self._writer.write(f"GET {path} HTTP/1.1\r\nHost: {self._host}\r\n\r\n".encode("ascii"))
        status_line = await self._reader.readline()
        if not status_line:
            raise RuntimeError("bench: the server closed a keep-alive connection")
        length = None
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise RuntimeError(f"bench: {path} answered without Content-Length")
        await self._reader.readexactly(length)
        return int(status_line.split(b" ", 2)[1])

    async def close(self) -> None:
        self._writer.close()
        await self._writer.wait_closed()


async def _drive(host: str, port: int, paths: Sequence[str], connections: int, seconds: float) -> list[float]:
    """``connections`` clients request ``paths`` round-robin for ``seconds``; returns latencies of 200s."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def one_client(offset: int) -> None:
        nonlocal errors
        client = await _KeepAliveClient.connect(host, port)
        index = offset
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                if await client.get(paths[index % len(paths)]) == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1
                index += connections
        finally:
            await client.close()

    await asyncio.gather(*(one_client(i) for i in range(connections)))
    if errors:
        raise RuntimeError(f"bench: {errors} requests did not answer 200")
    return latencies


def _process_tree_cpu_s(pid: int) -> float:
    """CPU seconds used so far by a process and its direct children (the ``--workers`` processes), from
    /proc (Linux). Unlike requests per second, this does not depend on what else the machine is running."""
    ticks = sum(
        int(fields[11]) + int(fields[12])  # utime, stime
        for process_id, fields in _processes()
        if pid in (process_id, int(fields[1]))
    )
    return ticks / os.sysconf("SC_CLK_TCK")


def _measured(server_pid: int, drive) -> tuple[list[float], float]:
    """Latencies of one load phase, and the server's CPU milliseconds per answered request during it."""
    cpu_before = _process_tree_cpu_s(server_pid)
    latencies = asyncio.run(drive)
    cpu_ms = (_process_tree_cpu_s(server_pid) - cpu_before) * 1000
    return latencies, round(cpu_ms / max(len(latencies), 1), 2)


def _percentile_ms(latencies: Sequence[float], percent: float) -> float:
    return round(float(np.percentile(np.array(latencies) * 1000, percent)), 1)


def _article_paths(in_db: int) -> tuple[list[str], list[str], list[str]]:
    """Article pages for warming up, distinct pages in random order, and readers' requests: three sets that
    share no page, so that no phase finds pages another one left in the page cache."""
    least = WEB_WARMUP_PAGES + READERS_PAGES + DISTINCT_PAGES // 10
    if in_db < least:
        raise InputError(f"bench web: needs a database of at least {least:,} articles, has {in_db:,}")
    rng = random.Random(1)
    ids = rng.sample(range(1, in_db + 1), min(in_db, WEB_WARMUP_PAGES + DISTINCT_PAGES + READERS_PAGES))
    paths = [f"/en/article/gen{number:09d}" for number in ids]
    warmup, popular, distinct = (
        paths[:WEB_WARMUP_PAGES],
        paths[WEB_WARMUP_PAGES : WEB_WARMUP_PAGES + READERS_PAGES],
        paths[WEB_WARMUP_PAGES + READERS_PAGES :],
    )
    weights = [1 / rank**READERS_ZIPF_S for rank in range(1, len(popular) + 1)]
    return warmup, distinct, rng.choices(popular, weights=weights, k=DISTINCT_PAGES)


def bench_web(
    database: Path,
    articles: int = 100_000,
    connections: int = 50,
    seconds: float = 20.0,
    workers: int = 1,
    progress: Progress = _noop,
) -> dict:
    """Throughput and latency of article pages, and of ``/healthz`` driven by the same client, plus the page
    latency with one connection: what a page costs without queueing behind the other connections' pages.

    Pages are measured twice: all distinct, so that every one is rendered (what the goal is held to), and as
    readers ask for them, a few popular pages most of the time, which the page cache serves."""
    database_url = f"sqlite:///{database}"
    in_db = generate_database(database_url, articles, progress)
    host, port = "127.0.0.1", _free_port()
    env = dict(os.environ, STORYLINE_DATABASE_URL=database_url)
    # What the server reads: this environment with its database, on which the page threads' default depends.
    server_settings = Settings(database_url=database_url)
    server = subprocess.Popen(
        [sys.executable, "-m", "storyline.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_ready(f"http://{host}:{port}", server)
        warmup, distinct, readers = _article_paths(in_db)
        asyncio.run(_drive(host, port, warmup, connections, WEB_WARMUP_S))
        page_latencies, page_cpu_ms = _measured(server.pid, _drive(host, port, distinct, connections, seconds))
        readers_latencies, readers_cpu_ms = _measured(server.pid, _drive(host, port, readers, connections, seconds))
        baseline_latencies, baseline_cpu_ms = _measured(
            server.pid, _drive(host, port, ["/healthz"], connections, seconds)
        )
        single_latencies = asyncio.run(_drive(host, port, distinct[::-1], 1, WEB_SINGLE_CONNECTION_S))
    finally:
        server.terminate()
        server.wait(timeout=30)
    page_rps = len(page_latencies) / seconds
    readers_rps = len(readers_latencies) / seconds
    baseline_rps = len(baseline_latencies) / seconds
    return {
        # Every request a page nobody asked for before: each is rendered, none comes from the page cache.
        "page_rps": round(page_rps, 1),
        "baseline_rps": round(baseline_rps, 1),
        "ratio": round(page_rps / baseline_rps, 3),
        "p50_ms": _percentile_ms(page_latencies, 50),
        "p99_ms": _percentile_ms(page_latencies, 99),
        "baseline_p99_ms": _percentile_ms(baseline_latencies, 99),
        "single_connection_p50_ms": _percentile_ms(single_latencies, 50),
        "server_cpu_ms_per_page": page_cpu_ms,
        "server_cpu_ms_per_baseline": baseline_cpu_ms,
        # Readers' traffic, starting from an empty page cache: popular pages are asked for again and again.
        "readers_page_rps": round(readers_rps, 1),
        "readers_ratio": round(readers_rps / baseline_rps, 3),
        "readers_p50_ms": _percentile_ms(readers_latencies, 50),
        "readers_p99_ms": _percentile_ms(readers_latencies, 99),
        "readers_server_cpu_ms_per_page": readers_cpu_ms,
        "readers_pages": READERS_PAGES,
        "readers_zipf_s": READERS_ZIPF_S,
        "page_cache_s": server_settings.web_page_cache_s,
        "articles_in_db": in_db,
        "connections": connections,
        "seconds_each": seconds,
        "workers": workers,
        "web_threads": server_settings.web_threads,
        "web_page_threads": server_settings.web_page_threads,
        "client": "asyncio streams, HTTP/1.1 keep-alive",
        "cpus": available_cpus(),
    }
