"""Feeds out (Atom, RSS 2.0, JSON Feed) for home, hashtags, stories and sections; sitemap and robots.txt."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from feedgen.feed import FeedGenerator
from sqlalchemy.orm import Session

from storyline.i18n import N_
from storyline.store import queries
from storyline.store.models import Article, Development
from storyline.web.deps import Db, parse_row_id
from storyline.web.templating import SITE_NAME, article_path
from storyline.web.text import language_code, safe_http_url, xml_safe

router = APIRouter()
FEED_SIZE = 30
SUMMARY_CHARS = 400
MEDIA_TYPES = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


@dataclass(frozen=True)
class FeedSource:
    title: str
    page_path: str
    feed_path: str
    articles: Sequence[Article]
    # A follow's private feed also carries what developed in its stories (``alerts``), as entries of their own.
    developments: Sequence[Development] = ()


def development_url(base: str, development: Development) -> str:
    return f"{base}/en/story/{development.story_id}{development.detail.get('anchor') or ''}"


def development_id(base: str, development: Development) -> str:
    return f"{base}/en/story/{development.story_id}#development-{development.id}"


def development_summary(development: Development) -> str:
    return " ".join(f"{cite['text']} ({cite.get('source') or ''})" for cite in development.detail.get("cites") or [])


def lead(article: Article) -> str:
    summary = [article.sentences[i] for i in article.summary or [] if 0 <= i < len(article.sentences or [])]
    return " ".join(summary) if summary else article.text[:SUMMARY_CHARS]


def atom_or_rss(source: FeedSource, base: str, fmt: str) -> bytes:
    feed = FeedGenerator()
    feed.id(base + source.page_path)
    feed.title(xml_safe(f"{source.title} · {SITE_NAME}"))
    feed.link(href=base + source.page_path, rel="alternate")
    feed.link(href=f"{base}{source.feed_path}.{fmt}", rel="self")
    feed.description(xml_safe(f"{source.title}: news from many outlets, grouped into stories."))
    feed.language("en")
    times = [article.published_at for article in source.articles] + [d.created_at for d in source.developments]
    if times:
        feed.updated(max(times))
    # feedgen prepends entries: add oldest first so the newest comes first in the document.
    for article in reversed(source.articles):
        entry = feed.add_entry()
        page = base + article_path(article)
        entry.id(page)
        entry.guid(page, permalink=True)
        entry.title(xml_safe(article.title))
        entry.link(href=page, rel="alternate")
        entry.published(article.published_at)
        entry.updated(article.published_at)
        entry.author(name=xml_safe(article.outlet.name))
        entry.summary(xml_safe(lead(article)))
        if article.section:
            entry.category(term=xml_safe(article.section))
    for development in reversed(source.developments):
        entry = feed.add_entry()
        entry.id(development_id(base, development))
        entry.guid(development_id(base, development), permalink=False)
        entry.title(xml_safe(development.headline))
        entry.link(href=development_url(base, development), rel="alternate")
        entry.published(development.created_at)
        entry.updated(development.created_at)
        entry.author(name=SITE_NAME)
        entry.summary(xml_safe(development_summary(development) or development.headline))
        entry.category(term="development")
    return feed.atom_str(pretty=True) if fmt == "atom" else feed.rss_str(pretty=True)


def json_feed(source: FeedSource, base: str) -> dict:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": f"{source.title} · {SITE_NAME}",
        "home_page_url": base + source.page_path,
        "feed_url": f"{base}{source.feed_path}.json",
        "language": "en",
        "items": [
            {
                "id": base + article_path(article),
                "url": base + article_path(article),
                "external_url": safe_http_url(article.url),
                "title": article.title,
                "summary": lead(article),
                "content_text": lead(article),
                "date_published": article.published_at.isoformat(),
                "authors": [{"name": article.outlet.name}],
                "image": safe_http_url(article.image_url),
                "tags": [article.section] if article.section else [],
            }
            for article in source.articles
        ]
        + [
            {
                "id": development_id(base, development),
                "url": development_url(base, development),
                "title": development.headline,
                "content_text": development_summary(development) or development.headline,
                "date_published": development.created_at.isoformat(),
                "tags": ["development"],
            }
            for development in source.developments
        ],
    }


def feed_response(request: Request, source: FeedSource, fmt: str) -> Response:
    base = str(request.base_url).rstrip("/")
    if fmt == "json":
        return JSONResponse(json_feed(source, base), media_type=MEDIA_TYPES["json"])
    return Response(atom_or_rss(source, base, fmt), media_type=MEDIA_TYPES[fmt])


def split_format(name: str) -> tuple[str, str]:
    key, _, fmt = name.rpartition(".")
    if not key or fmt not in MEDIA_TYPES:
        raise HTTPException(status_code=404, detail=N_("Feeds end in .atom, .rss or .json."))
    return key, fmt


@router.get("/feeds/home.{fmt}", tags=["feeds"])
def home_feed(request: Request, fmt: str, db: Db) -> Response:
    if fmt not in MEDIA_TYPES:
        raise HTTPException(status_code=404, detail=N_("Feeds end in .atom, .rss or .json."))
    articles = queries.latest_articles(db, limit=FEED_SIZE)
    return feed_response(request, FeedSource("Latest news", "/", "/feeds/home", articles), fmt)


@router.get("/feeds/hashtag/{name}", tags=["feeds"])
def hashtag_feed(request: Request, name: str, db: Db) -> Response:
    slug, fmt = split_format(name)
    entity = queries.get_entity(db, slug)
    if entity is None:
        raise HTTPException(status_code=404, detail=N_("No article carries that hashtag yet."))
    articles = queries.entity_articles(db, entity.id, FEED_SIZE)
    source = FeedSource(f"Latest news with #{entity.name}", f"/en/hashtag/{slug}", f"/feeds/hashtag/{slug}", articles)
    return feed_response(request, source, fmt)


@router.get("/feeds/story/{name}", tags=["feeds"])
def story_feed(request: Request, name: str, db: Db) -> Response:
    key, fmt = split_format(name)
    story_id = parse_row_id(key)
    # a merged story's subscribers keep getting its coverage, now under the surviving story
    story = queries.get_surviving_story(db, story_id) if story_id is not None else None
    if story is None:
        raise HTTPException(status_code=404, detail=N_("We have no story with that id."))
    articles = queries.story_latest_coverage(db, story.id, FEED_SIZE)
    queries.load_bodies(db, [article.id for article in articles])
    return feed_response(
        request, FeedSource(story.title, f"/en/story/{story.id}", f"/feeds/story/{story.id}", articles), fmt
    )


@router.get("/feeds/section/{name}", tags=["feeds"])
def section_feed(request: Request, name: str, db: Db) -> Response:
    section, fmt = split_format(name)
    articles = queries.latest_articles(db, limit=FEED_SIZE, section=section)
    if not articles:
        raise HTTPException(status_code=404, detail=N_("There is no such section, or it has no articles yet."))
    source = FeedSource(section, f"/en/section/{section}", f"/feeds/section/{section}", articles)
    return feed_response(request, source, fmt)


@router.get("/sitemap.xml", tags=["meta"])
def sitemap(request: Request, db: Db) -> Response:
    base = str(request.base_url).rstrip("/")
    urlset = ET.Element("urlset", xmlns=SITEMAP_NS)
    for path, modified in [("/", None), ("/about", None), ("/feeds", None), *_article_entries(db)]:
        url = ET.SubElement(urlset, "url")
        ET.SubElement(url, "loc").text = base + path
        if modified:
            ET.SubElement(url, "lastmod").text = modified
    for story in queries.latest_stories(db, limit=1000):
        url = ET.SubElement(urlset, "url")
        ET.SubElement(url, "loc").text = f"{base}/en/story/{story.id}"
        ET.SubElement(url, "lastmod").text = story.updated_at.date().isoformat()
    body = ET.tostring(urlset, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/xml")


def _article_entries(db: Session) -> list[tuple[str, str]]:
    return [
        (f"/{language_code(language)}/article/{public_id}", published.date().isoformat())
        for public_id, language, published in queries.sitemap_articles(db)
    ]


@router.get("/robots.txt", response_class=PlainTextResponse, tags=["meta"])
def robots(request: Request) -> str:
    base = str(request.base_url).rstrip("/")
    lines = [
        "User-agent: *",
        "Disallow: /login",
        "Disallow: /register",
        "Disallow: /moderation",
        "Disallow: /comments/",
        "Disallow: /search",
        f"Sitemap: {base}/sitemap.xml",
    ]
    return "\n".join(lines) + "\n"
