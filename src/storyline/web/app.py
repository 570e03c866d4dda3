"""The web application: server-rendered pages, feeds out, and the JSON API, over one ``Runtime``."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from anyio import CapacityLimiter
from anyio.to_thread import current_default_thread_limiter
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storyline.runtime import Runtime
from storyline.store import community, transaction
from storyline.store.models import User
from storyline.web import admin_feeds, alert_pages, api, auth, comments, pages, reader_pages, syndication
from storyline.web.cache import PageCache
from storyline.web.security import (
    SECURITY_HEADERS,
    SESSION_COOKIE,
    SESSION_MAX_AGE_S,
    RateLimits,
    SessionCodec,
    SlidingWindow,
    WebSession,
    secret_key,
)
from storyline.web.templating import make_templates

STATIC_DIR = Path(__file__).parent / "static"
ERROR_TITLES = {
    400: "That request did not make sense",
    401: "Please log in",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed",
    422: "Some fields need another look",
    429: "Slow down a little",
}


def create_app(runtime: Runtime, limits: RateLimits | None = None) -> FastAPI:
    @asynccontextmanager
    async def started(_app: FastAPI) -> AsyncIterator[None]:
        current_default_thread_limiter().total_tokens = runtime.settings.web_threads
        # What is loaded by now lives as long as the process: the collector need not walk it again. Its full
        # collections over all of it paused a For you page for 200 ms about once in 25 (bench reader).
        gc.freeze()
        yield

    app = FastAPI(
        lifespan=started,
        title="Storyline",
        description="News from many outlets, grouped into stories, with AI output that cites its sources.",
        version="0.1.0",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.codec = SessionCodec(secret_key(runtime.settings))
    app.state.limiter = SlidingWindow()
    app.state.limits = limits or RateLimits()
    app.state.templates = make_templates()
    page_threads = runtime.settings.web_page_threads
    app.state.page_threads = CapacityLimiter(page_threads) if page_threads else None
    app.state.page_cache = PageCache(runtime.settings.web_page_cache_entries, runtime.settings.web_page_cache_s)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (api, syndication, auth, comments, admin_feeds, reader_pages, alert_pages, pages):
        app.include_router(module.router)

    app.add_middleware(SessionsAndHeaders, runtime=runtime)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(reader_pages.LoginRequired, reader_pages.login_required)
    return app


class SessionsAndHeaders:
    """Attaches the visitor's session and user to each request; on the way out, writes the session cookie when
    it changed, and the security headers. Plain ASGI rather than ``@app.middleware("http")``, whose task group
    and streams a request cost more than the whole answer of a bare endpoint."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        await _attach_session(request, self.runtime)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                session: WebSession = request.state.session
                if session.dirty:
                    headers.append("set-cookie", _session_cookie(request, session))
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _session_cookie(request: Request, session: WebSession) -> str:
    """The ``Set-Cookie`` value, formatted by Starlette so its quoting and attributes stay Starlette's."""
    carrier = Response()
    carrier.set_cookie(
        SESSION_COOKIE,
        request.app.state.codec.dumps(session),
        max_age=SESSION_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return carrier.headers["set-cookie"]


def create_app_from_environment() -> FastAPI:
    """The app for one of several server processes (``storyline serve --workers``): settings from the
    environment, the schema already migrated by the parent."""
    return create_app(Runtime.open(run_migrations=False))


async def _attach_session(request: Request, runtime: Runtime) -> None:
    codec: SessionCodec = request.app.state.codec
    session = codec.loads(request.cookies.get(SESSION_COOKIE))
    request.state.session_from_cookie = session is not None
    request.state.session = session or WebSession()
    request.state.user = None
    if session is not None and session.user_id is not None:
        user = await run_in_threadpool(_session_user, runtime, session)
        if user is None:
            # Logged out elsewhere, suspended or deleted: continue as an anonymous visitor.
            session.user_id, session.version, session.dirty = None, 0, True
        request.state.user = user


def _session_user(runtime: Runtime, session: WebSession) -> User | None:
    with transaction(runtime.sessions) as db:
        user = community.get_user(db, session.user_id)
        if user is None or user.suspended or user.session_version != session.version:
            return None
        return user


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    title = ERROR_TITLES.get(exc.status_code, "Something went wrong")
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else ""
    return request.app.state.templates.TemplateResponse(
        request,
        "error.html",
        {"status": exc.status_code, "title": title, "detail": detail},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": jsonable_errors(exc)}, status_code=422)
    fields = sorted({str(error["loc"][-1]) for error in exc.errors() if error.get("loc")})
    return request.app.state.templates.TemplateResponse(
        request,
        "error.html",
        {"status": 400, "title": ERROR_TITLES[400], "detail": f"Please check: {', '.join(fields)}."},
        status_code=400,
    )


def jsonable_errors(exc: RequestValidationError) -> list[dict]:
    """The fields of FastAPI's documented ``ValidationError`` schema, without the echoed input (which may be large
    or sensitive)."""
    return [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type", "")}
        for error in exc.errors()
    ]
