"""OPML subscription lists: every outline with an ``xmlUrl``, at any depth, in the folder it sits in; and the
same shape written back out (``write_opml``), one outline a folder."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from storyline.errors import InputError, ParseError
from storyline.fetch import clip, local_name, parse_xml, plain_text
from storyline.fetch.urls import require_http_url
from storyline.logs import get_logger

log = get_logger("fetch")

MAX_FOLDER_CHARS = 200  # the stored column
FOLDER_SEPARATOR = " / "  # nested folders are kept as one name: "News / Europe"


@dataclass(slots=True, frozen=True)
class FeedRef:
    url: str
    title: str | None = None
    html_url: str | None = None
    folder: str | None = None


def parse_opml(content: bytes) -> list[FeedRef]:
    """The feeds an OPML file lists, each once, in document order; outlines with a bad ``xmlUrl`` are skipped.
    A feed's folder is the outline (without ``xmlUrl``) it is nested in; nested folders are joined by " / "."""
    root = parse_xml(content, "OPML file")
    if local_name(root.tag).lower() != "opml":
        raise ParseError("not an OPML file: the root element is not <opml>")
    refs: dict[str, FeedRef] = {}
    for outline, folders in _outlines(root):
        if not outline.get("xmlUrl"):
            continue
        try:
            url = require_http_url(outline.get("xmlUrl", ""))
        except InputError as exc:
            log.warning("outline skipped", error=str(exc))
            continue
        title = plain_text(outline.get("title") or outline.get("text"))
        folder = FOLDER_SEPARATOR.join(folders)[:MAX_FOLDER_CHARS].strip() or None
        refs.setdefault(url, FeedRef(url, clip(title, "source"), _optional_url(outline.get("htmlUrl")), folder))
    return list(refs.values())


def _outlines(root: ET.Element) -> Iterator[tuple[ET.Element, tuple[str, ...]]]:
    """Every outline in document order with the names of the folders above it. Iterative: a deeply nested file
    must not exhaust the stack."""
    stack: list[tuple[ET.Element, tuple[str, ...]]] = [(root, ())]
    while stack:
        node, names = stack.pop()
        if local_name(node.tag) == "outline":
            yield node, names
            name = "" if node.get("xmlUrl") else plain_text(node.get("title") or node.get("text"))
            names = (*names, name) if name else names
        stack.extend((child, names) for child in reversed(list(node)))


def _optional_url(url: str | None) -> str | None:
    try:
        return require_http_url(url) if url else None
    except InputError:
        return None


_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value: str) -> str:
    """Text XML 1.0 can carry (a stored title may hold a control character)."""
    return _NOT_XML.sub("", value)


def write_opml(refs: Iterable[FeedRef], title: str = "Storyline subscriptions") -> bytes:
    """An OPML 2.0 document: feeds without a folder at the top, the others in one outline a folder."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for ref in refs:
        parent = body
        if ref.folder:
            if ref.folder not in folders:
                name = _xml_text(ref.folder)
                folders[ref.folder] = ET.SubElement(body, "outline", text=name, title=name)
            parent = folders[ref.folder]
        name = _xml_text(ref.title or ref.url)
        attributes = {"type": "rss", "text": name, "title": name, "xmlUrl": ref.url}
        if ref.html_url:
            attributes["htmlUrl"] = ref.html_url
        ET.SubElement(parent, "outline", attributes)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
