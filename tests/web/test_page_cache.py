"""The anonymous visitors' page cache: what it shares, with whom, for how long, and when it lets go."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.testclient import TestClient
from sqlalchemy import update
from starlette.requests import Request

from storyline.store import transaction
from storyline.store.models import Article
from storyline.web.accounts import create_admin
from storyline.web.app import create_app
from storyline.web.cache import PageCache, mark_personal

TTL_S = 30.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cached_app(seeded, clock):
    app = create_app(seeded)
    app.state.page_cache = PageCache(entries=100, seconds=TTL_S, clock=clock)
    return app


def retitle(runtime, public_id: str, title: str) -> None:
    with transaction(runtime.sessions) as session:
        session.execute(update(Article).where(Article.public_id == public_id).values(title=title))


def first_article(client: TestClient) -> tuple[str, str]:
    item = client.get("/api/articles").json()["items"][0]
    return item["id"], item["page_url"]


def test_anonymous_readers_share_one_render_until_it_expires(cached_app, seeded, clock):
    with TestClient(cached_app) as reader:
        public_id, page = first_article(reader)
        first = reader.get(page)
        retitle(seeded, public_id, "A retitled headline")
        clock.now += TTL_S - 1
        assert reader.get(page).text == first.text, "within the lifetime, the kept copy"
        clock.now += 1
        assert "A retitled headline" in reader.get(page).text, "after it, a fresh render"


def test_logged_in_visitors_always_get_a_fresh_page(cached_app, seeded, forms):
    with TestClient(cached_app) as reader, TestClient(cached_app) as member:
        public_id, page = first_article(reader)
        reader.get(page)
        forms.register(member, "quentin42")
        retitle(seeded, public_id, "A retitled headline")
        html = member.get(page).text
        assert "A retitled headline" in html and "quentin42" in html
        assert "A retitled headline" not in reader.get(page).text
        assert "quentin42" not in reader.get(page).text, "a member's page is never handed to anyone else"


def test_hiding_a_comment_takes_it_off_the_anonymous_page_at_once(cached_app, seeded, forms):
    create_admin(seeded, "moderator", "admin password 1")
    with TestClient(cached_app) as reader, TestClient(cached_app) as author, TestClient(cached_app) as admin:
        _, page = first_article(reader)
        forms.register(author, "olga")
        comment = forms.comment(author, page, "words to be hidden")
        comment_id = comment.headers["location"].rsplit("#c", 1)[1]
        assert "words to be hidden" in reader.get(page).text, "posting a comment let go of the old copy"
        assert forms.login(admin, "moderator", "admin password 1").status_code == 303
        token = forms.csrf(admin.get("/moderation").text)
        admin.post(f"/moderation/comments/{comment_id}/hide", data={"csrf_token": token})
        assert "words to be hidden" not in reader.get(page).text


def request_for(path: str, query: str = "", host: str = "storyline.test") -> Request:
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query.encode(),
        "headers": [(b"host", host.encode())],
        "scheme": "http",
    }
    request = Request(scope)
    request.state.user = None
    return request


def run(cache: PageCache, requests: list[Request], render) -> list:
    async def all_pages() -> list:
        return await asyncio.gather(*(cache.page(r, lambda r=r: render(r)) for r in requests), return_exceptions=True)

    return asyncio.run(all_pages())


def test_visitors_who_ask_while_a_page_renders_wait_for_that_render():
    cache, renders = PageCache(entries=10, seconds=TTL_S), []

    async def slow_render(request: Request) -> HTMLResponse:
        renders.append(request.url.path)
        await asyncio.sleep(0.01)
        return HTMLResponse("<p>page</p>")

    answers = run(cache, [request_for("/a") for _ in range(5)], slow_render)
    assert renders == ["/a"] and [a.body for a in answers] == [b"<p>page</p>"] * 5


def not_found() -> HTMLResponse:
    raise HTTPException(status_code=404)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda: HTMLResponse("not found", status_code=404), id="an error page"),
        pytest.param(lambda: RedirectResponse("/elsewhere", status_code=301), id="a redirect"),
        pytest.param(not_found, id="an exception"),
    ],
)
def test_only_ordinary_pages_are_shared(answer):
    cache, renders = PageCache(entries=10, seconds=TTL_S), []

    async def render(request: Request):
        renders.append(request.url.path)
        await asyncio.sleep(0.01)
        return answer()

    run(cache, [request_for("/a") for _ in range(3)], render)
    assert len(renders) == 3, "each waiter rendered its own answer"
    assert len(cache) == 0


def personal_page(cache: PageCache, request: Request) -> HTMLResponse:
    mark_personal(request)
    return HTMLResponse("<form>token</form>")


def page_begun_before_a_clear(cache: PageCache, request: Request) -> HTMLResponse:
    cache.clear()  # a comment is hidden while this page is being rendered
    return HTMLResponse("<p>with the comment</p>")


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(personal_page, id="a page that holds a visitor's token"),
        pytest.param(page_begun_before_a_clear, id="a render begun before a clear"),
    ],
)
def test_a_page_unfit_to_share_is_not_kept(page):
    cache = PageCache(entries=10, seconds=TTL_S)

    async def render(request: Request) -> HTMLResponse:
        return page(cache, request)

    run(cache, [request_for("/a")], render)
    assert len(cache) == 0


def test_pages_are_kept_apart_by_query_and_host():
    cache = PageCache(entries=10, seconds=TTL_S)

    async def render(request: Request) -> HTMLResponse:
        return HTMLResponse(str(request.url))

    requests = [request_for("/", "page=1"), request_for("/", "page=2"), request_for("/", "page=1", "other.test")]
    run(cache, requests, render)
    again = run(cache, requests, render)
    assert len(cache) == 3
    assert [a.body for a in again] == [
        b"http://storyline.test/?page=1",
        b"http://storyline.test/?page=2",
        b"http://other.test/?page=1",
    ]


def test_the_least_recently_read_page_goes_first():
    clock = Clock()
    cache = PageCache(entries=2, seconds=TTL_S, clock=clock)
    renders = []

    async def render(request: Request) -> HTMLResponse:
        renders.append(request.url.path)
        return HTMLResponse(request.url.path)

    for path in ["/a", "/b", "/a", "/c", "/a", "/b"]:
        run(cache, [request_for(path)], render)
    assert renders == ["/a", "/b", "/c", "/b"]
