"""Web fixtures: the seed story processed once per test session, then stored into each test's database."""

from __future__ import annotations

import re
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from storyline.domain import ArticleInput
from storyline.pipeline import BatchResult, Processor, refresh_counts, refresh_story_analysis, store_processed
from storyline.runtime import Runtime
from storyline.store import queries, transaction
from storyline.store.models import Article, ArticleEntity
from storyline.web.app import create_app

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parents[2] / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}


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
    batch = Processor().process_and_refine(seed_inputs(seed_records))
    assert not batch.failures, batch.failures
    return batch


def store_batch(runtime: Runtime, batch: BatchResult) -> None:
    with transaction(runtime.sessions) as session:
        for processed in batch.processed:
            store_processed(session, processed)
        refresh_counts(session, (processed.story_id for processed in batch.processed))


def add_coverage(
    runtime: Runtime, batch: BatchResult, story_id: int, outlet: str, count: int = 1, first: int = 0
) -> list[str]:
    """Stores ``count`` more articles into the story as a new outlet's coverage (copies of a seed article under
    new addresses, an hour later, numbered from ``first``) and refreshes the story's analysis, as an import
    does; returns their ids."""
    template = next(item for item in batch.processed if item.story_id == story_id and item.duplicate_of is None)
    added = []
    with transaction(runtime.sessions) as session:
        for number in range(first, first + count):
            key = f"more{story_id:04d}{number:04d}"
            article = replace(
                template.article,
                key=key,
                url=f"https://{queries.slugify(outlet)}.example/{key}",
                source=outlet,
                published=template.article.published + timedelta(hours=1, minutes=number),
            )
            store_processed(session, replace(template, article=article, external_id=key))
            added.append(key)
        refresh_counts(session, [story_id])
    with transaction(runtime.sessions) as session:
        refresh_story_analysis(session, story_id)
    return added


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


class HostileCorpus:
    """One story, one article, its outlet and a hashtag with markup and script in every feed-provided field,
    ``javascript:``/``data:`` URLs where links and images go, and a comment that tries the same."""

    SCRIPT = "<script>alert('x')</script>"
    IMAGE = "javascript:alert(1)"
    HOMEPAGE = "data:text/html,<script>alert(3)</script>"
    ARTICLE = "hostile000001"
    COMMENT = (
        f'{SCRIPT} <a href="javascript:alert(1)">x</a> https://ok.example/"><script>alert(2)</script> '
        "<img src=x onerror=alert(4)> data:text/html,<script>alert(5)</script>"
    )
    TAG = "evil-tag"

    @classmethod
    def store(cls, runtime: Runtime) -> None:
        script = cls.SCRIPT
        with transaction(runtime.sessions) as session:
            outlet = queries.get_or_create_outlet(session, f"Evil {script} News", homepage=cls.HOMEPAGE)
            queries.upsert_story(session, 1, f"Story {script}", datetime(2025, 6, 16, tzinfo=timezone.utc))
            article = Article(
                public_id=cls.ARTICLE,
                url='https://evil.example/a"onmouseover="alert(1)',
                title=f"Title {script}",
                text=f"Body {script} here.\nSecond <img src=x onerror=alert(1)> paragraph.",
                sentences=[f"Body {script} here.", "Second <img src=x onerror=alert(1)> paragraph."],
                author=f"Author {script}",
                image_url=cls.IMAGE,
                language="en",
                published_at=datetime(2025, 6, 16, 12, tzinfo=timezone.utc),
                outlet_id=outlet.id,
                story_id=1,
                section=f"news{script}",
                summary=[0],
                quotes=[{"text": script, "speaker": script, "speaker_slug": "x", "sentence": 0, "kind": "direct"}],
                figures=[],
            )
            session.add(article)
            session.flush()
            entity = queries.get_or_create_entity(session, cls.TAG, f"Tag {script}", "topic")
            session.add(ArticleEntity(article_id=article.id, entity_id=entity.id, mentions=1, rank=0))
            queries.refresh_story_counts(session, 1)


@pytest.fixture
def hostile_corpus() -> type[HostileCorpus]:
    return HostileCorpus


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(runtime: Runtime) -> Iterator[str]:
    """The app on a real socket (uvicorn in a thread), for a real browser."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def serve() -> Iterator:
    """``serve(runtime)`` starts the app and returns its base URL; servers stop when the test ends."""
    with ExitStack() as stack:
        yield lambda runtime: stack.enter_context(serving(runtime))


class Watched:
    """A browser page whose console errors, uncaught exceptions and dialogs are collected as problems."""

    def __init__(self, context, name: str) -> None:
        self.page = context.new_page()
        self.name = name
        self.problems: list[str] = []
        self.page.on("console", lambda msg: msg.type == "error" and self.problems.append(f"console: {msg.text}"))
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def visit(self, url: str, shot: str | None = None, status: int = 200):
        before = len(self.problems)
        response = self.page.goto(url)
        assert response is not None and response.status == status, (url, response and response.status)
        if status != 200:  # the browser logs the expected error status of the document itself
            expected = f"status of {status}"
            self.problems[before:] = [p for p in self.problems[before:] if expected not in p]
        if shot:
            self.shot(shot)
        return response

    def click(self, locator, shot: str | None = None) -> None:
        """Follows a link or submits a form, and waits for the page it leads to."""
        locator.click()
        self.page.wait_for_load_state()
        if shot:
            self.shot(shot)

    def register(self, base_url: str, username: str) -> None:
        self.visit(f"{base_url}/register")
        self.page.fill("#register-username", username)
        self.page.fill("#register-password", "a long password")
        self.click(self.page.locator(".stacked-form button"))
        assert self.page.locator(".who").inner_text() == username

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{self.name}-{name}.png"), full_page=True)


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def open_tab(browser):
    """``open_tab(name, **context_options)``: a watched page in a fresh browser context (its own cookies)."""
    return lambda name, **options: Watched(browser.new_context(**{"viewport": DESKTOP, **options}), name)


class OtherWriter:
    """Another process that commits to the SQLite database just before a request's first write, as the poller or
    the backlog does on a busy server. A request whose transaction began deferred, read, and then writes after
    that commit is refused at once ("database is locked"); one begun as a writer holds the lock, so the other
    writer is refused instead (it waits no busy timeout here) and retries on its own in real life."""

    def __init__(self, runtime: Runtime) -> None:
        self.path = runtime.engine.url.database
        self.armed = False
        self.committed: bool | None = None
        with closing(sqlite3.connect(self.path)) as connection, connection:
            connection.execute("CREATE TABLE IF NOT EXISTS other_writes (n INTEGER)")
        event.listen(runtime.engine, "before_cursor_execute", self._before_statement)

    def arm(self) -> None:
        self.armed, self.committed = True, None

    def _before_statement(self, _conn, _cursor, statement: str, *_args) -> None:
        if not self.armed or not statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            return
        self.armed = False
        with closing(sqlite3.connect(self.path, timeout=0)) as other:
            try:
                with other:
                    other.execute("INSERT INTO other_writes VALUES (1)")
                self.committed = True
            except sqlite3.OperationalError:
                self.committed = False


@pytest.fixture
def other_writer(sqlite_runtime) -> OtherWriter:
    return OtherWriter(sqlite_runtime)
