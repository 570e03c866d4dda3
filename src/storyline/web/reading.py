"""What a signed-in reader's pages add to the shared ones: Follow and Mute buttons, unread marks, muting, read
state when an article or a story is opened, and the For you front page. Anonymous visitors get the shared pages
unchanged (and nothing here runs a query for them), so the page cache keeps serving those."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy.orm import Session

from storyline.readers import rank, state
from storyline.readers.follows import HOME_SCOPE, Muted, follow_scope, section_scope
from storyline.store import queries, transaction
from storyline.store import readers as store
from storyline.store.models import Article, Follow, Mute, Story, StoryVisit, User, utcnow
from storyline.web import views
from storyline.web.templating import page_locale

FOR_YOU_STORIES = 12
# For you reads this many of the newest unread articles of its window, whatever the reader follows.
FOR_YOU_ARTICLES = 2_000
SUGGESTED_HASHTAGS = 8


def reader(request: Request) -> User | None:
    return getattr(request.state, "user", None)


def muted_for(request: Request, db: Session) -> Muted | None:
    """The signed-in reader's mutes (looked up once a request); None for anonymous visitors."""
    user = reader(request)
    if user is None:
        return None
    if getattr(request.state, "muted", None) is None:
        request.state.muted = store.muted(db, user.id)
    return request.state.muted


@dataclass(frozen=True)
class Actions:
    """The Follow (and Mute, and Mark all read) forms a page offers for what it shows."""

    kind: str
    target: str
    back: str  # where the forms return to
    follow: Follow | None = None
    mute_kind: str | None = None  # "hashtag" or "outlet" where muting is offered
    mute: Mute | None = None
    scope: str | None = None  # where "mark all read" applies, when offered


def newest(db: Session) -> datetime:
    """The reference for every read-state window, so a quiet instance (or an archive) still has unread news."""
    return queries.newest_story_update(db) or utcnow()


def read_up_to(db: Session, user: User, scopes: Sequence[str]) -> datetime:
    """Where unread starts for pages that belong to ``scopes``; the home's mark applies everywhere."""
    marks = store.read_marks(db, user.id, [HOME_SCOPE, *scopes])
    return state.read_up_to(newest(db) - state.UNREAD_WINDOW, marks.values())


def follows_read_up_to(db: Session, user: User, follows: Sequence[Follow], window: timedelta) -> dict[int, datetime]:
    """Follow id -> where unread starts in it: the latest of the window's start, the home's mark and its own."""
    marks = store.read_marks(db, user.id, [HOME_SCOPE, *(follow_scope(f.id) for f in follows)])
    floor = newest(db) - window
    return {f.id: state.read_up_to(floor, [marks.get(HOME_SCOPE), marks.get(follow_scope(f.id))]) for f in follows}


def unread_among(db: Session, user: User, articles: Sequence[Article], up_to: datetime) -> set[int]:
    read = store.read_among(db, user.id, [article.id for article in articles])
    return state.unread_ids({article.id: article.published_at for article in articles}, read, up_to)


# A listing page's kind -> what following it follows, and what muting it mutes (where that is offered).
FOLLOWS_OF_PAGE = {"source": "outlet"}
MUTES_OF_PAGE = {"hashtag": "hashtag", "source": "outlet"}


def listing_extras(request: Request, db: Session, page_kind: str, target: str, articles: Sequence[Article]) -> dict:
    """A listing's buttons and which of its articles the reader has not read."""
    kind, mute_kind = FOLLOWS_OF_PAGE.get(page_kind, page_kind), MUTES_OF_PAGE.get(page_kind)
    back = request.url.path
    user = reader(request)
    if user is None:
        return {"actions": Actions(kind, target, back, mute_kind=mute_kind), "unread": set()}
    follow = store.find_follow(db, user.id, kind, target)
    mute = store.find_mute(db, user.id, mute_kind, target) if mute_kind else None
    scope = follow_scope(follow.id) if follow else section_scope(target) if kind == "section" else None
    actions = Actions(kind, target, back, follow, mute_kind, mute, scope)
    up_to = read_up_to(db, user, [scope] if scope else [])
    return {"actions": actions, "unread": unread_among(db, user, articles, up_to)}


def search_extras(request: Request, db: Session, q: str) -> dict:
    """A search's Follow button (following a search saves it)."""
    words = " ".join(q.split())
    user = reader(request)
    follow = store.find_follow(db, user.id, "search", words) if user is not None and words else None
    return {"actions": Actions("search", words, f"{request.url.path}?{request.url.query}", follow)}


def recording(request: Request) -> AbstractContextManager[Session]:
    """A short writer's transaction of its own for what a page view records (an article read, a story visit): the
    page's session began deferred and has read much; writing in it would fail on SQLite whenever another writer
    (the poller) committed since, and beginning it as a writer would hold the lock while the page is built."""
    return transaction(request.app.state.runtime.sessions)


