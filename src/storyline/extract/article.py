"""``extract_article``: one HTML page in, its article body and metadata out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.utils import load_html

from storyline.errors import ExtractError
from storyline.extract.body import article_lines, clean_lines
from storyline.extract.decode import decode_html
from storyline.extract.ensemble import consensus, witnesses
from storyline.extract.metadata import declared_metadata, http_url, language_code
from storyline.moments import parse_moment


@dataclass(slots=True)
class Extracted:
    title: str | None
    text: str
    author: str | None
    published: datetime | None
    image_url: str | None
    language: str | None
    description: str | None


DERIVED_TITLE_CHARS = 110
# A sentence ends at . ! ? or an ellipsis after a word of two letters or more (not "U.S."), with any closing
# quotes, before a space and a capital, digit or opening quote; a line break ends it too.
_SENTENCE_END = re.compile(r"(?<=\w\w)[.!?…]+[\"'’”)]*(?=\s+[\"'‘“(]?[A-Z0-9À-Ý])|\n")
_ABBREVIATIONS = frozenset("mr mrs ms dr st sr jr vs no gen col sen rep gov prof rev".split())


def title_from_text(text: str, limit: int = DERIVED_TITLE_CHARS) -> str:
    """A title for an item that has none (valid in RSS 2.0 and JSON Feed, common for short posts): the text's
    first sentence, cut at a word boundary with an ellipsis when it runs past ``limit`` characters."""
    text = text.strip()
    first = text
    for end in _SENTENCE_END.finditer(text):
        word = text[: end.start()].rsplit(None, 1)[-1].lower() if end.start() else ""
        if word not in _ABBREVIATIONS:
            first = text[: end.end()]
            break
    first = " ".join(first.split())
    if len(first) <= limit:
        return first
    cut = first[: limit + 1].rsplit(" ", 1)[0] if " " in first[:limit] else first[:limit]
    return cut.rstrip(" ,;:-–—") + "…"


def _parse(html: str, url: str) -> HtmlElement:
    try:
        tree = load_html(html)
    except Exception as exc:  # lxml and trafilatura raise many types on hostile markup; all mean "unreadable"
        raise ExtractError("page cannot be parsed", subject=url) from exc
    if tree is None:
        raise ExtractError("no body found", subject=url)
    return tree


def _first(*values: str | None) -> str | None:
    return next((value.strip() for value in values if value and value.strip()), None)


def extract_article(html: str | bytes, url: str) -> Extracted:
    """The article in ``html``: body paragraphs one per line, and metadata from trafilatura, JSON-LD,
    OpenGraph and meta tags. Raises ExtractError when the page has no article body."""
    text_html = decode_html(html) if isinstance(html, bytes) else html
    tree = _parse(text_html, url)
    try:
        declared = declared_metadata(tree, url)
        # Links stay in the tree only to measure link density; the text drops them.
        document = bare_extraction(text_html, url=url, with_metadata=True, include_comments=False, include_links=True)
        found = document.as_dict() if document is not None else {}
        # Publishers' own headline and OpenGraph title rarely carry the " - Outlet" suffix of <title>.
        title = _first(declared.title, found.get("title"))
        author = _first(found.get("author"), declared.author)
        lines = article_lines(found.get("body"), (declared.title, found.get("title")), author)
        if lines:
            lines = consensus(lines, witnesses(text_html, tree, url, declared.language))
    except Exception as exc:  # as above: a third-party failure on one page must surface as this stage's error
        raise ExtractError(f"extraction failed: {type(exc).__name__}", subject=url) from exc
    # A page trafilatura cannot read may still declare its body in JSON-LD (common with script-rendered pages).
    body = "\n".join(lines or clean_lines(declared.body))
    if not body:
        raise ExtractError("no body found", subject=url)
    return Extracted(
        title=title,
        text=body,
        author=author,
        published=declared.published or parse_moment(found.get("date")),
        image_url=http_url(found.get("image"), url) or declared.image_url,
        language=declared.language or language_code(found.get("language")),
        description=_first(found.get("description"), declared.description),
    )
