"""Feed autodiscovery: from a site's address to its feed.

``feed_links`` is the pure part: the feeds a page announces with ``<link rel="alternate">`` (RSS, Atom, JSON
Feed), resolved against the page's address (or its ``<base href>``), http(s) only. ``discover`` is the fetch
step, every request through the SSRF-guarded ``Fetcher``: the address itself when it is a feed, else the
feeds its page announces, else the common paths (/feed, /rss, /atom.xml, /feed.xml, /index.xml ...) of its
site, the first that parses as a feed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from storyline.errors import InputError, ParseError, StorylineError
from storyline.fetch.feeds import ParsedFeed, parse_feed
from storyline.fetch.http import Fetcher, FetchResult
from storyline.fetch.urls import require_http_url
from storyline.logs import get_logger

log = get_logger("fetch")

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml"})
COMMON_PATHS = ("/feed", "/rss", "/atom.xml", "/feed.xml", "/index.xml", "/rss.xml", "/feed/", "/feed.json")
MAX_ANNOUNCED = 5  # feeds a page announces that are tried
MAX_PAGE_CHARS = 2_000_000  # the part of a page searched for <link> elements


@dataclass(slots=True)
class Discovered:
    url: str  # the feed's address, after redirects
    feed: ParsedFeed
    tried: list[str] = field(default_factory=list)


def feed_links(html: str | bytes, page_url: str) -> list[str]:
    """The feeds a page announces, in document order, each once; hrefs that are not http(s) are left out."""
    if isinstance(html, bytes):
        html = html[:MAX_PAGE_CHARS].decode("utf-8", "replace")
    html = html[:MAX_PAGE_CHARS].strip()
    if not html:
        return []
    try:
        document = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    base = page_url
    for element in document.iter("base"):
        href = (element.get("href") or "").strip()
        if href:
            base = urljoin(page_url, href)
            break
    found: dict[str, None] = {}
    for element in document.iter("link", "a"):
        rel = (element.get("rel") or "").lower().split()
        kind = (element.get("type") or "").split(";", 1)[0].strip().lower()
        href = (element.get("href") or "").strip()
        if "alternate" not in rel or kind not in FEED_TYPES or not href:
            continue
        try:
            found.setdefault(require_http_url(urljoin(base, href)).split("#", 1)[0], None)
        except (InputError, ValueError):
            continue
    return list(found)


def common_feed_urls(page_url: str) -> list[str]:
    """The usual feed addresses on the page's site."""
    parts = urlsplit(page_url)
    return [f"{parts.scheme}://{parts.netloc}{path}" for path in COMMON_PATHS]


def discover(fetcher: Fetcher, address: str, user_agent: str | None = None) -> Discovered:
    """The feed at ``address`` or announced by it, or found at a common path of its site. Raises ``InputError``
    naming what was tried when there is none, or the ``FetchError`` of the address itself."""
    address = require_http_url(address)
    page = _fetch(fetcher, address, user_agent)
    feed = _as_feed(page)
    if feed is not None:
        return Discovered(page.url, feed, [address])
    tried = [address]
    announced = feed_links(page.content, page.url) if _looks_like_html(page) else []
    candidates = announced[:MAX_ANNOUNCED] + [url for url in common_feed_urls(page.url) if url not in announced]
    for candidate in candidates:
        if candidate in tried:
            continue
        tried.append(candidate)
        try:
            result = _fetch(fetcher, candidate, user_agent)
        except StorylineError as exc:
            log.info("feed candidate failed", url=candidate, error=str(exc))
            continue
        feed = _as_feed(result)
        if feed is not None:
            return Discovered(result.url, feed, tried)
    raise InputError(f"no feed found at this address or at the usual places ({len(tried)} addresses tried)")


def _fetch(fetcher: Fetcher, url: str, user_agent: str | None) -> FetchResult:
    return fetcher.fetch(url, user_agent=user_agent) if user_agent else fetcher.fetch(url)


def _html_body(content: bytes) -> bool:
    head = content[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<head" in head or b"<body" in head


def _looks_like_html(result: FetchResult) -> bool:
    return result.content_type in ("text/html", "application/xhtml+xml") or _html_body(result.content)


def _as_feed(result: FetchResult) -> ParsedFeed | None:
    """The parsed feed, judged by the bytes (servers send RSS as text/html, and HTML as text/xml)."""
    if _html_body(result.content):
        return None
    try:
        return parse_feed(result.content, result.url)
    except ParseError:
        return None
