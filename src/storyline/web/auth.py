"""Register, log in, log out. Every login issues a brand-new session id, so a planted cookie gains nothing."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from storyline import i18n
from storyline.errors import InputError
from storyline.i18n import N_
from storyline.store import community
from storyline.store.models import User
from storyline.web import accounts
from storyline.web.deps import Db, WriterDb, client_ip, enforce, require_user, verify_csrf
from storyline.web.security import WebSession
from storyline.web.templating import page_locale

router = APIRouter(default_response_class=HTMLResponse)
WRONG_CREDENTIALS = N_("Wrong username or password.")


def safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would lend our name to phishing."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def start_session(request: Request, user: User) -> None:
    request.state.session = WebSession(user_id=user.id, version=user.session_version, dirty=True)
    request.state.user = user


def form_page(request: Request, template: str, error: str = "", status_code: int = 200, **context) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request, template, {"error": error, **context}, status_code=status_code
    )


@router.get("/register", name="register")
def register_form(request: Request, next: str = "/") -> HTMLResponse:
    return form_page(request, "register.html", next=safe_next(next), username="")


@router.post("/register", dependencies=[Depends(verify_csrf)])
def register(
    request: Request,
    db: WriterDb,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    enforce(request, f"register-ip:{client_ip(request)}", request.app.state.limits.register_per_ip)
    try:
        user = accounts.register(db, username.strip(), password)
        db.commit()
    except InputError as exc:
        db.rollback()
        error = i18n.localize(accounts.USER_MESSAGES.get(_message(exc), _message(exc)), page_locale(request))
        return form_page(request, "register.html", error, 400, next=safe_next(next), username=username)
    start_session(request, user)
    return RedirectResponse(safe_next(next), status_code=303)


@router.get("/login", name="login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return form_page(request, "login.html", next=safe_next(next), username="")


@router.post("/login", dependencies=[Depends(verify_csrf)])
def login(
    request: Request,
    db: Db,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    limits = request.app.state.limits
    enforce(request, f"login-ip:{client_ip(request)}", limits.login_per_ip)
    enforce(request, f"login-user:{username.strip().lower()}", limits.login_per_account)
    user = accounts.authenticate(db, username.strip(), password)
    if user is None:
        return form_page(
            request,
            "login.html",
            i18n.localize(WRONG_CREDENTIALS, page_locale(request)),
            400,
            next=safe_next(next),
            username=username,
        )
    db.commit()
    start_session(request, user)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout(request: Request, db: WriterDb, user: Annotated[User, Depends(require_user)]) -> Response:
    community.end_all_sessions(db, user.id)
    db.commit()
    request.state.session = WebSession(dirty=True)
    request.state.user = None
    return RedirectResponse("/", status_code=303)


def _message(exc: InputError) -> str:
    """The user-facing part of an InputError, without the stage prefix and subject."""
    text = str(exc).removeprefix(f"{exc.stage}: ")
    return text.removesuffix(f" ({exc.subject})") if exc.subject else text
