"""Reader apps: the Google Reader API (``greader``) and the Fever API (``fever``) over a reader's follows and
read state, mounted at the site root as Miniflux mounts them."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from storyline.web.apps import fever, greader
from storyline.web.apps.keys import ApiUnauthorized

APP_PATHS = ("//accounts/", "//reader/", "//fever")


class CollapseSlashes:
    """``feedhq-url "http://host/"`` makes newsboat ask for ``//accounts/ClientLogin``: the apps' paths are
    served with one leading slash however many the client joined on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(APP_PATHS):
            path = "/" + scope["path"].lstrip("/")
            scope = dict(scope, path=path, raw_path=path.encode())
        await self.app(scope, receive, send)


async def unauthorized(_request: Request, exc: Exception) -> Response:
    headers = {"X-Reader-Google-Bad-Token": "true"} if exc.args == ("bad token",) else {}
    return PlainTextResponse("Unauthorized", status_code=401, headers=headers)


async def bad_request(_request: Request, exc: Exception) -> Response:
    return PlainTextResponse(f"Error={exc}", status_code=400)


def install(app: FastAPI) -> None:
    app.include_router(greader.router)
    app.include_router(fever.router)
    app.add_exception_handler(ApiUnauthorized, unauthorized)
    app.add_exception_handler(greader.BadRequest, bad_request)
    app.add_middleware(CollapseSlashes)
