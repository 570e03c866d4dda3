"""Serving with several processes, and the benchmark's keep-alive client against a real server."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest
from anyio.to_thread import current_default_thread_limiter
from fastapi.testclient import TestClient

from storyline.config import get_settings
from storyline.evals.bench import _KeepAliveClient
from storyline.web.app import create_app, create_app_from_environment


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
