"""The agreement vote between extractors, on small hand-made line lists."""

from __future__ import annotations

import pytest
from lxml.html import document_fromstring, fragment_fromstring

from storyline.extract.ensemble import JUSTEXT_MAX_ELEMENTS, block_lines, consensus, corroborated, witnesses

NEWSLETTER = "Sign up for our newsletter"
FIRST = "The first paragraph of the story."
SECOND = "The second paragraph follows here."
MAIN = [NEWSLETTER, FIRST, SECOND]


@pytest.mark.parametrize(
    ("others", "expected"),
    [
        ([[FIRST.lower(), SECOND]], [FIRST, SECOND]),
        # the others read some other part of the page: nothing is dropped
        ([["Sign up for our newsletter and win a prize"]], MAIN),
        ([], MAIN),
        # each other text confirms a part; together they agree
        ([[], [FIRST], [SECOND]], [FIRST, SECOND]),
        # containment is of whole words
        ([["xthe first paragraph of the story", "the second paragraph follows heres"]], MAIN),
    ],
    ids=["agreeing", "disagreeing", "none", "shared", "whole-words"],
)
def test_corroborated(others: list[list[str]], expected: list[str]) -> None:
    assert corroborated(MAIN, others) == expected


THIRD = "A third paragraph that only the fuller extractors found, with many more words in it than the others."
FOURTH = "And a fourth one, again missed by the first extractor, which stopped after the second paragraph."


def test_consensus_keeps_main_text_and_drops_unconfirmed_lines() -> None:
    assert consensus(MAIN, [[FIRST, SECOND], [FIRST, SECOND, "Related: other story"]]) == [FIRST, SECOND]


def test_consensus_switches_to_a_far_better_confirmed_text() -> None:
    fuller = [FIRST, SECOND, THIRD, FOURTH, "Comments (2)"]
    assert consensus([FIRST, SECOND], [fuller, [FIRST, SECOND, THIRD, FOURTH]]) == [FIRST, SECOND, THIRD, FOURTH]


def test_consensus_without_others_is_main() -> None:
    assert consensus(MAIN, []) == MAIN


def test_block_lines_break_at_blocks_and_keep_loose_text() -> None:
    fragment = fragment_fromstring(
        "<div>loose <b>bold</b> text<p>para <i>one</i></p>tail<ul><li>a</li><li>b <a>c</a></li></ul></div>"
    )
    assert block_lines(fragment) == ["loose bold text", "para one", "tail", "a", "b c"]
    assert block_lines(None) == []


def test_justext_is_not_asked_on_pages_too_large_for_it() -> None:
    paragraphs = "".join(f"<p>Paragraph number {i} of a very long page.</p>" for i in range(JUSTEXT_MAX_ELEMENTS))
    html = f"<html><body><article>{paragraphs}</article></body></html>"
    precise, readability, justext = witnesses(html, document_fromstring(html), "https://n.example/", "en")
    assert justext == []
    assert "Paragraph number 7 of a very long page." in readability
