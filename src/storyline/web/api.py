"""The JSON API under ``/api``, typed with pydantic models so ``/openapi.json`` describes every answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from storyline.errors import StorylineError
from storyline.logs import get_logger
from storyline.pipeline import row_to_domain, story_analysis_for_reader
from storyline.store import queries
from storyline.store.models import Article, Comment, Story
from storyline.web import views
from storyline.web.deps import Db, RowId
from storyline.web.templating import article_path
from storyline.web.text import language_code, render_comment, safe_http_url

log = get_logger("web")
router = APIRouter()
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=100_000)]


class Health(BaseModel):
    status: str


class ErrorDetail(BaseModel):
    detail: str


NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorDetail, "description": "No such item"}}


class ArticleItem(BaseModel):
    id: str
    url: str
    title: str
    title_derived: bool = Field(description="the item had no title: this one is the opening of its text")
    excerpt_only: bool = Field(description="only the feed's excerpt: the page could not be fetched yet")
    source: str
    language: str = Field(description="the language it is written in (BCP 47), told by its text")
    published: datetime
    page_url: str
    story_id: int | None
    enriched: bool = Field(
        description="its AI lines (entities, quotes, figures, summary) are there; false while they are computed"
    )


class ArticleList(BaseModel):
    items: list[ArticleItem]


class HashtagRef(BaseModel):
    name: str
    slug: str
    kind: str


class QuoteOut(BaseModel):
    text: str
    speaker: str | None
    sentence: int


class FigureOut(BaseModel):
    value: float
    text: str
    counts: str
    sentence: int
    unit: str | None = None


class ArticleDetail(ArticleItem):
    author: str | None
    image_url: str | None
    section: str | None
    text: str
    sentences: list[str]
    summary: list[int]
    summary_text: str
    hashtags: list[HashtagRef]
    quotes: list[QuoteOut]
    figures: list[FigureOut]
    duplicate_of: str | None
    also_in: list[str]
    related: list[ArticleItem]


class StoryItem(BaseModel):
    id: int
    title: str
    article_count: int
    outlet_count: int
    updated: datetime
    page_url: str


class StoryList(BaseModel):
    items: list[StoryItem]


class JoinedOut(BaseModel):
    shared: list[str] = Field(description="names, then words, the article shares with the story, rarest first")
    similarity: float = Field(description="cosine of the article's embedding to the story's mean when it joined")
    after_first_s: int = Field(
        description="seconds since the story's first report; negative for an article published before it that "
        "arrived later"
    )
    rejoined: bool = Field(description="the story had gone quiet and been retired; this article took it up again")
    merged: bool = Field(
        description="it started another story, merged into this one; shared and similarity are the two stories'"
    )


class StoryArticle(ArticleItem):
    joined: JoinedOut | None = Field(description="why it joined; null for the first report and syndicated copies")


class StoryDetail(StoryItem):
    articles: list[StoryArticle]
    next_offset: int | None = Field(
        default=None, description="``offset`` of the next page of ``articles``; null on the last page"
    )
    hashtags: list[HashtagRef]
    analysis: dict[str, Any] | None
    analysis_pending: bool = Field(
        description="some articles wait for their enrichment, so ``analysis`` (null for a new story) does not "
        "cover them yet"
    )


class HashtagCount(HashtagRef):
    articles: int


class HashtagList(BaseModel):
    items: list[HashtagCount]


class HashtagArticles(HashtagRef):
    items: list[ArticleItem]


class SectionCount(BaseModel):
    name: str
    articles: int


class SectionList(BaseModel):
    items: list[SectionCount]


class SourceItem(BaseModel):
    name: str
    slug: str
    homepage: str | None
    articles: int


class SourceList(BaseModel):
    items: list[SourceItem]


class CommentOut(BaseModel):
    id: int
    parent_id: int | None
    author: str | None
    body: str
    body_html: str
    created: datetime
    edited: datetime | None
    removed: bool


class CommentList(BaseModel):
    items: list[CommentOut]


def article_item(row: Article) -> ArticleItem:
    return ArticleItem(
        id=row.public_id,
        url=row.url,
        title=row.title,
        title_derived=row.title_derived,
        excerpt_only=row.excerpt_only,
        source=row.outlet.name,
        language=language_code(row.language),
        published=row.published_at,
        page_url=article_path(row),
        story_id=row.story_id,
        enriched=row.enriched_at is not None,
    )


def story_article(row: Article, story: Story) -> StoryArticle:
    reason = views.join_reason(row, story)
    joined = (
        JoinedOut(
            shared=reason.shared,
            similarity=reason.similarity,
            after_first_s=int(reason.after_first.total_seconds()),
            rejoined=reason.rejoined,
            merged=reason.merged,
        )
        if reason
        else None
    )
    return StoryArticle(**article_item(row).model_dump(), joined=joined)


def article_list(rows: list[Article]) -> ArticleList:
    return ArticleList(items=[article_item(row) for row in rows])


def story_item(story: Story) -> StoryItem:
    return StoryItem(
        id=story.id,
        title=story.title,
        article_count=story.article_count,
        outlet_count=story.outlet_count,
        updated=story.updated_at,
        page_url=f"/en/story/{story.id}",
    )


def comment_out(comment: Comment) -> CommentOut:
    removed = comment.deleted or comment.hidden
    return CommentOut(
        id=comment.id,
        parent_id=comment.parent_id,
        author=None if removed else comment.user.username,
        body="" if removed else comment.body,
        body_html="" if removed else str(render_comment(comment.body)),
        created=comment.created_at,
        edited=comment.edited_at,
        removed=removed,
    )


def article_or_404(db: Session, public_id: str) -> Article:
    row = queries.get_article(db, public_id)
    if row is None:
        raise HTTPException(status_code=404, detail="no article with that id")
    return row


@router.get("/healthz", response_model=Health, tags=["meta"])
async def healthz() -> Health:
    # On the event loop: a load balancer's probe should not wait for a handler thread.
    return Health(status="ok")


@router.get("/api/articles", response_model=ArticleList, tags=["articles"])
def api_articles(db: Db, url: str | None = None, limit: Limit = 30, offset: Offset = 0) -> ArticleList:
    """With ``url``: the article stored for that URL (as given, or canonicalised); else the latest articles."""
    if url is not None:
        return article_list([row] if (row := _article_for_url(db, url)) else [])
    return article_list(queries.latest_articles(db, limit, offset))


def _article_for_url(db: Session, url: str) -> Article | None:
    from storyline.fetch.urls import canonical_url

    row = queries.get_article_by_url(db, url)
    if row is not None:
        return row
    try:
        return queries.get_article_by_url(db, canonical_url(url))
    except (StorylineError, ValueError):
        return None


@router.get("/api/articles/{public_id}", response_model=ArticleDetail, responses=NOT_FOUND, tags=["articles"])
def api_article(public_id: str, db: Db) -> ArticleDetail:
    row = article_or_404(db, public_id)
    article, analysis = row_to_domain(row)
    duplicate = db.get(Article, row.duplicate_of_id) if row.duplicate_of_id else None
    related, also_in = views.related_coverage(db, row)
    return ArticleDetail(
        **article_item(row).model_dump(),
        author=row.author,
        image_url=safe_http_url(row.image_url),
        section=row.section,
        text=row.text,
        sentences=article.sentences,
        summary=analysis.summary,
        summary_text=" ".join(article.sentences[i] for i in analysis.summary if 0 <= i < len(article.sentences)),
        hashtags=[HashtagRef(name=t.name, slug=t.slug, kind=t.kind) for t in analysis.hashtags],
        quotes=[QuoteOut(text=q.text, speaker=q.speaker, sentence=q.sentence) for q in analysis.quotes],
        figures=[
            FigureOut(value=f.value, text=f.text, counts=f.counts, sentence=f.sentence, unit=f.unit)
            for f in analysis.figures
        ],
        duplicate_of=duplicate.public_id if duplicate else None,
        also_in=also_in,
        related=[article_item(item.article) for item in related],
    )


@router.get("/api/articles/{public_id}/comments", response_model=CommentList, responses=NOT_FOUND, tags=["comments"])
def api_comments(public_id: str, db: Db) -> CommentList:
    row = article_or_404(db, public_id)
    return CommentList(items=[comment_out(c) for c in queries.article_comments(db, row.id)])


@router.get("/api/stories", response_model=StoryList, tags=["stories"])
def api_stories(db: Db, limit: Limit = 20) -> StoryList:
    """Top stories: widest coverage first, then the most recent."""
    cards = views.home(db)["stories"][:limit]
    return StoryList(items=[story_item(card.story) for card in cards])


@router.get("/api/stories/{story_id}", response_model=StoryDetail, responses=NOT_FOUND, tags=["stories"])
def api_story(story_id: RowId, db: Db, limit: Limit = 100, offset: Offset = 0) -> StoryDetail:
    """A story merged into an older one answers with that one (its ``id`` tells the client the new id).
    ``articles`` is one page of the story's articles, syndicated copies included, oldest first: ``limit`` of
    them (at most 100) from ``offset`` on; ``next_offset`` asks for the next page (null on the last), and
    ``article_count`` says how many originals there are in all."""
    story = queries.get_surviving_story(db, story_id)
    if story is None:
        raise HTTPException(status_code=404, detail="no story with that id")
    analysis = story_analysis_for_reader(db, story)
    rows = queries.story_articles_page(db, story.id, limit + 1, offset)
    hashtags = views.story_hashtags(db, story.id, analysis)
    return StoryDetail(
        **story_item(story).model_dump(),
        articles=[story_article(row, story) for row in rows[:limit]],
        next_offset=offset + limit if len(rows) > limit else None,
        hashtags=[HashtagRef(name=t.name, slug=t.slug, kind=t.kind) for t in hashtags],
        analysis=analysis,
        analysis_pending=analysis is None or queries.story_awaits_enrichment(db, story.id),
    )


@router.get("/api/hashtags", response_model=HashtagList, tags=["hashtags"])
def api_hashtags(db: Db, limit: Limit = 50) -> HashtagList:
    return HashtagList(
        items=[
            HashtagCount(name=e.name, slug=e.slug, kind=e.kind, articles=n) for e, n in queries.top_entities(db, limit)
        ]
    )


@router.get("/api/hashtags/{slug}", response_model=HashtagArticles, responses=NOT_FOUND, tags=["hashtags"])
def api_hashtag(slug: str, db: Db, limit: Limit = 30, offset: Offset = 0) -> HashtagArticles:
    entity = queries.get_entity(db, slug)
    if entity is None:
        raise HTTPException(status_code=404, detail="no such hashtag")
    rows = queries.entity_articles(db, entity.id, limit, offset)
    return HashtagArticles(name=entity.name, slug=entity.slug, kind=entity.kind, items=article_list(rows).items)


@router.get("/api/sections", response_model=SectionList, tags=["sections"])
def api_sections(db: Db) -> SectionList:
    return SectionList(items=[SectionCount(name=name, articles=n) for name, n in queries.section_counts(db)])


@router.get("/api/sections/{name}", response_model=ArticleList, tags=["sections"])
def api_section(name: str, db: Db, limit: Limit = 30, offset: Offset = 0) -> ArticleList:
    return article_list(queries.latest_articles(db, limit, offset, section=name))


@router.get("/api/sources", response_model=SourceList, tags=["sources"])
def api_sources(db: Db) -> SourceList:
    return SourceList(
        items=[
            SourceItem(name=o.name, slug=o.slug, homepage=safe_http_url(o.homepage), articles=n)
            for o, n in queries.list_outlets(db)
        ]
    )


@router.get("/api/sources/{slug}", response_model=ArticleList, responses=NOT_FOUND, tags=["sources"])
def api_source(slug: str, db: Db, limit: Limit = 30, offset: Offset = 0) -> ArticleList:
    outlet = queries.get_outlet_by_slug(db, slug)
    if outlet is None:
        raise HTTPException(status_code=404, detail="no such source")
    return article_list(queries.latest_articles(db, limit, offset, outlet_id=outlet.id))


@router.get("/api/search", response_model=ArticleList, tags=["search"])
def api_search(
    request: Request,
    db: Db,
    q: Annotated[str, Query(max_length=200)],
    section: str | None = None,
    source: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> ArticleList:
    outlet = queries.get_outlet_by_slug(db, source) if source else None
    if source and outlet is None:
        return ArticleList(items=[])
    rows = queries.search_articles(
        db, q, limit, offset, section=section, outlet_id=outlet.id if outlet else None, since=since, until=until
    )
    return article_list(rows)
