"""``storyline bench reader``: a signed-in reader's pages at volume.

A generated database of ``articles`` articles (``bench.generate_database``: stories of one to eight articles,
40 outlets, 2,000 hashtags, four sections, an article every 25 seconds), and one reader with ``follows`` follows
(hashtags, outlets, a section and stories) and ``reads`` read articles among the most recent ones. Then, one
request at a time through the app in this process (no network), each page ``requests`` times: the For you
page, a follow's page (each follow in turn), the Google Reader API's first page of the reading list
(``stream/contents``, n=50, as reader apps ask for it), and mark all read (each follow in turn, last, since it
changes what the others show). Prints each page's p50 and p99 in milliseconds, and its CPU time.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from storyline.config import Settings
from storyline.evals.bench import GENERATE_CHUNK, Progress, _noop, _percentile_ms, generate_database
from storyline.readers.follows import follow_scope, new_feed_token

# The reader's follows, by kind, as shares of ``follows``; the rest are hashtags.
OUTLET_SHARE = 0.2
STORY_SHARE = 0.1
SECTIONS = 1
# Read articles are drawn from this many of the newest: a reader reads recent news.
READ_FROM_NEWEST = 3
# The reader app's request: the reading list's first page of fifty, newest first.
API_PAGE = 50
API_STREAM = f"/reader/api/0/stream/contents/user/-/state/com.google/reading-list?n={API_PAGE}&output=json"


def _reader(database_url: str, articles: int, follows: int, reads: int, seed: int = 11) -> tuple[int, list[int]]:
    """A new reader with its follows and read articles, inserted in bulk; returns its id and its follows' ids."""
    from sqlalchemy import insert, select

    from storyline.runtime import Runtime
    from storyline.store import transaction
    from storyline.store.models import ArticleRead, Follow, Outlet, Story, User, utcnow

    rng = random.Random(seed)
    runtime = Runtime.open(Settings(database_url=database_url))
    try:
        with transaction(runtime.sessions) as session:
            user_id = session.scalar(
                insert(User)
                .values(username=f"bench-{secrets.token_hex(4)}", password_hash="-", created_at=utcnow())
                .returning(User.id)
            )
            outlets = list(session.scalars(select(Outlet.slug)))
            newest_story = session.scalar(select(Story.id).order_by(Story.id.desc()).limit(1)) or 1
            outlet_count = min(int(follows * OUTLET_SHARE), len(outlets))
            story_count = int(follows * STORY_SHARE)
            targets = [("section", "Politics")][:SECTIONS]
            targets += [("outlet", slug) for slug in rng.sample(outlets, outlet_count)]
            targets += [("story", str(newest_story - rng.randrange(200))) for _ in range(story_count)]
            hashtags = rng.sample(range(1, 2001), max(follows - len(targets), 0))
            targets += [("hashtag", f"entity-{number}") for number in hashtags]
            rows = [
                {
                    "user_id": user_id,
                    "kind": kind,
                    "target": target,
                    "feed_token": new_feed_token(),
                    "created_at": utcnow(),
                }
                for kind, target in dict.fromkeys(targets)
            ]
            session.execute(insert(Follow), rows)
            follow_ids = list(session.scalars(select(Follow.id).where(Follow.user_id == user_id)))
        recent = range(max(articles - reads * READ_FROM_NEWEST, 1), articles + 1)
        read = rng.sample(recent, min(reads, len(recent)))
        for start in range(0, len(read), GENERATE_CHUNK):
            with transaction(runtime.sessions) as session:
                session.execute(
                    insert(ArticleRead),
                    [
                        {"user_id": user_id, "article_id": article_id, "read_at": utcnow()}
                        for article_id in read[start : start + GENERATE_CHUNK]
                    ],
                )
    finally:
        runtime.close()
    return user_id, follow_ids


