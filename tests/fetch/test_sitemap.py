"""XML sitemaps: url sets, indexes, Google News sitemaps, gzip, and hostile input."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone

import pytest

from storyline.errors import ParseError
from storyline.fetch import sitemap as sitemap_module
from storyline.fetch.sitemap import SitemapPage, parse_sitemap

BASE = "https://news.example.com/sitemap.xml"

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://news.example.com/a</loc><lastmod>2025-06-16</lastmod></url>
  <url><loc>/relative/b</loc><lastmod>2025-06-16T10:00:00+01:00</lastmod></url>
  <url><loc>javascript:alert(1)</loc></url>
  <url><lastmod>2025-06-16</lastmod></url>
  <url>
    <loc>https://news.example.com/c</loc>
    <lastmod>garbage</lastmod>
    <news:news>
      <news:publication><news:name>Example</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2025-06-16T17:42:00Z</news:publication_date>
      <news:title>Grooming gangs &amp; the &lt;b&gt;audit&lt;/b&gt;</news:title>
    </news:news>
  </url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://news.example.com/sitemap-news.xml</loc></sitemap>
  <sitemap><loc>sitemap-2025.xml.gz</loc><lastmod>2025-06-16</lastmod></sitemap>
  <sitemap><loc>ftp://news.example.com/old.xml</loc></sitemap>
</sitemapindex>"""


def test_urlset_with_news_entries():
    parsed = parse_sitemap(URLSET, BASE)
    assert parsed.sitemaps == []
    assert parsed.pages == [
        SitemapPage("https://news.example.com/a", datetime(2025, 6, 16, tzinfo=timezone.utc)),
        SitemapPage("https://news.example.com/relative/b", datetime(2025, 6, 16, 9, tzinfo=timezone.utc)),
        SitemapPage(
            "https://news.example.com/c",
            datetime(2025, 6, 16, 17, 42, tzinfo=timezone.utc),
            "Grooming gangs & the audit",
        ),
    ]


def test_sitemap_index():
    parsed = parse_sitemap(INDEX, BASE)
    assert parsed.pages == []
    assert parsed.sitemaps == [
        "https://news.example.com/sitemap-news.xml",
        "https://news.example.com/sitemap-2025.xml.gz",
    ]


def test_gzipped_sitemap():
    assert parse_sitemap(gzip.compress(URLSET), BASE) == parse_sitemap(URLSET, BASE)


def test_gzip_bomb_is_capped(monkeypatch):
    monkeypatch.setattr(sitemap_module, "MAX_UNCOMPRESSED_BYTES", 1024 * 1024)
    bomb = gzip.compress(b"<urlset>" + b" " * (20 * 1024 * 1024) + b"</urlset>")
    with pytest.raises(ParseError, match="larger than"):
        parse_sitemap(bomb, BASE)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<rss version='2.0'/>", "not a sitemap"),
        (b"<urlset><url>", "not well-formed"),
        (b"\x1f\x8bnot really gzip", "not valid gzip"),
        (b'<!DOCTYPE urlset [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><urlset>&b;</urlset>', "entities"),
    ],
)
def test_refused_documents(content, message):
    with pytest.raises(ParseError, match=message):
        parse_sitemap(content, BASE)
