"""Second opinions on the body from extractors built on other principles.

trafilatura's default mode favours recall, so it keeps some page furniture (newsletter prompts, captions, "more
stories" teasers), and on a few layouts it stops early. Readability (content scoring of DOM nodes), jusText
(stop-word density of paragraphs) and trafilatura's precision mode err in different places, so:

- a line that no other extractor keeps is most likely not article text, and is dropped;
- when another extractor's text has far more lines the others confirm, trafilatura missed part of the article,
  and that extractor's text is used instead.

When the other extractors together confirm less than half of a text, they read another part of the page, and
that text is kept whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from copy import deepcopy

from lxml import etree
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.baseline import basic_cleaning
from trafilatura.external import try_justext, try_readability

from storyline.extract.body import clean_lines

_WORD = re.compile(r"\w+")
# Share of a text's words the other extractors must confirm to count as reading the same article.
WITNESS_AGREEMENT = 0.5
# How many times more confirmed words another extractor needs before its text replaces trafilatura's.
SWITCH_RATIO = 2.0
# jusText's paragraph revision is quadratic in the number of paragraphs: past this many elements (about twice
# the largest news page we have seen) it would take seconds to minutes, so it is not asked.
JUSTEXT_MAX_ELEMENTS = 3000
_BLOCK_TAGS = frozenset(
    "address article aside blockquote dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 header li main ol p "
    "pre section table td th tr ul".split()
)

Lines = Sequence[str]


def _word_sequence(text: str) -> str:
    """Lower-case words joined by single spaces and padded, so containment means whole-word containment."""
    return " " + " ".join(_WORD.findall(text.lower())) + " "


def _is_block(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and element.tag in _BLOCK_TAGS


def block_lines(root: etree._Element | None) -> list[str]:
    """The text of an HTML fragment with a line break at every block element's start and end."""
    if root is None:
        return []
    pieces: list[str] = []
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if _is_block(element):
            pieces.append("\n")
        if event == "start":
            pieces.append(element.text or "")
        elif element is not root:
            pieces.append(element.tail or "")
    return clean_lines("".join(pieces))


def _justext_lines(tree: HtmlElement, url: str, language: str | None) -> list[str]:
    if sum(1 for _ in tree.iter()) > JUSTEXT_MAX_ELEMENTS:
        return []
    body = try_justext(basic_cleaning(deepcopy(tree)), url, language)
    return clean_lines("\n".join(" ".join(paragraph.itertext()) for paragraph in body))


def witnesses(html: str, tree: HtmlElement, url: str, language: str | None) -> list[list[str]]:
    """The lines that trafilatura's precision mode, readability and jusText take for the article."""
    precise = bare_extraction(html, url=url, include_comments=False, favor_precision=True)
    return [
        clean_lines(precise.text) if precise is not None else [],
        block_lines(try_readability(deepcopy(tree))),
        _justext_lines(tree, url, language),
    ]


def _confirmations(lines: Lines, others: Iterable[Lines]) -> list[bool]:
    """Which lines some other text contains word for word; none when the others together confirm less than
    half of the words (they read another part of the page)."""
    texts = [_word_sequence(" ".join(other)) for other in others]
    confirmed = [any(_word_sequence(line) in text for text in texts) for line in lines]
    sizes = [len(_WORD.findall(line)) for line in lines]
    agreed = sum(size for size, hit in zip(sizes, confirmed, strict=True) if hit)
    return confirmed if agreed >= WITNESS_AGREEMENT * sum(sizes) else [False] * len(lines)


def corroborated(lines: Lines, others: Sequence[Lines]) -> list[str]:
    """The lines some agreeing other text confirms; all lines when no other text agrees."""
    confirmed = _confirmations(lines, others)
    if not any(confirmed):
        return list(lines)
    return [line for line, keep in zip(lines, confirmed, strict=True) if keep]


def _confirmed_words(lines: Lines, others: Sequence[Lines]) -> int:
    confirmed = _confirmations(lines, others)
    return sum(len(_WORD.findall(line)) for line, hit in zip(lines, confirmed, strict=True) if hit)


def consensus(main: Lines, others: Sequence[Lines]) -> list[str]:
    """``main`` (or a far better confirmed other text) without the lines no other extractor confirms."""
    candidates = [list(main), *map(list, others)]
    support = [_confirmed_words(text, candidates[:i] + candidates[i + 1 :]) for i, text in enumerate(candidates)]
    best = max(range(len(candidates)), key=support.__getitem__)
    chosen = best if support[best] >= SWITCH_RATIO * support[0] and support[best] > support[0] else 0
    return corroborated(candidates[chosen], candidates[:chosen] + candidates[chosen + 1 :])
