"""Signed session cookies, session-bound CSRF tokens, sliding-window rate limits and response headers."""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

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


class SlidingWindow:
    """In-process sliding-window counters (one process serves the site; a restart forgets, which is fine)."""

    def __init__(self, clock=time.monotonic) -> None:
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._clock = clock

    def allow(self, key: str, limit: Limit) -> bool:
        """Records one attempt; False when ``limit.count`` attempts already happened within the window."""
        now = self._clock()
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - limit.window_s:
                hits.popleft()
            if len(hits) >= limit.count:
                return False
            hits.append(now)
            return True

    def retry_after(self, key: str, limit: Limit) -> int:
        with self._lock:
            hits = self._hits.get(key)
            if not hits:
                return 0
            return max(1, int(hits[0] + limit.window_s - self._clock()) + 1)
