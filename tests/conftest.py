"""Fixtures shared by every test package: databases (SQLite and, where it answers, PostgreSQL) and runtimes."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from storyline.config import Settings  # noqa: E402
from storyline.runtime import Runtime  # noqa: E402

SAMPLE = Path(__file__).parents[1] / "src" / "storyline" / "data" / "sample.jsonl"
POSTGRES_URL = os.environ.get("STORYLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1/postgres")


def _postgres_admin():
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL)
    return psycopg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        dbname=url.database or "postgres",
        autocommit=True,
        connect_timeout=3,
    )


def _postgres_reason() -> str | None:
    try:
        _postgres_admin().close()
    except Exception as exc:  # any failure to connect means: no server here
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.__class__.__name__}"
    return None


@pytest.fixture(scope="session")
def postgres_unavailable() -> str | None:
    return _postgres_reason()


@pytest.fixture
def postgres_url(postgres_unavailable) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    if postgres_unavailable:
        pytest.skip(postgres_unavailable)
    from sqlalchemy.engine import make_url

    name = f"storyline_test_{uuid.uuid4().hex[:12]}"
    with _postgres_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    """Runs a test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'storyline.db'}"
    return request.getfixturevalue("postgres_url")


def make_settings(database_url: str, **overrides) -> Settings:
    # No page cache: tests change the database behind the server's back and expect the next page to show it,
    # which the cache delays on purpose (tests/web/test_page_cache.py covers it).
    values = dict(
        database_url=database_url,
        allow_private_hosts=True,
        secret_key="test-secret",
        per_host_delay_s=0.0,
        web_page_cache_s=0.0,
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def sessions(database_url):
    """A migrated database's session factory (SQLite, then PostgreSQL)."""
    from storyline.store import make_engine, make_session_factory, migrate

    engine = make_engine(database_url)
    migrate(engine)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
def runtime(database_url) -> Iterator[Runtime]:
    runtime = Runtime.open(make_settings(database_url))
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.fixture
def sqlite_runtime(tmp_path) -> Iterator[Runtime]:
    runtime = Runtime.open(make_settings(f"sqlite:///{tmp_path / 'storyline.db'}"))
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.fixture(scope="session")
def seed_records() -> list[dict]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1:<free port> answering from a routing table.

    ``routes[path] = (status, headers, body)``; a callable body gets the request handler and returns bytes.
    Requests are recorded as (path, headers) so tests can check conditional GET and politeness.
    """

    def __init__(self) -> None:
        import http.server
        import threading

        self.routes: dict[str, tuple] = {}
        self.requests: list[tuple[str, dict]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                server.requests.append((self.path, dict(self.headers)))
                status, headers, body = server.routes.get(self.path, (404, {}, b"not found"))
                if callable(body):
                    body = body(self)
                    if body is None:
                        return
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def loopback_server() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def refuse_storing(monkeypatch):
    """``refuse_storing(url)``: storing that article's hashtags fails as a database refusal would, so the
    article is refused at the storage step while every other one is stored."""

    def refuse(url: str) -> None:
        from storyline import pipeline

        real = pipeline.store_hashtags

        def store_hashtags(session, row, hashtags):
            if row.url == url:
                raise ValueError("a value the database will not take")
            real(session, row, hashtags)

        monkeypatch.setattr(pipeline, "store_hashtags", store_hashtags)

    return refuse


@contextmanager
def counted_queries(runtime) -> Iterator[list[str]]:
    """The statements ``runtime``'s database runs inside the block, the transactions' beginnings left out."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's transactions are begun by the project (store.db): not queries
            statements.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)
