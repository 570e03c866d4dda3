"""Metadata that pages declare for machines: JSON-LD (schema.org NewsArticle and kin), OpenGraph, meta tags.

These fill what trafilatura's own metadata misses, and give full publication timestamps where it keeps a date.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from storyline.moments import parse_moment

# schema.org types that describe the page's own article (NewsArticle, ReportageNewsArticle, BlogPosting, ...).
_ARTICLE_TYPE = re.compile(r"(Article|BlogPosting|Report)$")
_LANGUAGE = re.compile(r"^([a-z]{2})(?:[-_][a-z0-9]+)*$", re.IGNORECASE)
_MAX_JSON_LD_CHARS = 2_000_000
_DATE_META = (
    "article:published_time",
    "og:published_time",
    "datePublished",
    "pubdate",
    "publish-date",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.created",
    "date",
)


@dataclass(slots=True)
class Declared:
    """What the page says about itself, before any choice between sources."""

    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    image_url: str | None = None
    language: str | None = None
    description: str | None = None
    body: str | None = None


def _json_objects(value: object) -> Iterator[dict]:
    """Every JSON object in a JSON-LD document, including those inside ``@graph`` and nested lists."""
    if isinstance(value, list):
        for item in value:
            yield from _json_objects(item)
    elif isinstance(value, dict):
        yield value
        yield from _json_objects(value.get("@graph"))


def _is_article(item: dict) -> bool:
    types = item.get("@type")
    names = types if isinstance(types, list) else [types]
    return any(isinstance(name, str) and _ARTICLE_TYPE.search(name) for name in names)


def json_ld_articles(tree: HtmlElement) -> list[dict]:
    articles = []
    for script in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        source = (script.text or "").strip()
        if not source or len(source) > _MAX_JSON_LD_CHARS:
            continue
        try:
            found = [item for item in _json_objects(json.loads(source)) if _is_article(item)]
        except (ValueError, RecursionError):  # broken or absurdly nested JSON: the page just declares nothing
            continue
        articles.extend(found)
    return articles


def meta_content(tree: HtmlElement, *names: str) -> str | None:
    """The first non-empty ``content`` of a ``<meta>`` whose property, name or itemprop is one of ``names``."""
    wanted = {name.lower() for name in names}
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        content = (meta.get("content") or "").strip()
        for attribute in ("property", "name", "itemprop", "http-equiv"):
            key = (meta.get(attribute) or "").strip().lower()
            if key in wanted and content:
                found.setdefault(key, content)
    return next((found[name.lower()] for name in names if name.lower() in found), None)


def _text(value: object) -> str | None:
    """A plain string from a JSON-LD value that may be a string, a {"name": ...} object or a list of either.
    Script content is not entity-decoded by the HTML parser, and many sites escape JSON-LD strings as HTML."""
    if isinstance(value, str):
        return html.unescape(value).strip() or None
    if isinstance(value, dict):
        return _text(value.get("name")) or _text(value.get("@value"))
    if isinstance(value, list):
        parts = [text for text in (_text(item) for item in value) if text]
        return ", ".join(dict.fromkeys(parts)) or None
    return None


def http_url(value: str | None, base: str) -> str | None:
    """``value`` resolved against the page URL, when that gives an http(s) URL with a host."""
    if not value:
        return None
    try:
        absolute = urljoin(base, value.strip())
        parts = urlsplit(absolute)
    except ValueError:
        return None
    return absolute if parts.scheme in ("http", "https") and parts.hostname else None


def language_code(value: str | None) -> str | None:
    """The ISO 639-1 part of a language tag or locale (``en-GB``, ``fr_FR``), or None."""
    match = _LANGUAGE.match((value or "").strip())
    return match.group(1).lower() if match else None


def _image(value: object) -> str | None:
    if isinstance(value, list):
        return next((image for image in map(_image, value) if image), None)
    if isinstance(value, dict):
        return _text(value.get("url")) or _text(value.get("contentUrl"))
    return _text(value)


def page_language(tree: HtmlElement) -> str | None:
    candidates = (
        tree.get("lang"),
        tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
        meta_content(tree, "og:locale"),
        meta_content(tree, "content-language", "language", "dc.language"),
    )
    return next((code for code in map(language_code, candidates) if code), None)


def declared_metadata(tree: HtmlElement, url: str) -> Declared:
    articles = json_ld_articles(tree)

    def structured(key: str) -> object:
        return next((item[key] for item in articles if item.get(key)), None)

    published = parse_moment(_text(structured("datePublished")))
    if published is None:
        published = parse_moment(meta_content(tree, *_DATE_META))
    image = _image(structured("image")) or meta_content(tree, "og:image", "og:image:url", "twitter:image")
    return Declared(
        title=_text(structured("headline")) or meta_content(tree, "og:title", "twitter:title"),
        author=_text(structured("author")) or meta_content(tree, "author", "article:author", "byl"),
        published=published,
        image_url=http_url(image, url),
        language=page_language(tree),
        description=_text(structured("description"))
        or meta_content(tree, "og:description", "description", "twitter:description"),
        body=_text(structured("articleBody")),
    )
