"""Hostile or broken markup: extract_article returns an article or raises ExtractError, nothing else."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyline.errors import ExtractError, StorylineError
from storyline.extract import extract_article

URL = "https://news.example/story"
PARAGRAPH = "<p>The council met on Tuesday and agreed a new budget for the coming year after a long debate.</p>"

HOSTILE = {
    "empty": "",
    "whitespace": " \n\t ",
    "not-html": "just some words",
    "binary": bytes(range(256)) * 16,
    "script-only": "<html><body><script>" + "document.write('<p>x</p>');" * 500 + "</script></body></html>",
    "deep-nesting": "<html><body>" + "<div>" * 20_000 + PARAGRAPH * 3 + "</div>" * 20_000 + "</body></html>",
    "deep-unclosed": "<html><body>" + "<span><b><i>" * 10_000 + PARAGRAPH * 3,
    "unclosed-tags": "<html><body><article><p>Broken <b>bold <i>italic <p>" + PARAGRAPH * 3,
    "nul-and-controls": "<html><body>\x00\x01\x02" + PARAGRAPH.replace(" ", "\x00 ") * 3 + "\x0b\x0c</body></html>",
    "huge-attribute": '<html><body><div class="' + "x" * 100_000 + '">' + PARAGRAPH * 3 + "</div></body></html>",
    "many-links": "<html><body>" + "<a href='/x'>link</a>" * 5_000 + "</body></html>",
    "bad-json-ld": '<html><head><script type="application/ld+json">{"@type": [[[[</script></head><body>'
    + PARAGRAPH * 3
    + "</body></html>",
    "json-ld-deep": '<html><head><script type="application/ld+json">'
    + "[" * 50_000
    + "]" * 50_000
    + "</script></head><body>"
    + PARAGRAPH * 3
    + "</body></html>",
    "json-ld-nested-lists": '<html><head><script type="application/ld+json">'
    + "[" * 900
    + '{"@type": "NewsArticle", "headline": "Deep"}'
    + "]" * 900
    + "</script></head><body>"
    + PARAGRAPH * 3
    + "</body></html>",
    "xml-declaration": '<?xml version="1.0" encoding="utf-8"?><html><body>' + PARAGRAPH * 3 + "</body></html>",
    "processing-junk": "<html><body><![CDATA[ x ]]><!-- <p> --><?php echo 1; ?>" + PARAGRAPH * 3 + "</body></html>",
    "bad-meta": '<html><head><meta property="og:image" content="http://[::1"><meta property="article:published_time"'
    ' content="99999-99-99T99:99"><meta property="og:locale" content="$$"></head><body>'
    + PARAGRAPH * 3
    + "</body></html>",
}


@pytest.mark.parametrize("html", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_page_gives_article_or_extract_error(html: str | bytes) -> None:
    try:
        result = extract_article(html, URL)
    except ExtractError:
        return
    assert isinstance(result.text, str) and result.text
    assert result.image_url is None or result.image_url.startswith(("http://", "https://"))


def test_bad_metadata_is_dropped_not_fatal() -> None:
    result = extract_article(HOSTILE["bad-meta"], URL)
    assert "agreed a new budget" in result.text
    assert result.image_url is None
    assert result.language is None


_TAGS = st.sampled_from(["div", "p", "span", "a", "script", "style", "table", "td", "li", "article", "h1", "!--"])
_FRAGMENT = st.one_of(
    st.text(max_size=80),
    _TAGS.map(lambda tag: f"<{tag}>"),
    _TAGS.map(lambda tag: f"</{tag}>"),
    st.just('<script type="application/ld+json">{"@type": "NewsArticle", "headline": 1, "datePublished": []}'),
    st.just('<meta property="og:image" content="javascript:alert(1)">'),
    st.just(PARAGRAPH),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_FRAGMENT, max_size=40).map("".join), st.booleans())
def test_only_storyline_errors_escape(markup: str, as_bytes: bool) -> None:
    html = f"<html><body>{markup}</body></html>"
    try:
        extract_article(html.encode("utf-8", errors="surrogatepass") if as_bytes else html, URL)
    except StorylineError:
        pass
