"""API passwords and the tokens reader apps carry: a reader's API passwords (random, argon2-hashed, separate
from the login password), Google Reader's ClientLogin ``Auth`` token and its ``T`` edit token, and Fever's
``api_key`` (md5 of "username:password", as the Fever API defines it; stored as its SHA-256)."""

from __future__ import annotations

import hashlib
import secrets

from fastapi import Request
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from storyline.errors import InputError
from storyline.store import apps as store
from storyline.store import community, transaction, writing
from storyline.store.models import ApiPassword, User
from storyline.web import accounts
from storyline.web.deps import client_ip, enforce

PASSWORD_BYTES = 18
MAX_NAME = 100
EDIT_TOKEN_MAX_AGE_S = 24 * 3600


class ApiUnauthorized(Exception):
    """No valid credentials: answered 401 "Unauthorized" (Google Reader) or ``auth: 0`` (Fever)."""


def fever_key(username: str, password: str) -> str:
    """The key a Fever client sends: md5 of "username:password" (Fever calls the first part the email)."""
    return hashlib.md5(f"{username}:{password}".encode()).hexdigest()  # noqa: S324 (the protocol's choice)


def stored_fever_key(api_key: str) -> str:
    return hashlib.sha256(api_key.strip().lower().encode()).hexdigest()


def create_api_password(session: Session, user: User, name: str) -> str:
    """A new API password for the reader; returns it (shown once, never stored in clear)."""
    name = " ".join(name.split())[:MAX_NAME] or "Reader app"
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    key = stored_fever_key(fever_key(user.username, password))
    store.add_api_password(session, user.id, name, accounts.hash_password(password), key)
    return password


def issue_for(runtime, username: str, name: str = "command line") -> str:
    """``storyline create-reader/create-admin --api-password``: a new API password for an existing account."""
    with transaction(runtime.sessions) as session:
        user = community.get_user_by_name(session, username)
        if user is None:
            raise InputError("no such reader", subject=username)
        return create_api_password(session, user, name)


def check_login(session: Session, username: str, password: str) -> ApiPassword | None:
    """The API password of that reader matching ``password`` (None otherwise, as slowly either way)."""
    user = community.get_user_by_name(session, username.strip())
    candidates = store.api_passwords(session, user.id) if user is not None and not user.suspended else []
    if not candidates:
        accounts.no_such_user(password)
        return None
    for candidate in candidates:
        if accounts.password_matches(candidate.password_hash, password):
            return candidate
    return None


class Tokens:
    """Signed tokens under the site's secret key: ``Auth`` names the API password (revoking it ends the token),
    ``T`` the reader (a day)."""

    def __init__(self, secret: str) -> None:
        self._auth = URLSafeSerializer(secret, salt="storyline.greader.auth")
        self._edit = URLSafeTimedSerializer(secret, salt="storyline.greader.edit")

    def auth(self, password: ApiPassword) -> str:
        return self._auth.dumps([password.user_id, password.id])

    def edit(self, user: User) -> str:
        return self._edit.dumps(user.id)

    def reader(self, session: Session, token: str) -> User:
        try:
            user_id, password_id = self._auth.loads(token)
        except (BadSignature, ValueError, TypeError) as exc:
            raise ApiUnauthorized from exc
        password = store.get_api_password(session, password_id) if isinstance(password_id, int) else None
        user = community.get_user(session, user_id) if password is not None and password.user_id == user_id else None
        if user is None or user.suspended:
            raise ApiUnauthorized
        return user

    def edit_valid(self, user: User, token: str) -> bool:
        try:
            return self._edit.loads(token, max_age=EDIT_TOKEN_MAX_AGE_S) == user.id
        except (BadSignature, SignatureExpired):
            return False


def fever_reader(request: Request, session: Session, api_key: str | None) -> User:
    """The reader whose API password made ``api_key``; a wrong key counts against the caller's login limit."""
    password = store.api_password_by_fever_key(session, stored_fever_key(api_key)) if api_key else None
    user = community.get_user(session, password.user_id) if password is not None else None
    if user is None or user.suspended:
        enforce(request, f"api-login-ip:{client_ip(request)}", request.app.state.limits.login_per_ip)
        raise ApiUnauthorized
    return user


def login(request: Request, session: Session, username: str, password: str) -> ApiPassword:
    """ClientLogin: rate-limited as the site's login is, per address and per account."""
    limits = request.app.state.limits
    enforce(request, f"api-login-ip:{client_ip(request)}", limits.login_per_ip)
    enforce(request, f"api-login-user:{username.strip().lower()}", limits.login_per_account)
    found = check_login(session, username, password)
    if found is None:
        raise ApiUnauthorized
    writing(session)
    store.api_password_used(session, found.id)
    return found
