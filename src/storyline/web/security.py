"""Signed session cookies, session-bound CSRF tokens, rate limits shared across processes and response headers."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from storyline.config import Settings

SESSION_COOKIE = "storyline_session"
SESSION_MAX_AGE_S = 30 * 24 * 3600
CSRF_FIELD = "csrf_token"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # Outlet images are hot-linked: any http(s) image, never scripts or frames.
        "img-src 'self' https: http: data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def secret_key(settings: Settings) -> str:
    """The configured key, or one generated once into the data directory so restarts keep sessions."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key, encoding="ascii")
    path.chmod(0o600)
    return key


@dataclass
class WebSession:
    """What the cookie carries: a random session id, and once logged in the user id and session version."""

    sid: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    user_id: int | None = None
    version: int = 0
    dirty: bool = False  # the cookie must be (re)written with this response

    def to_payload(self) -> dict:
        return {"sid": self.sid, "uid": self.user_id, "v": self.version}


class SessionCodec:
    def __init__(self, key: str) -> None:
        self._cookie = URLSafeTimedSerializer(key, salt="storyline.session")
        self._csrf = URLSafeSerializer(key, salt="storyline.csrf")

    def dumps(self, session: WebSession) -> str:
        return self._cookie.dumps(session.to_payload())

    def loads(self, value: str | None) -> WebSession | None:
        if not value:
            return None
        try:
            payload = self._cookie.loads(value, max_age=SESSION_MAX_AGE_S)
        except BadSignature:
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("sid"), str):
            return None
        user_id = payload.get("uid")
        return WebSession(
            sid=payload["sid"],
            user_id=user_id if isinstance(user_id, int) else None,
            version=int(payload.get("v") or 0),
        )

    def csrf_token(self, session: WebSession) -> str:
        return self._csrf.dumps(session.sid)

    def csrf_valid(self, session: WebSession, token: str | None) -> bool:
        if not token:
            return False
        try:
            return secrets.compare_digest(str(self._csrf.loads(token)), session.sid)
        except BadSignature:
            return False


@dataclass(frozen=True)
class Limit:
    count: int
    window_s: float


@dataclass(frozen=True)
class RateLimits:
    login_per_ip: Limit = Limit(20, 300)
    login_per_account: Limit = Limit(5, 300)
    register_per_ip: Limit = Limit(5, 3600)
    post_per_account: Limit = Limit(5, 60)
    post_per_ip: Limit = Limit(20, 60)
    ask_per_ip: Limit = Limit(10, 60)
    # Feed administration: every form, and those that reach the network (add, poll, OPML import).
    admin_post_per_account: Limit = Limit(60, 60)
    admin_fetch_per_account: Limit = Limit(12, 60)
    # Follow, mute, mark read, save: quick clicks are normal, a script's flood is not.
    reader_forms_per_account: Limit = Limit(60, 60)


class RateLimiter:
    """Moving-window counters from the ``limits`` library, shared by every server process: in Redis when the
    broker is Redis (``serve --workers 4`` then allows what one process would), in this process otherwise."""

    def __init__(self, storage_url: str | None = None) -> None:
        shared = storage_url is not None and storage_url.startswith(("redis://", "rediss://"))
        self._storage = storage_from_string(storage_url if shared else "memory://")
        self._strategy = MovingWindowRateLimiter(self._storage)

    @staticmethod
    def _item(limit: Limit) -> RateLimitItem:
        return RateLimitItemPerSecond(limit.count, max(1, round(limit.window_s)))

    def allow(self, key: str, limit: Limit) -> bool:
        """Records one attempt; False when ``limit.count`` attempts already happened within the window."""
        return self._strategy.hit(self._item(limit), "storyline", key)

    def retry_after(self, key: str, limit: Limit) -> int:
        reset = self._strategy.get_window_stats(self._item(limit), "storyline", key).reset_time
        return max(1, int(reset - time.time()) + 1)
