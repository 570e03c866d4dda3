"""Serving with several processes, and the benchmark's keep-alive client against a real server."""

from __future__ import annotations

import asyncio
import socket
import threading
from functools import partial
from urllib.parse import urlsplit

import pytest
from anyio import to_thread
from anyio.to_thread import current_default_thread_limiter
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from starlette.requests import Request

from storyline.cli import tcp_listener
from storyline.config import Settings, get_settings
from storyline.evals.bench import _KeepAliveClient
from storyline.web.app import create_app, create_app_from_environment
from storyline.web.deps import read_page


@pytest.fixture
def environment_settings(monkeypatch, sqlite_runtime):
    monkeypatch.setenv("STORYLINE_DATABASE_URL", sqlite_runtime.settings.database_url)
    monkeypatch.setenv("STORYLINE_SECRET_KEY", "test-secret")
    get_settings.cache_clear()
    yield sqlite_runtime
    get_settings.cache_clear()


def test_worker_app_serves_the_database_named_by_the_environment(environment_settings, seed_into):
    seed_into(environment_settings)
    with TestClient(create_app_from_environment()) as client:
        public_id = client.get("/api/articles").json()["items"][0]["id"]
        assert client.get(f"/en/article/{public_id}").status_code == 200


def test_keep_alive_client_reads_each_answer_whole_on_one_connection(client, seeded, serve):
    address = urlsplit(serve(seeded))
    page = f"/en/article/{client.get('/api/articles').json()['items'][0]['id']}"
    paths = (page, "/en/article/no-such-id", "/healthz", page)

    async def statuses() -> list[int]:
        connection = await _KeepAliveClient.connect(address.hostname, address.port)
        try:
            # A body left unread would be taken for the next answer's status line.
            return [await connection.get(path) for path in paths]
        finally:
            await connection.close()

    assert asyncio.run(statuses()) == [200, 404, 200, 200]


def test_handler_threads_follow_the_setting(sqlite_runtime):
    sqlite_runtime.settings = sqlite_runtime.settings.model_copy(update={"web_threads": 3})
    with TestClient(create_app(sqlite_runtime)) as client:
        assert client.portal.call(lambda: current_default_thread_limiter().total_tokens) == 3


@pytest.mark.parametrize(
    "database_url, page_threads, resolved",
    [
        ("sqlite:///data/storyline.db", None, 0),
        ("postgresql+psycopg://postgres@127.0.0.1/postgres", None, 2),
        ("sqlite:///data/storyline.db", 3, 3),
        ("postgresql+psycopg://postgres@127.0.0.1/postgres", 0, 0),
    ],
)
def test_page_threads_default_to_the_event_loop_on_sqlite_only(database_url, page_threads, resolved):
    assert Settings(database_url=database_url, web_page_threads=page_threads).web_page_threads == resolved


def page_request(runtime, page_threads: int) -> Request:
    runtime.settings = runtime.settings.model_copy(update={"web_page_threads": page_threads})
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": [], "app": create_app(runtime)})
    request.state.user = None
    return request


@pytest.mark.parametrize("page_threads, on_the_loop", [(0, True), (2, False)])
def test_read_pages_render_on_the_event_loop_unless_given_threads(sqlite_runtime, page_threads, on_the_loop):
    request = page_request(sqlite_runtime, page_threads)
    if page_threads:
        assert request.app.state.page_threads.total_tokens == page_threads

    async def rendered_on_the_loop() -> bytes:
        loop_thread = threading.current_thread()
        response = await read_page(request, lambda db: HTMLResponse(str(threading.current_thread() is loop_thread)))
        return response.body

    assert asyncio.run(rendered_on_the_loop()) == str(on_the_loop).encode()


@pytest.mark.parametrize("page_threads", [0, 2])
def test_read_pages_answer_while_slow_handlers_hold_every_general_thread(sqlite_runtime, seed_into, page_threads):
    seed_into(sqlite_runtime)
    update = {"web_threads": 1, "web_page_threads": page_threads}
    sqlite_runtime.settings = sqlite_runtime.settings.model_copy(update=update)
    release = threading.Event()
    answers: list[int] = []
    with TestClient(create_app(sqlite_runtime)) as client:
        public_id = client.get("/api/articles").json()["items"][0]["id"]
        # A slow handler (an ask, say) takes the one general thread and keeps it.
        held = client.portal.start_task_soon(partial(to_thread.run_sync, release.wait))
        try:
            paths = ("/", f"/en/article/{public_id}")
            reader = threading.Thread(target=lambda: answers.extend(client.get(path).status_code for path in paths))
            reader.start()
            reader.join(timeout=30)
            assert answers == [200, 200], "a read page waited for the general thread pool"
        finally:
            release.set()
            held.result(timeout=30)
            reader.join(timeout=30)


def test_shared_listener_hands_out_connections_without_nagle():
    """Nagle's algorithm on a keep-alive connection holds each answer's last segment for the client's delayed
    ACK: ~40 ms a request once ``serve --workers`` shares one listening socket."""
    with tcp_listener("127.0.0.1", 0) as listener:
        listener.listen()
        with socket.create_connection(listener.getsockname()[:2]):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
