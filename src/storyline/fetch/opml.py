"""OPML subscription lists: every outline with an ``xmlUrl``, at any depth."""

from __future__ import annotations

from dataclasses import dataclass

from storyline.errors import InputError, ParseError
from storyline.fetch import clip, local_name, parse_xml, plain_text
from storyline.fetch.urls import require_http_url
from storyline.logs import get_logger

log = get_logger("fetch")


@dataclass(slots=True, frozen=True)
class FeedRef:
    url: str
    title: str | None = None
    html_url: str | None = None


def parse_opml(content: bytes) -> list[FeedRef]:
    """The feeds an OPML file lists, each once, in document order; outlines with a bad ``xmlUrl`` are skipped."""
    root = parse_xml(content, "OPML file")
    if local_name(root.tag).lower() != "opml":
        raise ParseError("not an OPML file: the root element is not <opml>")
    refs: dict[str, FeedRef] = {}
    for outline in root.iter():
        if local_name(outline.tag) != "outline" or not outline.get("xmlUrl"):
            continue
        try:
            url = require_http_url(outline.get("xmlUrl", ""))
        except InputError as exc:
            log.warning("outline skipped", error=str(exc))
            continue
        title = plain_text(outline.get("title") or outline.get("text"))
        refs.setdefault(url, FeedRef(url, clip(title, "source"), _optional_url(outline.get("htmlUrl"))))
    return list(refs.values())


def _optional_url(url: str | None) -> str | None:
    try:
        return require_http_url(url) if url else None
    except InputError:
        return None
