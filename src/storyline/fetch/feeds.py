"""RSS 0.9x/1.0/2.0 and Atom (through feedparser) and JSON Feed (through json) into ``ArticleInput``s.

Entity declarations are refused before any parser sees the bytes. Entries are cleaned one by one: a bad
link drops that entry only, a bad date drops the date only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from time import struct_time
from typing import Any
from urllib.parse import urljoin

import feedparser
from defusedxml import DefusedXmlException

from storyline.domain import ArticleInput
from storyline.errors import InputError, ParseError
from storyline.fetch import clip, parse_xml, plain_text, safe_html
from storyline.fetch.urls import require_http_url
from storyline.logs import get_logger
from storyline.moments import parse_moment

log = get_logger("fetch")

# More entries than any real feed carries; a hostile feed must not turn into thousands of page fetches.
MAX_ENTRIES = 300
HTML_TYPES = ("text/html", "application/xhtml+xml")
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)


@dataclass(slots=True)
class ParsedFeed:
    title: str | None
    link: str | None
    entries: list[ArticleInput] = field(default_factory=list)


def parse_feed(content: bytes, base_url: str, feed_id: int | None = None) -> ParsedFeed:
    """Reads a feed; raises ``ParseError`` when the bytes are not a feed or declare XML entities."""
    if content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return _parse_json_feed(content, base_url, feed_id)
    return _parse_xml_feed(content, base_url, feed_id)


# RSS and Atom -------------------------------------------------------------------------------------------


def _refuse_entities(content: bytes, base_url: str) -> None:
    try:
        parse_xml(content, "feed")
    except ParseError as exc:
        if isinstance(exc.__cause__, DefusedXmlException):
            raise ParseError("feed declares XML entities or external references; refused", subject=base_url) from exc
        # Not well-formed: feedparser's lenient parser may still read it, but never with declared entities.
        if _ENTITY_DECLARATION.search(content):
            raise ParseError("feed declares XML entities; refused", subject=base_url) from exc


def _parse_xml_feed(content: bytes, base_url: str, feed_id: int | None) -> ParsedFeed:
    _refuse_entities(content, base_url)
    parsed = feedparser.parse(content, response_headers={"content-location": base_url})
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS, Atom or JSON Feed found"
        raise ParseError(f"not a feed: {reason}", subject=base_url)
    channel = parsed.feed
    is_atom = parsed.get("version", "").startswith("atom")
    title = clip(_title(channel, is_atom), "source")
    language = _primary_language(channel.get("language"))
    entries = []
    for entry in _bounded(parsed.entries, base_url):
        link = _entry_link(entry)
        enclosure = None if link else _enclosure(entry)
        url = _absolute_http_url(link or enclosure, base_url, "entry link")
        if url is None:
            continue
        content_html = _content_html(entry)
        entries.append(
            ArticleInput(
                url=url,
                title=clip(_title(entry, is_atom), "title"),
                text=clip(plain_text(content_html or entry.get("summary")), "text"),
                html=clip(content_html, "html"),
                source=title,
                published=_entry_date(entry),
                language=language,
                author=clip(plain_text(entry.get("author")), "author"),
                image_url=_first_image(_image_candidates(entry), base_url),
                feed_id=feed_id,
                has_page=enclosure is None,
            )
        )
    return ParsedFeed(title=title, link=_absolute_http_url(channel.get("link"), base_url, "feed link"), entries=entries)


def _title(element: dict[str, Any], is_atom: bool) -> str:
    """Atom says whether a title is text or HTML, and a text title may name a tag ("the <dialog> element"): only
    an HTML one loses its tags. RSS does not say, and feedparser's guess misses tags in CDATA: RSS titles are HTML."""
    title = element.get("title") or ""
    if is_atom and (element.get("title_detail") or {}).get("type") == "text/plain":
        return " ".join(title.split())
    return plain_text(title)


def _entry_link(entry: dict[str, Any]) -> str | None:
    link = entry.get("link")
    if not link and entry.get("guidislink"):
        link = entry.get("id")
    return link


def _enclosure(entry: dict[str, Any]) -> str | None:
    """The media file of an entry that links nowhere else (a podcast episode with only its audio): the item is
    kept under that address, with the feed's text as all there is to read."""
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and link.get("href"):
            return link["href"]
    return None


def _content_html(entry: dict[str, Any]) -> str | None:
    for content in entry.get("content") or []:
        if content.get("type") in HTML_TYPES and content.get("value"):
            return content["value"]
    return None


def _image_candidates(entry: dict[str, Any]) -> Iterable[str | None]:
    for media in entry.get("media_content") or []:
        kind = (media.get("medium") or media.get("type") or "image").lower()
        if kind.startswith("image"):
            yield media.get("url")
    for thumbnail in entry.get("media_thumbnail") or []:
        yield thumbnail.get("url")
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and (link.get("type") or "").lower().startswith("image/"):
            yield link.get("href")