def _api_password(database_url: str, user_id: int) -> tuple[str, str]:
    """The benchmark reader's username and a new API password (reader apps sign in with one)."""
    from storyline.runtime import Runtime
    from storyline.store import community, transaction
    from storyline.web.apps.keys import create_api_password

    runtime = Runtime.open(Settings(database_url=database_url), run_migrations=False)
    try:
        with transaction(runtime.sessions) as session:
            user = community.get_user(session, user_id)
            assert user is not None
            return user.username, create_api_password(session, user, "bench")
    finally:
        runtime.close()


def _timed(requests: int, ask: Callable[[int], object]) -> tuple[list[float], float]:
    """Each request's latency, and the CPU milliseconds a request this process spent (client and app alike):
    on a shared machine the latency includes waiting for a core, the CPU time does not."""
    latencies = []
    cpu_started = time.process_time()
    for number in range(requests):
        started = time.perf_counter()
        ask(number)
        latencies.append(time.perf_counter() - started)
    return latencies, round((time.process_time() - cpu_started) * 1000 / requests, 1)


def bench_reader(
    database: Path,
    articles: int = 1_000_000,
    follows: int = 50,
    reads: int = 100_000,
    requests: int = 200,
    progress: Progress = _noop,
) -> dict:
    from fastapi.testclient import TestClient

    from storyline.runtime import Runtime
    from storyline.web.app import create_app
    from storyline.web.security import SESSION_COOKIE, Limit, RateLimits, SessionCodec, WebSession

    database_url = f"sqlite:///{database}"
    in_db = generate_database(database_url, articles, progress, sentences=(1, 3), embeddings=False)
    user_id, follow_ids = _reader(database_url, in_db, follows, reads)
    username, api_password = _api_password(database_url, user_id)
    settings = Settings(database_url=database_url, secret_key="bench", web_page_cache_s=0)
    runtime = Runtime.open(settings, run_migrations=False)
    session = WebSession(user_id=user_id)
    codec = SessionCodec(settings.secret_key)
    try:
        # No rate limit: the benchmark marks all read faster than a person would.
        unlimited = RateLimits(reader_forms_per_account=Limit(10**9, 1))
        with TestClient(create_app(runtime, limits=unlimited)) as client:
            client.cookies.set(SESSION_COOKIE, codec.dumps(session))
            token = codec.csrf_token(session)

            def get(path: str) -> None:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)

            def mark_all_read(number: int) -> None:
                scope = follow_scope(follow_ids[number % len(follow_ids)])
                data = {"scope": scope, "older_than": "day", "csrf_token": token}
                response = client.post("/read", data=data, follow_redirects=False)
                assert response.status_code == 303, response.status_code

            get("/")  # warm the statement caches
            for_you = _timed(requests, lambda _: get("/"))
            follow = _timed(requests, lambda number: get(f"/follows/{follow_ids[number % len(follow_ids)]}"))
            login = client.post("/accounts/ClientLogin", data={"Email": username, "Passwd": api_password})
            auth = {"Authorization": "GoogleLogin auth=" + login.text.split("Auth=")[1].strip()}

            def api_stream(_: int) -> None:
                response = client.get(API_STREAM, headers=auth)
                assert response.status_code == 200 and len(response.json()["items"]) == API_PAGE, response.text[:200]

            api_stream(0)
            stream = _timed(requests, api_stream)
            marks = _timed(requests, mark_all_read)
    finally:
        runtime.close()
    figures = {"articles": in_db, "follows": len(follow_ids), "read_articles": reads, "requests_each": requests}
    pages = (("for_you", for_you), ("follow", follow), ("api_stream", stream), ("mark_all_read", marks))
    for page, (latencies, cpu_ms) in pages:
        figures[f"{page}_p50_ms"] = _percentile_ms(latencies, 50)
        figures[f"{page}_p99_ms"] = _percentile_ms(latencies, 99)
        figures[f"{page}_cpu_ms"] = cpu_ms
    return figures
