"""XML sitemaps (``urlset`` and ``sitemapindex``), including Google News sitemaps and gzipped ones."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin
from xml.etree.ElementTree import Element

from storyline.errors import InputError, ParseError
from storyline.fetch import clip, local_name, parse_xml, plain_text
from storyline.fetch.urls import require_http_url
from storyline.logs import get_logger
from storyline.moments import parse_moment

log = get_logger("fetch")

# The sitemap protocol's own limits: 50,000 URLs and 50 MB uncompressed per file.
MAX_URLS = 50_000
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(slots=True, frozen=True)
class SitemapPage:
    url: str
    lastmod: datetime | None = None
    title: str | None = None  # from a Google News sitemap's <news:title>


@dataclass(slots=True)
class Sitemap:
    pages: list[SitemapPage] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)  # child sitemaps of a sitemap index


def parse_sitemap(content: bytes, base_url: str) -> Sitemap:
    root = parse_xml(_gunzip(content, base_url) if content.startswith(GZIP_MAGIC) else content, "sitemap")
    kind = local_name(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise ParseError(f"not a sitemap: the root element is <{kind}>", subject=base_url)
    sitemap = Sitemap()
    for entry in list(root)[:MAX_URLS]:
        fields = _fields(entry)
        url = _absolute_url(fields.get("loc"), base_url)
        if url is None:
            continue
        if local_name(entry.tag) == "sitemap":
            sitemap.sitemaps.append(url)
        elif local_name(entry.tag) == "url":
            published = parse_moment(fields.get("publication_date"))
            lastmod = published or parse_moment(fields.get("lastmod"))
            sitemap.pages.append(SitemapPage(url, lastmod, clip(plain_text(fields.get("title")), "title")))
    return sitemap


def _fields(entry: Element) -> dict[str, str]:
    """The text of an entry's descendants by local name; <news:news> nests title and publication_date."""
    return {local_name(child.tag): (child.text or "").strip() for child in entry.iter() if child is not entry}


def _gunzip(content: bytes, base_url: str) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(content, MAX_UNCOMPRESSED_BYTES + 1)
    except zlib.error as exc:
        raise ParseError("sitemap is not valid gzip", subject=base_url) from exc
    if len(data) > MAX_UNCOMPRESSED_BYTES:
        raise ParseError(f"sitemap larger than {MAX_UNCOMPRESSED_BYTES} bytes uncompressed", subject=base_url)
    return data


def _absolute_url(loc: str | None, base_url: str) -> str | None:
    if not loc:
        return None
    try:
        return require_http_url(urljoin(base_url, loc))
    except (InputError, ValueError) as exc:
        log.warning("sitemap entry skipped", url=loc[:200], sitemap=base_url, error=str(exc))
        return None
