"""Declared metadata: timestamps, language tags, image URLs and JSON-LD shapes seen on news sites."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from lxml.html import document_fromstring

from storyline.extract.metadata import declared_metadata, http_url, language_code

UTC = timezone.utc


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("en", "en"), ("en-GB", "en"), ("fr_FR", "fr"), ("PT-br", "pt"), ("zh-Hant-TW", "zh"), ("english", None),
     ("", None), (None, None), ("e", None), ("$$", None)],
)  # fmt: skip
def test_language_code(tag: str | None, expected: str | None) -> None:
    assert language_code(tag) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://cdn.example/a.jpg", "https://cdn.example/a.jpg"),
        ("/img/a.jpg", "https://news.example/img/a.jpg"),
        ("//cdn.example/a.jpg", "https://cdn.example/a.jpg"),
        ("javascript:alert(1)", None),
        ("data:image/png;base64,AAAA", None),
        ("ftp://files.example/a.jpg", None),
        ("http://[::1", None),
        ("", None),
        (None, None),
    ],
)
def test_http_url_only_accepts_http_and_https(value: str | None, expected: str | None) -> None:
    assert http_url(value, "https://news.example/story/1") == expected


def _declared(head: str):
    return declared_metadata(
        document_fromstring(f"<html><head>{head}</head><body></body></html>"), "https://n.example/"
    )


@pytest.mark.parametrize(
    ("json_ld", "author"),
    [
        ('{"@type": "NewsArticle", "author": "Ana Ruiz"}', "Ana Ruiz"),
        ('{"@type": "NewsArticle", "author": {"@type": "Person", "name": "Ana Ruiz"}}', "Ana Ruiz"),
        ('{"@type": "NewsArticle", "author": [{"name": "Ana Ruiz"}, {"name": "Li Wei"}]}', "Ana Ruiz, Li Wei"),
        ('[{"@type": "WebPage"}, {"@type": ["ReportageNewsArticle"], "author": {"name": "Ana Ruiz"}}]', "Ana Ruiz"),
        ('{"@graph": [{"@type": "Organization", "name": "Outlet"}, {"@type": "BlogPosting", "author": "Ana Ruiz"}]}',
         "Ana Ruiz"),
        ('{"@type": "Organization", "name": "Not an author"}', None),
        ('{"@type": "NewsArticle", "author": {"@type": "Person", "url": "https://n.example/ana"}}', None),
    ],
)  # fmt: skip
def test_json_ld_author_shapes(json_ld: str, author: str | None) -> None:
    assert _declared(f'<script type="application/ld+json">{json_ld}</script>').author == author


def test_json_ld_wins_over_opengraph_and_falls_back_in_order() -> None:
    declared = _declared(
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "From JSON-LD",'
        ' "datePublished": "2024-01-02T03:04:05Z", "image": [{"url": "/ld.jpg"}]}</script>'
        '<meta property="og:title" content="From OpenGraph">'
        '<meta property="article:published_time" content="2020-01-01T00:00:00Z">'
        '<meta property="og:image" content="/og.jpg"><meta property="og:locale" content="es_ES">'
        '<meta name="description" content="Meta description">'
    )
    assert declared.title == "From JSON-LD"
    assert declared.published == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert declared.image_url == "https://n.example/ld.jpg"
    assert declared.language == "es"
    assert declared.description == "Meta description"


def test_html_lang_wins_over_locale_and_content_language() -> None:
    tree = document_fromstring(
        '<html lang="it"><head><meta property="og:locale" content="en_US">'
        '<meta http-equiv="content-language" content="de"></head><body></body></html>'
    )
    assert declared_metadata(tree, "https://n.example/").language == "it"
