"""Server-rendered pages. Each works without JavaScript; templates escape every feed-provided string."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from storyline import i18n
from storyline.enrich import aliases
from storyline.errors import StorylineError
from storyline.i18n import N_
from storyline.logs import get_logger
from storyline.pipeline import row_to_domain, story_analysis_for_reader
from storyline.store import queries
from storyline.store.models import Article
from storyline.web import reading, views
from storyline.web.deps import Db, RowId, client_ip, enforce, get_runtime, read_page, verify_csrf
from storyline.web.templating import article_path, page_locale
from storyline.web.text import body_html, body_paragraphs, language_code, safe_http_url

log = get_logger("web")
router = APIRouter(default_response_class=HTMLResponse)

TOP_STORIES = N_("Top stories")
PAGE_SIZE = 20
STORY_PAGE_SIZE = 100  # a story of thousands of articles is read a page at a time
ASK_ARTICLES = 40  # a question is answered from the article and its story's newest coverage
MAX_PAGE = 500
MAX_QUESTION = 300
SCORES_FILE = Path(__file__).parents[1] / "data" / "scores.json"
FEED_FORMATS = (
    ("atom", "application/atom+xml", "Atom"),
    ("rss", "application/rss+xml", "RSS"),
    ("json", "application/feed+json", "JSON Feed"),
)

PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE)]


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status_code)


def not_found(what: str) -> HTTPException:
    return HTTPException(status_code=404, detail=what)


def alternate_feeds(base: str, title: str) -> list[dict]:
    """``<link rel="alternate">`` entries for the feeds that mirror a page."""
    return [
        {"href": f"{base}.{ext}", "type": media_type, "title": f"{title} ({label})"}
        for ext, media_type, label in FEED_FORMATS
    ]


def paged(fetch: Callable[[int, int], list], page: int, size: int = PAGE_SIZE) -> tuple[list, bool]:
    """One page of results, and whether another follows."""
    rows = fetch(size + 1, (page - 1) * size)
    return rows[:size], len(rows) > size


def check_language(lang: str) -> None:
    if language_code(lang) != lang:
        raise not_found(N_("No such language."))


@router.get("/", name="home")
async def home_page(request: Request) -> Response:
    """The front page under a language prefix (/en/, /fr/); the bare / sends each browser to its language."""
    if not request.state.locale_in_path:
        language = i18n.negotiate(request.headers.get("accept-language"))
        return RedirectResponse(f"/{language}/", status_code=302, headers={"Vary": "Accept-Language"})
    return await read_page(request, partial(render_home, request))


def render_home(request: Request, db: Session) -> Response:
    if reading.reader(request) is not None:
        return render(request, "for_you.html", **reading.for_you(request, db))
    feeds = alternate_feeds("/feeds/home", i18n.localize(TOP_STORIES, page_locale(request)))
    return render(request, "home.html", feeds=feeds, **views.home(db, page_locale(request)))


@router.get("/{lang}/article/{public_id}", name="article")
async def article_page(request: Request, lang: str, public_id: str) -> Response:
    return await read_page(request, partial(render_article, request, lang, public_id))


def render_article(request: Request, lang: str, public_id: str, db: Session) -> Response:
    row = queries.article_for_page(db, public_id)
    if row is None:
        raise not_found(N_("We have no article with that id. It may have been removed, or the link is mistyped."))
    if not i18n.is_locale(lang) and lang != language_code(row.language):
        return RedirectResponse(article_path(row, i18n.DEFAULT_LOCALE), status_code=301)
    return render(request, "article.html", **article_context(db, row), **reading.opened_article(request, db, row))


def article_context(db: Session, row: Article) -> dict:
    article, analysis = row_to_domain(row)
    story = row.story
    # Only the cached story analysis: computing it belongs to the story page and the background refresher.
    story_payload = story.analysis if story is not None else None
    story_figures = (story_payload or {}).get("figures", [])
    comments = queries.article_comments(db, row.id)
    sentences = article.sentences
    related, also_in = views.related_coverage(db, row)
    return {
        "article": row,
        "image_url": safe_http_url(row.image_url),
        "original_url": safe_http_url(row.url),
        "body_html": body_html(body_paragraphs(row.text, sentences)),
        "summary": [(i, sentences[i]) for i in analysis.summary if 0 <= i < len(sentences)],
        "quotes": analysis.quotes,
        "figures": analysis.figures,
        "hashtags": analysis.hashtags,
        "story": story,
        # A disagreement is shown only with its evidence; analyses cached before it was kept are refreshed later.
        "disagreements": [g for g in story_figures if g.get("disagree") and g.get("evidence")],
        "exclusives": (story_payload or {}).get("exclusives", {}),
        "related": related,
        "also_in": also_in,
        "comments": views.comment_tree(comments),
        "comment_count": sum(1 for c in comments if not (c.deleted or c.hidden)),
        "lang": language_code(row.language),
        "json_ld": news_article_ld(row, analysis.hashtags),
    }


def news_article_ld(row: Article, hashtags) -> dict:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": row.title[:110],
        "datePublished": row.published_at.isoformat(),
        "publisher": {"@type": "Organization", "name": row.outlet.name},
        "inLanguage": row.language,
        "keywords": [tag.name for tag in hashtags],
    }
    if row.author:
        data["author"] = {"@type": "Person", "name": row.author}
    if safe_http_url(row.url):
        data["isBasedOn"] = row.url
        data["mainEntityOfPage"] = row.url
    if safe_http_url(row.image_url):
        data["image"] = [row.image_url]
    if row.section:
        data["articleSection"] = row.section
    return data


@router.get("/{lang}/article/{public_id}/ask", name="ask")
def ask_page(
    request: Request, lang: str, public_id: str, db: Db, q: Annotated[str, Query(max_length=MAX_QUESTION)] = ""
):
    return answer_question(request, db, public_id, q)


@router.post("/{lang}/article/{public_id}/ask", dependencies=[Depends(verify_csrf)])
def ask_post(
    request: Request, lang: str, public_id: str, db: Db, q: Annotated[str, Form(max_length=MAX_QUESTION)] = ""
):
    return answer_question(request, db, public_id, q)


def answer_question(request: Request, db: Session, public_id: str, question: str) -> HTMLResponse:
    from storyline.enrich import ask

    row = queries.get_article(db, public_id)
    if row is None:
        raise not_found(N_("We have no article with that id."))
    question = question.strip()
    answer = None
    if question:
        enforce(request, f"ask-ip:{client_ip(request)}", request.app.state.limits.ask_per_ip)
        rows = [row]
        if row.story_id is not None:  # the story's newest coverage, however big the story
            rows += [r for r in queries.story_latest_coverage(db, row.story_id, ASK_ARTICLES) if r.id != row.id]
            queries.load_bodies(db, [r.id for r in rows])
        articles, analyses = zip(*(row_to_domain(r) for r in rows), strict=True)
        try:
            answer = ask.answer(question, list(articles), get_runtime(request).settings, analyses)
        except StorylineError as exc:
            log.warning("ask failed", article=public_id, error=str(exc))
            raise HTTPException(status_code=503, detail=N_("The answer could not be computed right now.")) from exc
    return render(request, "ask.html", article=row, question=question, answer=answer, lang=language_code(row.language))


@router.get("/{lang}/story/{story_id}", name="story")
def story_page(request: Request, lang: str, story_id: RowId, db: Db, page: PageNumber = 1) -> HTMLResponse:
    check_language(lang)
    story = queries.get_story(db, story_id)
    if story is None:
        raise not_found(N_("We have no story with that id."))
    if story.merged_into is not None:
        return RedirectResponse(f"/{lang}/story/{story.merged_into}", status_code=301)
    payload = story_analysis_for_reader(db, story)
    rows, has_next = paged(partial(queries.story_coverage, db, story_id), page, STORY_PAGE_SIZE)
    coverage = views.story_coverage(db, story_id, rows)
    for item in coverage:
        item.joined = views.join_reason(item.article, story)
    counts = queries.comment_counts(db, [row.id for row in rows])
    articles = [item.article for item in coverage]
    return render(
        request,
        "story.html",
        story=story,
        title=views.headline(story, articles, lang)[1] if articles else story.title,
        coverage=coverage,
        page=page,
        has_next=has_next,
        first_number=(page - 1) * STORY_PAGE_SIZE + 1,
        analysis=payload,
        analysis_pending=queries.story_awaits_enrichment(db, story_id),
        comparison=views.outlet_comparison(
            queries.story_outlet_counts(db, story_id), (payload or {}).get("exclusives", {})
        ),
        hashtags=views.story_hashtags(db, story_id, payload),
        comment_counts=counts,
        feeds=alternate_feeds(f"/feeds/story/{story_id}", story.title),
        lang=lang,
        **reading.opened_story(request, db, story, coverage),
    )


@router.get("/{lang}/hashtag/{slug}", name="hashtag")
async def hashtag_page(request: Request, lang: str, slug: str, page: PageNumber = 1) -> Response:
    return await read_page(request, partial(render_hashtag, request, lang, slug, page))


def render_hashtag(request: Request, lang: str, slug: str, page: int, db: Session) -> Response:
    check_language(lang)
    entity = queries.get_entity(db, slug)
    if entity is None:
        raise not_found(N_("No article carries that hashtag yet."))
    muted = reading.muted_for(request, db)
    articles, has_next = paged(lambda limit, offset: queries.entity_articles(db, entity.id, limit, offset, muted), page)
    locale = page_locale(request)
    name = aliases.localized(entity.name, locale)
    return listing(
        request,
        db,
        i18n.localize(i18n.phrase("Latest news with #%(name)s", name=name), locale),
        articles,
        page,
        has_next,
        alternate_feeds(f"/feeds/hashtag/{slug}", f"#{name}"),
        kind="hashtag",
        target=slug,
    )


# A path parameter: a section name with a "/" in it still reaches its page.
@router.get("/{lang}/section/{name:path}", name="section")
async def section_page(request: Request, lang: str, name: str, page: PageNumber = 1) -> Response:
    return await read_page(request, partial(render_section, request, lang, name, page))


def render_section(request: Request, lang: str, name: str, page: int, db: Session) -> Response:
    check_language(lang)
    muted = reading.muted_for(request, db)
    fetch = lambda limit, offset: queries.latest_articles(db, limit, offset, section=name, muted=muted)  # noqa: E731
    articles, has_next = paged(fetch, page)
    if not articles and page == 1:
        raise not_found(N_("There is no such section, or it has no articles yet."))
    return listing(
        request,
        db,
        i18n.localize(name, page_locale(request)),
        articles,
        page,
        has_next,
        alternate_feeds(f"/feeds/section/{name}", name),
        kind="section",
        target=name,
    )


@router.get("/{lang}/source/{slug}", name="source")
async def source_page(request: Request, lang: str, slug: str, page: PageNumber = 1) -> Response:
    return await read_page(request, partial(render_source, request, lang, slug, page))


def render_source(request: Request, lang: str, slug: str, page: int, db: Session) -> Response:
    check_language(lang)
    outlet = queries.get_outlet_by_slug(db, slug)
    if outlet is None:
        raise not_found(N_("We know no outlet by that name."))
    muted = reading.muted_for(request, db)
    fetch = lambda limit, offset: queries.latest_articles(db, limit, offset, outlet_id=outlet.id, muted=muted)  # noqa: E731
    articles, has_next = paged(fetch, page)
    homepage = safe_http_url(outlet.homepage)
    return listing(request, db, outlet.name, articles, page, has_next, [], "source", slug, homepage)


def listing(request, db, title, articles, page, has_next, feeds, kind, target, homepage=None) -> HTMLResponse:
    """A list of articles; ``kind`` and ``target`` say what it lists, for a reader's Follow and Mute buttons."""
    counts = queries.comment_counts(db, [a.id for a in articles])
    return render(
        request,
        "listing.html",
        title=title,
        articles=articles,
        page=page,
        has_next=has_next,
        feeds=feeds,
        kind=kind,
        homepage=homepage,
        comment_counts=counts,
        **reading.listing_extras(request, db, kind, target, articles),
    )


def parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def day_start(day: date | None) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=timezone.utc) if day else None


def day_end(day: date | None) -> datetime | None:
    """Where an inclusive ``until`` day stops: the next midnight; the last day a ``date`` can hold has none."""
    if day is None or day == date.max:
        return None
    return day_start(day + timedelta(days=1))


@router.get("/search", name="search")
def search_page(
    request: Request,
    db: Db,
    q: Annotated[str, Query(max_length=200)] = "",
    section: str = "",
    source: str = "",
    since: str = "",
    until: str = "",
    page: PageNumber = 1,
) -> HTMLResponse:
    outlet = queries.get_outlet_by_slug(db, source) if source else None
    muted = reading.muted_for(request, db)
    since_day, until_day = parse_day(since), parse_day(until)
    articles, has_next = [], False
    if q.strip():
        articles, has_next = paged(
            lambda limit, offset: queries.search_articles(
                db,
                q,
                limit,
                offset,
                section=section or None,
                outlet_id=outlet.id if outlet else None,
                since=day_start(since_day),
                until=day_end(until_day),
                muted=muted,
            ),
            page,
        )
    return render(
        request,
        "search.html",
        q=q,
        section=section,
        source=source,
        since=since_day,
        until=until_day,
        articles=articles,
        page=page,
        has_next=has_next,
        sections=[name for name, _ in queries.section_counts(db)],
        outlets=[outlet for outlet, _ in queries.list_outlets(db)],
        comment_counts=queries.comment_counts(db, [a.id for a in articles]),
        **reading.search_extras(request, db, q),
    )


