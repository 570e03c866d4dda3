"""Request dependencies: the database session, the logged-in user, CSRF checks and rate limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from anyio import to_thread
from fastapi import Depends, HTTPException, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from storyline.i18n import N_, phrase
from storyline.runtime import Runtime
from storyline.store import writing
from storyline.store.models import User
from storyline.web.security import CSRF_FIELD, Limit, RateLimiter, SessionCodec, WebSession

# Row ids are signed 64-bit in SQLite and PostgreSQL; a larger number must be refused here, not by the driver.
MAX_ROW_ID = 2**63 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


def parse_row_id(text: str) -> int | None:
    """A row id written in ASCII digits (``str.isdigit`` also accepts superscripts, which ``int`` refuses)."""
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ROW_ID else None


class TooManyRequests(HTTPException):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            status_code=429,
            detail=phrase("Too many attempts. Please wait %(seconds)d seconds and try again.", seconds=retry_after),
            headers={"Retry-After": str(retry_after)},
        )


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def get_db(request: Request) -> Iterator[Session]:
    """One session a request; handlers that write commit themselves before answering. Its transaction begins
    deferred: a handler that reads, waits on the network (a feed's discovery, a test message, an LLM) and then
    writes calls ``store.writing`` before its first write, or uses a transaction of its own."""
    session = request.app.state.runtime.sessions()
    try:
        yield session
    finally:
        session.close()


def get_writer_db(db: Annotated[Session, Depends(get_db)]) -> Session:
    """The request's session, begun as a writer's (``store.writing``): for a form that reads and then writes
    and does nothing slow in between. On SQLite it holds the write lock from its first read to its commit, so
    another writer committing in between cannot make its write fail."""
    writing(db)
    return db


Db = Annotated[Session, Depends(get_db)]
WriterDb = Annotated[Session, Depends(get_writer_db)]


async def read_page(request: Request, build: Callable[[Session], Response]) -> Response:
    """A read-only page (home, article, hashtag, section, source): an anonymous visitor's may come from the
    page cache (``web/cache.py``); otherwise ``build`` runs its queries and rendering with its own database
    session, on the event loop or, with ``web_page_threads`` set, in one trip to those few threads (the work
    is CPU-bound under the GIL: more threads only add contention). Slow handlers (ask, a story's first
    analysis) stay on the general pool, so they never hold up these pages."""
    sessions = request.app.state.runtime.sessions
    page_threads = request.app.state.page_threads

    def work() -> Response:
        with sessions() as session:
            return build(session)

    async def render() -> Response:
        if page_threads is None:
            return work()
        return await to_thread.run_sync(work, limiter=page_threads)

    return await request.app.state.page_cache.page(request, render)


def web_session(request: Request) -> WebSession:
    return request.state.session


def current_user(request: Request) -> User | None:
    return getattr(request.state, "user", None)


def require_user(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise HTTPException(status_code=401, detail=N_("Please log in first."))
    return user


def require_admin(user: User = Depends(require_user)) -> User:
    if not user.is_admin:
        raise HTTPException(status_code=403, detail=N_("Only moderators may do this."))
    return user


async def verify_csrf(request: Request) -> None:
    """Every state-changing form carries a token bound to this browser's session id."""
    form = await request.form()
    token = form.get(CSRF_FIELD)
    codec: SessionCodec = request.app.state.codec
    if not request.state.session_from_cookie or not codec.csrf_valid(
        request.state.session, token if isinstance(token, str) else None
    ):
        raise HTTPException(status_code=403, detail=N_("This form has expired. Please reload the page and try again."))


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def enforce(request: Request, key: str, limit: Limit) -> None:
    limiter: RateLimiter = request.app.state.limiter
    if not limiter.allow(key, limit):
        raise TooManyRequests(limiter.retry_after(key, limit))
