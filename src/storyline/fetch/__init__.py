"""Collection: the network (``http``), URLs (``urls``) and the formats news arrives in (``feeds``, ``opml``,
``sitemap``, ``jsonl``). Every byte read here is hostile until proven otherwise.

This module holds what the format readers share: field limits matching the store, a defused XML reader and
the HTML-to-plain-text step.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import nh3
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from lxml.html.defs import block_tags

from storyline.errors import ParseError

# The longest value each article field may carry: the database columns' sizes (text and html are bounded so
# one input cannot exhaust memory downstream).
FIELD_LIMITS = {
    "title": 1000,
    "author": 500,
    "source": 200,
    "language": 35,
    "id": 200,
    "text": 2_000_000,
    "html": 5 * 1024 * 1024,
}

_WHITESPACE = re.compile(r"\s+")
# C0 controls but tab, line feed and carriage return: no text means them, and PostgreSQL refuses NUL in text.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
_BLOCK_TAGS = set(block_tags) | {"br", "li", "dd", "dt", "td", "th", "tr"}
_BARE_BLOCK_TAG = re.compile(r"</?[a-z0-9]+\s*/?>")


def parse_xml(content: bytes, what: str) -> ET.Element:
    """Parses XML refusing entity declarations and external references (billion laughs, XXE).

    A bare DOCTYPE is allowed: old RSS 0.91 feeds carry one, and without entities it can do no harm."""
    try:
        return fromstring(content, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ParseError(f"{what} declares XML entities or external references; refused") from exc
    except (ET.ParseError, ValueError) as exc:
        raise ParseError(f"{what} is not well-formed XML: {exc}") from exc


def plain_text(markup: str | None) -> str:
    """Text as a reader sees it: tags removed (script and style with their content), a space where a block
    ended so paragraphs do not run together, entities decoded, runs of white space collapsed."""
    if not markup:
        return ""
    # nh3 keeps only bare block tags, in a normal form that the pattern below can then swap for spaces.
    blocks_only = nh3.clean(markup, tags=_BLOCK_TAGS, attributes={})
    return _WHITESPACE.sub(" ", html.unescape(_BARE_BLOCK_TAG.sub(" ", blocks_only))).strip()


def encodable(value: str | None) -> str | None:
    """Text every later stage can encode: lone surrogates (which JSON's ``\\ud800`` escapes produce) become
    U+FFFD, as a decoder would have made of them, and control characters are dropped. spaCy's tokenizer and
    both databases' drivers refuse a lone surrogate, the first for a whole batch at once."""
    if not value:
        return value
    return _CONTROLS.sub("", _LONE_SURROGATE.sub("\ufffd", value))


def safe_html(markup: str | None) -> str | None:
    """HTML with scripts, styles, event handlers and javascript: links removed."""
    return nh3.clean(markup) if markup else None


def clip(value: str | None, field: str) -> str | None:
    """Cuts an optional field to its stored size; empty becomes None."""
    return value[: FIELD_LIMITS[field]] if value else None


def local_name(tag: object) -> str:
    """An element's name without its namespace: ``{http://...}loc`` -> ``loc``."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
