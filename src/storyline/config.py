"""One typed settings object, read from ``STORYLINE_*`` environment variables and validated at start."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///data/storyline.db"
DEFAULT_USER_AGENT = "StorylineBot/0.1 (+https://github.com/storyline-news/storyline)"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STORYLINE_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    broker_url: str | None = None
    secret_key: str = Field(default="", description="Signs session cookies; generated into data/ when empty")

    # Fetching: every byte from the network is hostile.
    allow_private_hosts: bool = False
    user_agent: str = DEFAULT_USER_AGENT
    fetch_timeout_s: float = 15.0
    fetch_max_bytes: int = 5 * 1024 * 1024
    fetch_max_redirects: int = 5
    per_host_delay_s: float = 1.0
    respect_robots: bool = True

    # Feed scheduling bounds (seconds).
    feed_min_interval_s: int = 5 * 60
    feed_max_interval_s: int = 6 * 60 * 60
    feed_default_interval_s: int = 30 * 60

    # Optional OpenAI-compatible endpoint; everything works without it.
    llm_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str = "gpt-4o-mini"

    embedding_model: str = "all-MiniLM-L6-v2"
    # Background processes that parse (spaCy) the next batch of an import while the current one is embedded,
    # analysed and stored; 0 parses in the importing process. Each holds its own copy of the model (~150 MB).
    parse_processes: int = 1
    poll_on_run: bool = True
    # Seconds between passes of the in-process poller (``serve --poll``, ``run``) over the feeds that are due.
    poll_interval_s: float = Field(default=60.0, gt=0)
    # The enrichment backlog (``backlog.py``): articles are placed as soon as they are embedded and enriched
    # behind, this many at a time, oldest first; with nothing waiting it looks again after ``backlog_idle_s``.
    backlog_batch: int = Field(default=8, gt=0)
    backlog_idle_s: float = Field(default=2.0, gt=0)
    # Threads a server process runs request handlers in: anyio's default of 40, because slow handlers (ask, a
    # story's first analysis) hold one each while they wait.
    web_threads: int = 40
    # Threads for the read-only pages (home, article, hashtag, section, source), apart from the slow handlers;
    # 0 renders them on the event loop. Unset: 0 on SQLite, where a page's queries are CPU work under the GIL
    # like its rendering: on the loop, a server process served 40-60% more distinct pages a second and its p99
    # under readers' traffic fell from about 600 to under 130 ms, because the hand-off cost 1-2 ms and the loop
    # and the page threads fought over the GIL (one slow query now holds up every connection of that process). 2 on
    # PostgreSQL, whose queries wait on the network: a page waiting must not hold up the loop.
    web_page_threads: int | None = Field(default=None, ge=0)
    # Anonymous visitors' copies of the read pages, kept this many seconds by each server process (0: render
    # every request). A reader may see new comments and coverage this late; see ``web/cache.py``.
    web_page_cache_s: float = Field(default=30.0, ge=0)
    # Pages kept per process: an article page is about 25 KB, so 1,000 hold about 25 MB.
    web_page_cache_entries: int = Field(default=1000, ge=0)

    # Alerts by email (``alerts/``): smtp://user:password@host:port (STARTTLS when the server offers it) or
    # smtps:// (TLS from the start). No email leaves without both. ``site_url`` is where links in alerts lead.
    smtp_url: str | None = None
    mail_from: str | None = None
    site_url: str = "http://127.0.0.1:8000"

    @field_validator("smtp_url")
    @classmethod
    def _smtp_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("smtp://", "smtps://")):
            raise ValueError("must start with smtp:// or smtps://")
        return value or None

    @field_validator("site_url")
    @classmethod
    def _site_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// address")
        return value.rstrip("/")

    @property
    def can_send_email(self) -> bool:
        return bool(self.smtp_url and self.mail_from)

    @field_validator("fetch_max_bytes", "fetch_max_redirects", "web_threads")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be positive")
        return value

    @field_validator("parse_processes")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must be 0 or more")
        return value

    @model_validator(mode="after")
    def _page_threads_for_the_database(self) -> "Settings":
        if self.web_page_threads is None:
            self.web_page_threads = 0 if self.is_sqlite else 2
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def data_dir(self) -> Path:
        return Path("data")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
