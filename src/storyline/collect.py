"""Collection: feed polling with adaptive intervals and backoff, OPML import, single pages.

Fetching and parsing live in ``storyline.fetch``; this module decides what to fetch when, and hands what it
gets to the pipeline. One broken feed or page never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from storyline.config import Settings
from storyline.domain import ArticleInput
from storyline.errors import StorylineError
from storyline.fetch.feeds import parse_feed
from storyline.fetch.http import Fetcher
from storyline.fetch.opml import parse_opml
from storyline.fetch.urls import canonical_url, require_http_url
from storyline.logs import get_logger
from storyline.pipeline import REFETCH_FIRST_DELAY, Failure, IngestReport, complete_excerpt, ingest
from storyline.rules import Rewrite, make_rewrite, rewrite_title
from storyline.runtime import Runtime
from storyline.store import feeds_admin, queries, reading, transaction
from storyline.store.models import Feed

log = get_logger("collect")

# An entry whose feed text is shorter than this is only a teaser: fetch the page for the full article.
FULL_TEXT_MIN_CHARS = 600
REFETCH_BATCH = 20  # excerpts whose page is tried again after each pass over the feeds
REFETCH_BACKOFF = 4  # each failed try waits this many times longer: 1 h, 4 h, 16 h, 64 h after the first
MAX_REFETCH_ATTEMPTS = 5
PAGE_MODES = ("auto", "always", "never")


@dataclass(slots=True)
class PollReport:
    feeds: int = 0
    failed_feeds: list[tuple[str, str]] = field(default_factory=list)
    articles: IngestReport = field(default_factory=IngestReport)
    refetched: int = 0  # stored excerpts whose page could be fetched this time


def next_interval(settings: Settings, feed: Feed, new_entries: int) -> int:
    """Poll busy feeds more often and quiet ones less, within the configured bounds."""
    interval = feed.interval_s or settings.feed_default_interval_s
    interval = int(interval * (0.6 if new_entries else 1.5))
    return max(settings.feed_min_interval_s, min(settings.feed_max_interval_s, interval))


def backoff_delay(settings: Settings, error_count: int, interval_s: int) -> int:
    return min(settings.feed_max_interval_s, interval_s * 2 ** min(error_count, 8))


def import_opml(runtime: Runtime, content: bytes, max_feeds: int | None = None) -> list[str]:
    """Subscribes to every feed of an OPML file, each in its folder (the outline it sits in); a feed already
    subscribed keeps its settings but gets the folder when it has none. ``max_feeds`` caps how many are read."""
    refs = parse_opml(content)[:max_feeds]
    added = []
    with transaction(runtime.sessions) as session:
        for ref in refs:
            try:
                url = canonical_url(require_http_url(ref.url))
            except StorylineError as exc:
                log.warning("feed skipped", url=ref.url, error=str(exc))
                continue
            feed = queries.add_feed(session, url, ref.title, runtime.settings.feed_default_interval_s)
            if ref.folder and not feed.folder:
                feed.folder = ref.folder
            added.append(url)
    return added


def add_feed(runtime: Runtime, url: str, title: str | None = None, folder: str | None = None) -> Feed:
    url = canonical_url(require_http_url(url))
    with transaction(runtime.sessions) as session:
        feed = queries.add_feed(session, url, title, runtime.settings.feed_default_interval_s)
        if folder and not feed.folder:
            feed.folder = folder
        return feed


@dataclass(slots=True, frozen=True)
class FeedOptions:
    """How one feed is fetched and read (set on the admin page)."""

    user_agent: str | None = None
    page_mode: str = "auto"  # auto | always | never
    rewrite: Rewrite | None = None
    custom_title: str | None = None

    @classmethod
    def of(cls, feed: Feed) -> FeedOptions:
        rewrite = None
        if feed.title_pattern:
            try:
                rewrite = make_rewrite(feed.title_pattern, feed.title_replacement or "")
            except StorylineError as exc:  # stored before a check, or edited by hand: polled without it
                log.warning("title rewrite skipped", feed=feed.id, error=str(exc))
        mode = feed.page_mode if feed.page_mode in PAGE_MODES else "auto"
        return cls(feed.user_agent, mode, rewrite, feed.custom_title)


def full_text(
    fetcher: Fetcher, entry: ArticleInput, page_mode: str = "auto", user_agent: str | None = None
) -> ArticleInput:
    """Feeds often carry a teaser only; fetch the page then ("auto"), or always ("always"), or never: the feed's
    text is the article ("never"). When the page fails, the teaser is kept and marked as the feed's excerpt, so
    its page says so and the page is fetched again later (``refetch_excerpts``)."""
    teaser = entry.text or entry.html or ""
    if page_mode == "never" or not entry.has_page:
        return entry
    if page_mode != "always" and len(teaser) >= FULL_TEXT_MIN_CHARS:
        return entry
    try:
        page = fetcher.fetch(entry.url, user_agent=user_agent) if user_agent else fetcher.fetch(entry.url)
    except StorylineError as exc:
        log.warning("page fetch failed, keeping feed text", url=entry.url, error=str(exc))
        return replace(entry, excerpt_only=True)
    return replace(entry, url=page.url, html=page.content.decode(page.encoding or "utf-8", "replace"), text=None)


def poll_feed(runtime: Runtime, fetcher: Fetcher, feed_id: int, report: PollReport, enrich: bool = True) -> None:
    """Polls one feed and stores its new entries, enriched first, or (``enrich`` False) placed as soon as they
    are embedded, their enrichment left to the backlog (``storyline.backlog``)."""
    settings = runtime.settings
    with reading(runtime.sessions) as session:
        feed = queries.get_feed(session, feed_id)
        if feed is None:  # deleted since it was found due
            return
        if feed.paused:  # paused feeds are never polled, whoever asks (a queued task, "Poll now")
            log.info("feed paused, not polled", feed=feed_id)
            return
        url, etag, last_modified = feed.url, feed.etag, feed.last_modified
        options = FeedOptions.of(feed)
    now = datetime.now(timezone.utc)
    agent = {"user_agent": options.user_agent} if options.user_agent else {}
    try:
        result = fetcher.fetch(url, etag=etag, last_modified=last_modified, **agent)
        parsed = None if result.not_modified else parse_feed(result.content, result.url)
    except StorylineError as exc:
        _record_failure(runtime, feed_id, str(exc), now)
        report.failed_feeds.append((url, str(exc)))
        log.warning("feed failed", feed=feed_id, url=url, error=str(exc))
        return
    new_entries, refused = 0, []
    if parsed is not None:
        canonical = {entry.url: _canonical_or_same(entry.url) for entry in parsed.entries}
        with reading(runtime.sessions) as session:
            known = queries.existing_urls(session, [entry.url for entry in parsed.entries])
            # Entries a filter rule dropped before: their page is not fetched again.
            dropped = feeds_admin.filtered_urls(session, sorted(set(canonical.values())))
        outlet = options.custom_title or parsed.title or url
        fresh = [
            replace(
                entry,
                feed_id=feed_id,
                source=options.custom_title or entry.source or outlet,
                title=rewrite_title(options.rewrite, entry.title),
            )
            for entry in parsed.entries
            if entry.url not in known and canonical[entry.url] not in dropped
        ]
        items = [full_text(fetcher, entry, options.page_mode, options.user_agent) for entry in fresh]
        entries = IngestReport()
        with runtime.writer() as processor:
            ingest(runtime.sessions, processor, items, entries, enrich)
        report.articles.merge(entries)
        refused = entries.failed
        new_entries = len(fresh)
    with transaction(runtime.sessions) as session:
        feed = queries.get_feed(session, feed_id)
        if feed is None:  # deleted by an administrator while it was being polled: nothing to record
            log.info("feed deleted while polled", feed=feed_id, url=url)
            return
        if parsed is not None:
            feed.title = feed.title or parsed.title
            feed.etag, feed.last_modified = result.etag, result.last_modified
        feed.interval_s = next_interval(settings, feed, new_entries)
        feed.last_polled_at, feed.last_status = now, _status(result.not_modified, refused)
        # The feed itself worked, so it is not backed off; the entries it refused are tried again next poll.
        feed.last_error = "\n".join(f"{failure.subject}: {failure.error}" for failure in refused)[:2000] or None
        feed.error_count = 0
        feed.next_poll_at = now + timedelta(seconds=feed.interval_s)
    log.info(
        "feed polled", feed=feed_id, url=url, new=new_entries, refused=len(refused), not_modified=result.not_modified
    )


def _canonical_or_same(url: str) -> str:
    try:
        return canonical_url(url)
    except StorylineError:
        return url


def _status(not_modified: bool, refused: list[Failure]) -> str:
    if not_modified:
        return "not modified"
    return f"ok, {len(refused)} entries refused" if refused else "ok"


def record_failure(runtime: Runtime, feed_id: int, error: str) -> None:
    """Records a poll that failed outside the fetch (a crash), backing the feed off as ``poll_due`` does."""
    _record_failure(runtime, feed_id, error, datetime.now(timezone.utc))


def _record_failure(runtime: Runtime, feed_id: int, error: str, now: datetime) -> None:
    with transaction(runtime.sessions) as session:
        feed = queries.get_feed(session, feed_id)
        if feed is None:  # deleted meanwhile
            return
        feed.error_count += 1
        feed.last_error, feed.last_status, feed.last_polled_at = error[:2000], "error", now
        feed.next_poll_at = now + timedelta(seconds=backoff_delay(runtime.settings, feed.error_count, feed.interval_s))


def poll_due(
    runtime: Runtime,
    fetcher: Fetcher | None = None,
    on_feed: Callable[[str], None] | None = None,
    enrich: bool = True,
) -> PollReport:
    """One pass over the feeds that are due (``enrich``: see ``poll_feed``)."""
    fetcher = fetcher or Fetcher(runtime.settings)
    report = PollReport()
    with reading(runtime.sessions) as session:
        due = [(feed.id, feed.url) for feed in queries.due_feeds(session, datetime.now(timezone.utc))]
    for feed_id, url in due:
        try:
            poll_feed(runtime, fetcher, feed_id, report, enrich)
        except Exception as exc:  # a fault polling one feed is that feed's failure: the rest are polled as usual
            message = f"poll failed: {exc.__class__.__name__}: {exc}"
            log.error("feed poll crashed", feed=feed_id, url=url, error=message)
            _record_failure(runtime, feed_id, message, datetime.now(timezone.utc))
            report.failed_feeds.append((url, message))
        report.feeds += 1
        if on_feed:
            on_feed(url)
    report.refetched = refetch_excerpts(runtime, fetcher)
    return report


def refetch_excerpts(runtime: Runtime, fetcher: Fetcher, limit: int = REFETCH_BATCH) -> int:
    """Fetches again the pages of stored feed excerpts that are due, so a site that was down costs its
    readers the full text only until it is back; returns how many were completed. Each failure pushes the
    next try further back, and after ``MAX_REFETCH_ATTEMPTS`` the excerpt stays as it is."""
    now = datetime.now(timezone.utc)
    with reading(runtime.sessions) as session:
        due = [(row.public_id, row.url, row.refetch_attempts) for row in queries.due_refetches(session, now, limit)]
    completed = 0
    for public_id, url, attempts in due:
        try:
            page = fetcher.fetch(url)
            html = page.content.decode(page.encoding or "utf-8", "replace")
            with runtime.write_lock:
                complete_excerpt(runtime.sessions, public_id, html)
            completed += 1
        except StorylineError as exc:
            retry = attempts + 1 < MAX_REFETCH_ATTEMPTS
            later = now + REFETCH_FIRST_DELAY * REFETCH_BACKOFF ** (attempts + 1) if retry else None
            log.warning("page still unavailable", url=url, attempts=attempts + 1, error=str(exc), retry_at=later)
            with transaction(runtime.sessions) as session:
                queries.postpone_refetch(session, public_id, later)
    return completed


def fetch_page(runtime: Runtime, url: str, source: str | None = None) -> IngestReport:
    url = canonical_url(require_http_url(url))
    page = Fetcher(runtime.settings).fetch(url)
    item = ArticleInput(url=page.url, html=page.content.decode(page.encoding or "utf-8", "replace"), source=source)
    with runtime.writer() as processor:
        return ingest(runtime.sessions, processor, [item])
