"""The web application: server-rendered pages, feeds out, and the JSON API, over one ``Runtime``."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
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

from storyline import i18n
from storyline.i18n import N_
from storyline.runtime import Runtime
from storyline.store import community, transaction
from storyline.store.models import User
from storyline.web import (
    admin_feeds,
    alert_pages,
    api,
    apps,
    auth,
    comments,
    pages,
    reader_pages,
    settings_pages,
    syndication,
)
from storyline.web.cache import PageCache
from storyline.web.security import (
    SECURITY_HEADERS,
    SESSION_COOKIE,
    SESSION_MAX_AGE_S,
    RateLimiter,
    RateLimits,
    SessionCodec,
    WebSession,
    secret_key,
)
from storyline.web.templating import LocalizedTemplates, page_locale

STATIC_DIR = Path(__file__).parent / "static"
ERROR_TITLES = {
    400: N_("That request did not make sense"),
    401: N_("Please log in"),
    403: N_("Not allowed"),
    404: N_("Page not found"),
    405: N_("Not allowed"),
    422: N_("Some fields need another look"),
    429: N_("Slow down a little"),
}
OTHER_ERROR = N_("Something went wrong")


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
    app.state.limiter = RateLimiter(runtime.settings.broker_url)
    app.state.limits = limits or RateLimits()
    app.state.templates = LocalizedTemplates()
    page_threads = runtime.settings.web_page_threads
    app.state.page_threads = CapacityLimiter(page_threads) if page_threads else None
    app.state.page_cache = PageCache(runtime.settings.web_page_cache_entries, runtime.settings.web_page_cache_s)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    apps.install(app)
    for module in (api, syndication, auth, comments, admin_feeds, reader_pages, alert_pages, settings_pages, pages):
        app.include_router(module.router)

    app.add_middleware(SessionsAndHeaders, runtime=runtime)
    app.add_middleware(LanguagePrefix)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(reader_pages.LoginRequired, reader_pages.login_required)
    return app


class LanguagePrefix:
    """Reads the interface language from the address. ``/fr/story/3`` is a content page under its language
    prefix (its route takes the code); ``/fr/about`` is ``/about`` in French: the prefix becomes the request's
    root path, so the routes see ``/about`` while links built from the address keep ``/fr``. A bare address is
    English; ``/`` alone chooses by ``Accept-Language`` (``pages.home_page``). A redirect answering a request
    with a language prefix leads to the same language (``/moderation`` from ``/fr/...`` becomes
    ``/fr/moderation``), so handlers write their targets once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            code, rest, content = i18n.split_path(scope["path"])
            state = scope.setdefault("state", {})
            state["locale"] = code if code is not None and i18n.is_locale(code) else i18n.DEFAULT_LOCALE
            state["locale_in_path"] = code is not None and i18n.is_locale(code)
            if state["locale_in_path"] and not content:
                root = scope.get("root_path", "")
                path = scope["path"] if rest != "/" else f"{root}/{code}/"
                scope = dict(scope, path=path, root_path=f"{root}/{code}", app_root_path=root)
            if state["locale_in_path"]:
                send = partial(_localized_redirects, send, state["locale"])
        await self.app(scope, receive, send)


async def _localized_redirects(send: Send, locale: str, message: Message) -> None:
    if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
        headers = MutableHeaders(scope=message)
        location = headers.get("location")
        if location and location.startswith("/") and not location.startswith("//"):
            path, mark, rest = location.partition("?") if "?" in location else location.partition("#")
            headers["location"] = i18n.localized_path(path, locale) + mark + rest
    await send(message)


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
    title = ERROR_TITLES.get(exc.status_code, OTHER_ERROR)
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else ""
    locale = page_locale(request)
    return request.app.state.templates.TemplateResponse(
        request,
        "error.html",
        {"status": exc.status_code, "title": i18n.localize(title, locale), "detail": i18n.localize(detail, locale)},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": jsonable_errors(exc)}, status_code=422)
    fields = sorted({str(error["loc"][-1]) for error in exc.errors() if error.get("loc")})
    locale = page_locale(request)
    return request.app.state.templates.TemplateResponse(
        request,
        "error.html",
        {
            "status": 400,
            "title": i18n.localize(ERROR_TITLES[400], locale),
            "detail": i18n.localize(i18n.phrase("Please check: %(fields)s.", fields=", ".join(fields)), locale),
        },
        status_code=400,
    )


def jsonable_errors(exc: RequestValidationError) -> list[dict]:
    """The fields of FastAPI's documented ``ValidationError`` schema, without the echoed input (which may be large
    or sensitive)."""
    return [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type", "")}
        for error in exc.errors()
    ]
