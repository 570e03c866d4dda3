"""Pure text helpers for pages: safe URLs, relative times, body paragraphs with sentence anchors, comments."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import nh3
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from markupsafe import Markup, escape

from storyline.i18n import DEFAULT_LOCALE, translations

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


def relative_time(then: datetime, now: datetime | None = None, locale: str = DEFAULT_LOCALE) -> str:
    """ "18 minutes ago" for the last week, then the date, in ``locale``."""
    catalog = translations(locale)
    seconds = int(((now or datetime.now(timezone.utc)) - then).total_seconds())
    if seconds < 0 or seconds >= 7 * 86400:
        return absolute_date(then, locale)
    if seconds < 60:
        return catalog.gettext("just now")
    if seconds < 3600:
        return catalog.ngettext("%(num)d minute ago", "%(num)d minutes ago", seconds // 60) % {"num": seconds // 60}
    if seconds < 86400:
        return catalog.ngettext("%(num)d hour ago", "%(num)d hours ago", seconds // 3600) % {"num": seconds // 3600}
    return catalog.ngettext("%(num)d day ago", "%(num)d days ago", seconds // 86400) % {"num": seconds // 86400}


def duration(delta: timedelta, locale: str = DEFAULT_LOCALE) -> str:
    """ "35 min", "2 h", "3 days": how long after, for a line of evidence."""
    catalog = translations(locale)
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return catalog.gettext("under a minute")
    if seconds < 3600:
        return catalog.gettext("%(num)d min") % {"num": seconds // 60}
    if seconds < 2 * 86400:
        return catalog.gettext("%(num)d h") % {"num": seconds // 3600}
    return catalog.ngettext("%(num)d day", "%(num)d days", seconds // 86400) % {"num": seconds // 86400}


def absolute_date(moment: datetime, locale: str = DEFAULT_LOCALE) -> str:
    """ "16 Jun 2025", "16 juin 2025"."""
    return format_date(moment, "d MMM y", locale=locale)


def date_and_time(moment: datetime, locale: str = DEFAULT_LOCALE) -> str:
    """ "16 June 2025, 17:42 UTC", "16 juin 2025, 17:42 UTC": a byline's exact time."""
    return format_datetime(moment, "d MMMM y, HH:mm 'UTC'", tzinfo=timezone.utc, locale=locale)


def day_and_time(moment: datetime, locale: str = DEFAULT_LOCALE) -> str:
    """ "16 Jun 17:42 UTC": when a feed is next polled."""
    return format_datetime(moment, "d MMM HH:mm 'UTC'", tzinfo=timezone.utc, locale=locale)


def decimal(value: float, locale: str = DEFAULT_LOCALE) -> str:
    """A score with two decimals in the locale's notation: "0.66", "0,66"."""
    return format_decimal(value, "0.00", locale=locale)


def count(number: int, locale: str = DEFAULT_LOCALE) -> str:
    """A count in the locale's digits grouping ("1,000", "1 000"); below a thousand, plain digits everywhere."""
    return str(number) if -1000 < number < 1000 else format_decimal(number, locale=locale)


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