def opened_article(request: Request, db: Session, row: Article) -> dict:
    """Opening an article reads it, and reads its story as it now stands."""
    user = reader(request)
    if user is None:
        return {"saved": False}
    with recording(request) as session:
        store.mark_read(session, user.id, [row.id])
        if row.story is not None:
            store.record_story_visit(session, user.id, row.story)
    return {"saved": store.is_saved(db, user.id, row.id)}


def news_since(visit: StoryVisit, story: Story) -> state.NewSince:
    return state.new_since(
        visit.opened_at, visit.article_count, visit.outlet_count, story.article_count, story.outlet_count
    )


def opened_story(request: Request, db: Session, story: Story, coverage: Sequence[views.Coverage]) -> dict:
    """What the story gained since the reader last opened it (counts, and which articles arrived since); then
    the visit is recorded as of now."""
    actions = Actions("story", str(story.id), request.url.path)
    user = reader(request)
    if user is None:
        return {"actions": actions, "news": None, "new_ids": set()}
    actions = Actions("story", str(story.id), request.url.path, store.find_follow(db, user.id, "story", str(story.id)))
    visit = store.story_visits(db, user.id, [story.id]).get(story.id)
    news, new_ids = None, set()
    if visit is not None:
        news = news_since(visit, story)
        new_ids = {item.article.id for item in coverage if item.article.created_at > visit.opened_at}
    with recording(request) as session:
        store.record_story_visit(session, user.id, story)
    return {"actions": actions, "news": news, "new_ids": new_ids}


def story_cards(db: Session, user: User, stories: Sequence[Story], muted: Muted | None, locale: str) -> dict:
    """Cards for the stories, built from their unmuted coverage (a story with none left, or a muted word in its
    title, is left out), each with what is new since the reader opened it."""
    stories = [story for story in stories if not (muted and muted.hides_title(story.title))]
    members = queries.stories_lead_articles(db, [story.id for story in stories], muted)
    counts = queries.comment_counts(db, [article.id for article in members])
    cards = views.story_cards(stories, members, counts, locale)
    shown = {card.story.id: card.story for card in cards}
    visits = store.story_visits(db, user.id, list(shown))
    news = {story_id: news_since(visit, shown[story_id]) for story_id, visit in visits.items()}
    return {"cards": cards, "news": news}


def ranked_for(db: Session, user: User, follows: Sequence[Follow], muted: Muted | None) -> list[rank.Ranked]:
    """The reader's stories, best first: the newest unread articles of the window, matched to every follow."""
    up_to = follows_read_up_to(db, user, follows, state.FOR_YOU_WINDOW)
    marks = sorted(set(up_to.values()))
    mark = {f.id: marks.index(up_to[f.id]) for f in follows}
    recent = [rank.Recent._make(row) for row in store.recent_unread(db, user.id, marks, muted, FOR_YOU_ARTICLES)]
    if not recent:
        return []
    targets = {kind: [f.target for f in follows if f.kind == kind] for kind in ("hashtag", "outlet", "story")}
    hashtags: dict[int, set[str]] = defaultdict(set)
    for article_id, slug in store.hashtags_of(db, targets["hashtag"], min(a.article_id for a in recent)):
        hashtags[article_id].add(slug)
    outlets = store.outlet_ids(db, targets["outlet"])
    survivors = store.surviving_stories(db, [int(target) for target in targets["story"]])
    followed = []
    for f in follows:
        if f.kind == "search":
            found = store.search_matches(db, f.target, up_to[f.id])
            followed += [rank.Followed(f.id, "article", article_id, mark[f.id]) for article_id in found]
        elif f.kind == "outlet" and f.target in outlets:
            followed.append(rank.Followed(f.id, "outlet", outlets[f.target], mark[f.id]))
        elif f.kind == "story" and int(f.target) in survivors:
            followed.append(rank.Followed(f.id, "story", survivors[int(f.target)], mark[f.id]))
        elif f.kind in ("hashtag", "section"):
            followed.append(rank.Followed(f.id, f.kind, f.target, mark[f.id]))
    touched = rank.touches(recent, followed, hashtags)
    return rank.rank_stories(touched, store.live_stories(db, touched), FOR_YOU_STORIES)


def for_you(request: Request, db: Session) -> dict:
    """The signed-in reader's front page: stories ranked by the follows their unread coverage touches; a reader
    who follows nothing yet is offered popular hashtags, over the ordinary top stories."""
    user = reader(request)
    assert user is not None
    muted = muted_for(request, db)
    follows = store.user_follows(db, user.id)
    suggestions = []
    if follows:
        ranked = ranked_for(db, user, follows, muted)
        by_id = {story.id: story for story in store.stories_by_ids(db, [r.story_id for r in ranked])}
        stories = [by_id[r.story_id] for r in ranked]
    else:
        stories = views.front_page_stories(db)
        suggestions = [entity for entity, _ in queries.top_entities(db, SUGGESTED_HASHTAGS)]
    return {
        **story_cards(db, user, stories, muted, page_locale(request)),
        "follows": follows,
        "suggestions": suggestions,
        "actions": Actions("home", "", "/", scope=HOME_SCOPE),
    }
