"""Body cleaning rules on small hand-made trees in trafilatura's XML format."""

from __future__ import annotations

import pytest
from lxml import etree

from storyline.extract.body import article_lines


def _body(xml: str) -> etree._Element:
    return etree.fromstring(f"<body>{xml}</body>")


LONG = "The committee published its findings after a year of hearings with more than two hundred witnesses."


@pytest.mark.parametrize(
    ("xml", "title", "author", "expected"),
    [
        (f"<head>Budget approved after long night</head><p>{LONG}</p>", "Budget approved after long night - The Daily",
         None, [LONG]),
        (f"<head>Budget approved after long night</head><p>{LONG}</p>", "Budget approved", None,
         ["Budget approved after long night", LONG]),
        (f"<p>By Ana Ruiz, political editor</p><p>{LONG}</p>", None, "Ana Ruiz", [LONG]),
        (f"<p>{LONG} Ana Ruiz reports.</p>", None, "Ana Ruiz", [f"{LONG} Ana Ruiz reports."]),
        (f"<p>{LONG}</p><p><ref target='/a'>Read more: council rejects tunnel</ref></p>", None, None, [LONG]),
        (f"<p>{LONG}</p><list><item><ref target='/1'>Other story one</ref></item>"
         "<item><ref target='/2'>Other story two</ref></item></list>", None, None, [LONG]),
        (f"<p>{LONG} See <ref target='/r'>the report</ref>.</p>", None, None, [f"{LONG} See the report."]),
        (f"<p>{LONG}</p><p>ADVERTISEMENT</p><p>Story continues below advertisement</p><p>{LONG}</p>", None, None,
         [LONG, LONG]),
        ("<table><row><cell><ref target='/q'>AAPL</ref></cell><cell>189.2</cell></row></table>", None, None,
         ["| AAPL | 189.2 |"]),
    ],
    ids=["headline-with-outlet", "longer-heading-kept", "byline", "author-in-text-kept", "read-more-link",
         "related-list", "inline-link-kept", "ad-labels", "table-links-kept"],
)  # fmt: skip
def test_article_lines(xml: str, title: str | None, author: str | None, expected: list[str]) -> None:
    assert article_lines(_body(xml), [title], author) == expected


def test_headline_matching_any_known_title_is_dropped() -> None:
    body = _body(f"<head>What the page shows</head><p>{LONG}</p>")
    assert article_lines(body, ["An OpenGraph title", "What the page shows | Outlet"], None) == [LONG]


def test_article_lines_of_nothing() -> None:
    assert article_lines(None, ["Title"], "Author") == []
