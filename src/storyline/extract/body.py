"""The article body as clean paragraphs, one per line, from trafilatura's extracted XML tree.

trafilatura keeps some blocks a reader would not call the article: the headline and byline repeated at the top,
"read more" or "related stories" links between paragraphs, advertising slot labels. Except for the short list of
ad labels, these are recognised by structure (a block that is nearly all link text, a first block equal to the
headline, a short block naming the author), not by wording, so the rules hold across sites and languages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml import etree
from trafilatura.xml import xmltotxt

# Blocks whose text is a unit of reading; table cells are left alone, since in data tables (quotes, results)
# whole cells are often links.
_TEXT_BLOCKS = ("p", "head", "item", "quote")
# Share of a block's words inside links above which the block is navigation (related stories, "read more").
LINK_DENSITY_LIMIT = 0.8
# Labels that mark advertising slots in the flow of text, in the languages of the outlets we read.
AD_LABELS = frozenset(
    {
        "ad",
        "advertisement",
        "advertising",
        "sponsored",
        "sponsored content",
        "story continues below advertisement",
        "article continues below advertisement",
        "continue reading below",
        "anzeige",
        "werbung",
        "publicité",
        "publicidad",
        "pubblicità",
    }
)
# A byline is a short block near the top that names the author.
BYLINE_MAX_WORDS = 12
BYLINE_SEARCH_BLOCKS = 3
# A first block sharing this share of the headline's words, from its start, is the headline shown again.
HEADLINE_OVERLAP = 0.6
_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def _words(text: str | None) -> list[str]:
    return _WORD.findall((text or "").lower())


def _text(element: etree._Element) -> str:
    return "".join(element.itertext())


def _link_density(block: etree._Element) -> float:
    total = sum(map(len, _words(_text(block))))
    if not total:
        return 0.0
    linked = sum(sum(map(len, _words(_text(link)))) for link in block.iter("ref"))
    return linked / total


def _is_navigation(block: etree._Element) -> bool:
    holds_blocks = any(child.tag in _TEXT_BLOCKS for child in block.iterdescendants())
    return not holds_blocks and _link_density(block) >= LINK_DENSITY_LIMIT


def _drop(element: etree._Element) -> None:
    """Removes an element but keeps its tail text, which belongs to the parent."""
    parent = element.getparent()
    if parent is None:
        return
    previous = element.getprevious()
    if element.tail and element.tail.strip():
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _repeats_headline(text: str, title: str) -> bool:
    """The block is the headline, allowing for " - Outlet" added to one of them."""
    block, headline = _words(text), _words(title)
    shorter, longer = sorted((block, headline), key=len)
    return bool(shorter) and longer[: len(shorter)] == shorter and len(shorter) >= HEADLINE_OVERLAP * len(longer)


def _drop_headline(body: etree._Element, titles: Sequence[str | None]) -> None:
    first = next((child for child in body if _text(child).strip()), None)
    if first is not None and any(title and _repeats_headline(_text(first), title) for title in titles):
        _drop(first)


def _drop_byline(body: etree._Element, author: str | None) -> None:
    name = " ".join(_words(author))
    if not name:
        return
    blocks = [block for block in body.iter(*_TEXT_BLOCKS) if _text(block).strip()][:BYLINE_SEARCH_BLOCKS]
    for block in blocks:
        words = _words(_text(block))
        if len(words) <= BYLINE_MAX_WORDS and f" {name} " in f" {' '.join(words)} ":
            _drop(block)
            return


def _is_ad_label(block: etree._Element) -> bool:
    return " ".join(_words(_text(block))) in AD_LABELS


def clean_lines(text: str | None) -> list[str]:
    """Non-empty lines with runs of (also exotic) spaces collapsed."""
    lines = (_SPACES.sub(" ", line).strip() for line in (text or "").splitlines())
    return [line for line in lines if line]


def article_lines(body: etree._Element | None, titles: Sequence[str | None], author: str | None) -> list[str]:
    """Body paragraphs without navigation blocks, advertising labels, the repeated headline (any of ``titles``,
    since the page may show its <title>, OpenGraph title or JSON-LD headline) or the byline; mutates ``body``."""
    if body is None:
        return []
    for block in list(body.iter(*_TEXT_BLOCKS)):
        if _is_navigation(block) or _is_ad_label(block):
            _drop(block)
    _drop_headline(body, titles)
    _drop_byline(body, author)
    etree.strip_tags(body, "ref")
    return clean_lines(xmltotxt(body, include_formatting=False))
