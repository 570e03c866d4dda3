"""The site in a real browser (Debian's Chromium through Playwright): every page type, and the whole comment
and moderation flow through the forms. Any console error, page error or dialog fails the test."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from storyline.web.accounts import create_admin
from storyline.web.app import create_app

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
PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def base_url(sqlite_runtime, seed_into) -> Iterator[str]:
    import uvicorn

    seed_into(sqlite_runtime)
    create_admin(sqlite_runtime, "moderator", "moderator password")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(sqlite_runtime), host="127.0.0.1", port=port, log_level="warning")
    )
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

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{self.name}-{name}.png"), full_page=True)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def test_every_page_type_renders_cleanly(base_url, browser):
    for label, viewport, scheme in (
        ("desktop", DESKTOP, "light"),
        ("phone", PHONE, "light"),
        ("dark", DESKTOP, "dark"),
    ):
        context = browser.new_context(viewport=viewport, color_scheme=scheme)
        tab = Watched(context, label)
        tab.visit(f"{base_url}/", "home")
        tab.page.locator(".story-card .card-title a").first.click()
        tab.page.wait_for_load_state()
        assert tab.page.locator("h1#article-title").is_visible()
        assert tab.page.locator("#s0").count() == 1
        tab.shot("article")
        if label != "desktop":
            context.close()
            assert tab.problems == []
            continue
        article_url = tab.page.url
        tab.page.locator("a", has_text="Full coverage and outlet comparison").click()
        tab.page.wait_for_load_state()
        tab.shot("story")
        tab.visit(article_url)
        tab.page.locator(".hashtags a.tag").first.click()
        tab.page.wait_for_load_state()
        assert "Latest news with #" in tab.page.locator("h1").inner_text()
        tab.shot("hashtag")
        tab.visit(article_url)
        tab.page.locator(".article-header a.section-tag").click()
        tab.page.wait_for_load_state()
        tab.shot("section")
        tab.visit(article_url)
        tab.page.locator(".article-header a.outlet").click()
        tab.page.wait_for_load_state()
        tab.shot("source")
        tab.page.fill("#site-search", "tippexed")
        tab.page.press("#site-search", "Enter")
        tab.page.wait_for_load_state()
        assert tab.page.locator(".rows .row-item").count() >= 1
        tab.shot("search")
        tab.visit(f"{base_url}/feeds", "feeds")
        tab.visit(f"{base_url}/about", "about")
        tab.visit(f"{base_url}/en/article/nosuchid", "not-found", status=404)
        tab.visit(article_url)
        tab.page.fill("#ask-q", "How many cases were reopened?")
        tab.page.locator(".ask-form button").click()
        tab.page.wait_for_load_state()
        assert tab.page.locator(".answer").is_visible()
        tab.shot("ask")
        context.close()
        assert tab.problems == []


def register(tab: Watched, base_url: str, username: str) -> None:
    tab.visit(f"{base_url}/register")
    tab.page.fill("#register-username", username)
    tab.page.fill("#register-password", "a long password")
    tab.page.locator(".stacked-form button").click()
    tab.page.wait_for_load_state()
    assert tab.page.locator(".who").inner_text() == username


def test_comment_reply_report_and_moderate_through_the_forms(base_url, browser):
    author = Watched(browser.new_context(viewport=DESKTOP), "author")
    register(author, base_url, "alice")
    author.visit(f"{base_url}/")
    author.page.locator(".story-card .card-title a").first.click()
    author.page.wait_for_load_state()
    article_url = author.page.url.split("#")[0]
    author.page.fill("#comment-body", "Rude remark <script>alert(1)</script> see https://example.com/x")
    author.page.locator(".comments > .comment-form button").click()
    author.page.wait_for_load_state()
    assert author.page.locator(".comment-body a[rel='nofollow ugc noopener']").count() == 1

    reader = Watched(browser.new_context(viewport=DESKTOP), "reader")
    register(reader, base_url, "bob")
    reader.visit(article_url)
    comment = reader.page.locator("li.comment").first
    comment.locator("summary", has_text="Reply").click()
    comment.locator("textarea").fill("I disagree, politely.")
    comment.locator(".comment-form button").click()
    reader.page.wait_for_load_state()
    assert reader.page.locator(".comment-list.replies li.comment").count() == 1
    reader.shot("thread")
    reader.page.locator("li.comment").first.locator("a", has_text="Report").first.click()
    reader.page.wait_for_load_state()
    reader.page.fill("#report-reason", "Insulting")
    reader.page.locator(".stacked-form button").click()
    reader.page.wait_for_load_state()

    admin = Watched(browser.new_context(viewport=DESKTOP), "admin")
    admin.visit(f"{base_url}/login")
    admin.page.fill("#login-username", "moderator")
    admin.page.fill("#login-password", "moderator password")
    admin.page.locator(".stacked-form button").click()
    admin.page.wait_for_load_state()
    admin.visit(f"{base_url}/moderation")
    assert "Insulting" in admin.page.locator(".moderation-item").first.inner_text()
    admin.shot("moderation")
    admin.page.locator("button", has_text="Hide comment").first.click()
    admin.page.wait_for_load_state()
    assert "Nothing to review" in admin.page.content()

    author.visit(article_url)
    assert author.page.locator(".comment-removed", has_text="hidden by a moderator").count() == 1
    assert "Rude remark" not in author.page.content()
    author.shot("after-moderation")
    for tab in (author, reader, admin):
        assert tab.problems == [], tab.name
