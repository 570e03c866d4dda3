"""Web fixtures: the seed story processed once per test session, then stored into each test's database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from storyline.domain import ArticleInput
from storyline.pipeline import BatchResult, Processor, store_processed
from storyline.runtime import Runtime
from storyline.store import transaction
from storyline.web.app import create_app

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed_inputs(records: list[dict]) -> list[ArticleInput]:
    return [
        ArticleInput(
            url=record["url"],
            title=record["title"],
            text=record["text"],
            source=record["source"],
            published=datetime.fromisoformat(record["published"]),
            language=record.get("language"),
            author=record.get("author"),
            image_url=record.get("image_url"),
            external_id=record["id"],
        )
        for record in records
    ]


@pytest.fixture(scope="session")
def seed_batch(seed_records) -> BatchResult:
    """Extraction and enrichment are the slow part; do them once and store the result per database."""
    batch = Processor().process(seed_inputs(seed_records))
    assert not batch.failures, batch.failures
    return batch


def store_batch(runtime: Runtime, batch: BatchResult) -> None:
    with transaction(runtime.sessions) as session:
        for processed in batch.processed:
            store_processed(session, processed)


@pytest.fixture
def seed_into(seed_batch):
    return lambda runtime: store_batch(runtime, seed_batch)


@pytest.fixture
def seeded(runtime, seed_batch) -> Runtime:
    store_batch(runtime, seed_batch)
    return runtime


@pytest.fixture
def client(seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded)) as test_client:
        yield test_client


@pytest.fixture
def sqlite_client(sqlite_runtime, seed_batch) -> Iterator[TestClient]:
    store_batch(sqlite_runtime, seed_batch)
    with TestClient(create_app(sqlite_runtime)) as test_client:
        yield test_client


class Forms:
    """Filling in the site's forms the way a browser does: fetch the page, copy its CSRF token, post."""

    @staticmethod
    def csrf(html: str) -> str:
        match = CSRF_INPUT.search(html)
        assert match, "no CSRF token in the page"
        return match.group(1)

    @classmethod
    def register(cls, client: TestClient, username: str, password: str = "correct horse battery") -> None:
        token = cls.csrf(client.get("/register").text)
        response = client.post(
            "/register", data={"username": username, "password": password, "csrf_token": token}, follow_redirects=False
        )
        assert response.status_code == 303, response.text

    @classmethod
    def login(cls, client: TestClient, username: str, password: str = "correct horse battery"):
        token = cls.csrf(client.get("/login").text)
        return client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}, follow_redirects=False
        )

    @classmethod
    def logout(cls, client: TestClient) -> None:
        client.post("/logout", data={"csrf_token": cls.csrf(client.get("/").text)})

    @classmethod
    def comment(cls, client: TestClient, page: str, body: str, parent_id: int | None = None):
        data = {"body": body, "csrf_token": cls.csrf(client.get(page).text)}
        if parent_id is not None:
            data["parent_id"] = str(parent_id)
        return client.post(f"{page}/comments", data=data, follow_redirects=False)


@pytest.fixture
def forms() -> type[Forms]:
    return Forms


def active_content(html: str) -> list[str]:
    """Everything in a page that could run script: script elements (other than JSON-LD data blocks), event
    handler attributes, and javascript:/data: URLs in links, images, frames and forms."""
    import lxml.html

    found = []
    for element in lxml.html.fromstring(html).iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag == "script" and element.get("type") != "application/ld+json":
            found.append(lxml.html.tostring(element, encoding="unicode")[:80])
        if element.tag in ("iframe", "object", "embed"):
            found.append(element.tag)
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                found.append(f"{element.tag} {name}")
            if name in ("href", "src", "action", "formaction") and value.strip().lower().startswith(
                ("javascript:", "data:")
            ):
                found.append(f"{element.tag} {name}={value}")
    return found


@pytest.fixture
def assert_inert():
    def check(html: str) -> None:
        assert active_content(html) == []

    return check