@router.get("/feeds", name="feeds")
def feeds_page(request: Request, db: Db) -> HTMLResponse:
    return render(request, "feeds.html", subscriptions=queries.list_feeds(db))


# What the about page calls the measures in ``data/scores.json`` (as it always has in English); a key not
# listed here is shown as written.
SCORE_LABELS = {
    "extraction": N_("Extraction"),
    "clustering": N_("Clustering"),
    "sections": N_("Sections"),
    "summary": N_("Summary"),
    "seed_story": N_("Seed story"),
    "data": N_("data"),
    "precision": N_("precision"),
    "recall": N_("recall"),
    "accuracy": N_("accuracy"),
    "plain_trafilatura_f1": N_("plain trafilatura f1"),
    "bcubed_f1": N_("bcubed f1"),
    "bcubed_precision": N_("bcubed precision"),
    "bcubed_recall": N_("bcubed recall"),
    "rouge2_f1": N_("rouge2 f1"),
    "length_matched_lead_rouge2_f1": N_("length matched lead rouge2 f1"),
    "ratio_to_lead": N_("ratio to lead"),
    "mean_words": N_("mean words"),
    "entities_found": N_("entities found"),
    "quotes_with_right_speaker": N_("quotes with right speaker"),
    "key_figures_found": N_("key figures found"),
}


def load_scores(path: Path = SCORES_FILE) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


@router.get("/about", name="about")
def about_page(request: Request) -> HTMLResponse:
    return render(request, "about.html", scores=load_scores(), score_labels=SCORE_LABELS)