def _entry_date(entry: dict[str, Any]) -> datetime | None:
    """The entry's date as written, so that a midnight of the feed's own zone stays a date
    (``moments.as_stored``); else as feedparser read it, which knows more formats but keeps only UTC."""
    for key in ("published", "updated"):
        written = entry.get(key)
        moment = parse_moment(written if isinstance(written, str) else None) or _from_struct(entry.get(f"{key}_parsed"))
        if moment is not None:
            return moment
    return None


def _from_struct(value: struct_time | None) -> datetime | None:
    """feedparser's parsed dates are UTC time tuples; impossible ones become None."""
    if value is None:
        return None
    try:
        return datetime(*value[:6], tzinfo=timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return None


# JSON Feed ----------------------------------------------------------------------------------------------


def _parse_json_feed(content: bytes, base_url: str, feed_id: int | None) -> ParsedFeed:
    try:
        document = json.loads(content)
    except (ValueError, RecursionError) as exc:  # ValueError covers bad JSON, bad UTF-8 and huge numbers
        raise ParseError(f"not a feed: invalid JSON ({exc.__class__.__name__})", subject=base_url) from exc
    is_json_feed = isinstance(document, dict) and (
        "jsonfeed.org" in _string(document.get("version")) or isinstance(document.get("items"), list)
    )
    if not is_json_feed:
        raise ParseError("not a feed: JSON without JSON Feed items", subject=base_url)
    title = clip(plain_text(_string(document.get("title"))), "source")
    language = _primary_language(_string(document.get("language")))
    items = document.get("items")
    entries = []
    for item in _bounded(items if isinstance(items, list) else [], base_url):
        if not isinstance(item, dict):
            continue
        url = _absolute_http_url(_json_item_link(item), base_url, "item url")
        if url is None:
            continue
        content_html = safe_html(_string(item.get("content_html")))
        text = plain_text(content_html) or plain_text(_string(item.get("content_text") or item.get("summary")))
        entries.append(
            ArticleInput(
                url=url,
                title=clip(plain_text(_string(item.get("title"))), "title"),
                text=clip(text, "text"),
                html=clip(content_html, "html"),
                source=title,
                published=parse_moment(_string(item.get("date_published") or item.get("date_modified"))),
                language=_primary_language(_string(item.get("language"))) or language,
                # An item without an author has the feed's (JSON Feed 1.0 and 1.1 alike).
                author=clip(plain_text(_json_author(item) or _json_author(document)), "author"),
                image_url=_first_image([_string(item.get("image")), _string(item.get("banner_image"))], base_url),
                feed_id=feed_id,
            )
        )
    home = _string(document.get("home_page_url"))
    return ParsedFeed(title=title, link=_absolute_http_url(home, base_url, "feed link"), entries=entries)


def _json_item_link(item: dict[str, Any]) -> str:
    """The item's own page: ``url``, else an ``id`` that is a URL (the spec's ideal id is the permalink), else
    ``external_url`` as a last resort: that is the page a link-blog item points to, another outlet's."""
    item_id = _string(item.get("id")).strip()
    permalink_id = item_id if item_id.lower().startswith(("http://", "https://")) else ""
    return _string(item.get("url")) or permalink_id or _string(item.get("external_url"))


def _json_author(item: dict[str, Any]) -> str:
    authors = item.get("authors")
    author = authors[0] if isinstance(authors, list) and authors else item.get("author")
    return _string(author.get("name")) if isinstance(author, dict) else ""


def _string(value: object) -> str:
    """JSON values of the wrong type count as absent."""
    return value if isinstance(value, str) else ""


# Shared -------------------------------------------------------------------------------------------------


def _bounded(entries: list[Any], base_url: str) -> list[Any]:
    if len(entries) > MAX_ENTRIES:
        log.warning("feed truncated", url=base_url, entries=len(entries), kept=MAX_ENTRIES)
    return entries[:MAX_ENTRIES]


def _absolute_http_url(link: str | None, base_url: str, what: str) -> str | None:
    if not link:
        return None
    try:
        return require_http_url(urljoin(base_url, link.strip()))
    except (InputError, ValueError) as exc:
        log.warning(f"{what} skipped", url=link[:200], feed=base_url, error=str(exc))
        return None


def _first_image(candidates: Iterable[str | None], base_url: str) -> str | None:
    for candidate in candidates:
        if not candidate:
            continue
        try:
            return require_http_url(urljoin(base_url, candidate.strip()))
        except (InputError, ValueError):
            continue
    return None


def _primary_language(tag: str | None) -> str | None:
    """``en-GB`` -> ``en``: the language the analysis needs, not the regional variant."""
    primary = (tag or "").strip().split("-", 1)[0].split("_", 1)[0].lower()
    return primary if primary.isalpha() and len(primary) <= 8 else None
