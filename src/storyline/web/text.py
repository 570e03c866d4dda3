"""Pure text helpers for pages: safe URLs, relative times, body paragraphs with sentence anchors, comments."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import nh3
from markupsafe import Markup, escape

WALL_OF_TEXT = 8  # sentences in one paragraph
SENTENCES_PER_BREAK = 4
COMMENT_TAGS = {"a", "p", "br"}
COMMENT_LINK_REL = "nofollow ugc noopener"
_URL_IN_TEXT = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_NOT_IN_URLS = re.compile(r"[\s\"<>`\\]")  # never valid in a URL (RFC 3986); a sign of an injection attempt
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def safe_http_url(url: str | None) -> str | None:
    """The URL when it is absolute http(s) with a host; feed-provided ``javascript:`` and friends become None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or _NOT_IN_URLS.search(url):
        return None
    return url


def language_code(language: str | None) -> str:
    code = (language or "en").strip().lower().replace("_", "-")
    return code if _LANGUAGE.fullmatch(code) else "en"


def xml_safe(value: str | None) -> str:
    """XML 1.0 refuses some control characters that hostile feeds do contain."""
    return _XML_INVALID.sub("", value or "")


def relative_time(then: datetime, now: datetime | None = None) -> str:
    """ "18 minutes ago" for the last week, then the date."""
    seconds = int(((now or datetime.now(timezone.utc)) - then).total_seconds())
    if 0 <= seconds < 60:
        return "just now"
    for unit, size, limit in (("minute", 60, 60), ("hour", 3600, 24), ("day", 86400, 7)):
        value = seconds // size
        if 0 < value < limit:
            return f"{value} {unit}{'' if value == 1 else 's'} ago"
    return absolute_date(then)


def duration(delta: timedelta) -> str:
    """ "35 min", "2 h", "3 days": how long after, for a line of evidence."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return "under a minute"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def absolute_date(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    sentence: int | None  # index into the article's sentences, for the ``s<n>`` anchor


def body_paragraphs(text: str, sentences: list[str]) -> list[list[Span]]:
    """The body's paragraphs, each sentence wrapped so citations can point at it.

    Sentences come from splitting ``text``; each is located in order, and falls into the paragraph where it
    starts. When the sentences cannot all be found (re-split text), they are shown one paragraph each."""
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    if not sentences:
        return [[Span(p, None)] for p in paragraphs]
    located = _locate(text, sentences)
    if located is None:
        return [[Span(sentence, index)] for index, sentence in enumerate(sentences)]
    breaks = [match.start() for match in re.finditer(r"\n", text)]
    result: list[list[Span]] = []
    current: list[Span] = []
    break_index = 0
    for index, start in enumerate(located):
        while break_index < len(breaks) and breaks[break_index] < start:
            if current:
                result.append(current)
                current = []
            break_index += 1
        current.append(Span(sentences[index], index))
    if current:
        result.append(current)
    return [chunk for paragraph in result for chunk in _readable(paragraph)]


def body_html(paragraphs: list[list[Span]]) -> Markup:
    """The body as ``<p>`` elements, each located sentence a ``<span id="s<n>">`` that citations link to.

    Built in Python rather than in a template loop: it is the longest part of an article page, and a Jinja loop
    pays several calls per sentence. Every text is escaped here exactly as autoescape would."""
    return Markup("\n").join(
        Markup("<p>%s</p>") % Markup(" ").join(_anchored(span) for span in paragraph) for paragraph in paragraphs
    )


def _anchored(span: Span) -> Markup:
    if span.sentence is None:
        return escape(span.text)
    return Markup('<span id="s%d" class="sentence">%s</span>') % (span.sentence, span.text)


def _readable(paragraph: list[Span]) -> list[list[Span]]:
    """Some outlets' feeds flatten the body into one block; re-break walls of text every few sentences."""
    if len(paragraph) <= WALL_OF_TEXT:
        return [paragraph]
    return [paragraph[i : i + SENTENCES_PER_BREAK] for i in range(0, len(paragraph), SENTENCES_PER_BREAK)]


def _locate(text: str, sentences: list[str]) -> list[int] | None:
    starts, cursor = [], 0
    for sentence in sentences:
        position = text.find(sentence.strip(), cursor)
        if position < 0:
            return None
        starts.append(position)
        cursor = position + len(sentence.strip())
    return starts


def render_comment(body: str) -> Markup:
    """Plain text with links: escape everything, link http(s) URLs, then let nh3 have the last word."""
    paragraphs = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
    html = "".join(f"<p>{'<br>'.join(_linkify(line) for line in p.splitlines())}</p>" for p in paragraphs)
    cleaned = nh3.clean(
        html,
        tags=COMMENT_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel=COMMENT_LINK_REL,
    )
    return Markup(cleaned)


def _linkify(line: str) -> str:
    pieces, cursor = [], 0
    for match in _URL_IN_TEXT.finditer(line):
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        end = match.start() + len(url)
        pieces.append(str(escape(line[cursor : match.start()])))
        pieces.append(f'<a href="{escape(url)}">{escape(url)}</a>')
        cursor = end
    pieces.append(str(escape(line[cursor:])))
    return "".join(pieces)


def json_ld(data: dict) -> Markup:
    """JSON for a ``<script type="application/ld+json">`` block: no ``<``, ``>`` or ``&`` can end the element."""
    encoded = json.dumps(data, ensure_ascii=False)
    encoded = encoded.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(encoded)
