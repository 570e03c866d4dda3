"""Readers' follows, mutes and read state: one short function a query. Callers own the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Row, bindparam, case, delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storyline.readers.follows import Muted
from storyline.store import queries
from storyline.store.models import (
    Article,
    ArticleEntity,
    ArticleRead,
    Entity,
    Follow,
    Mute,
    Outlet,
    ReadMark,
    SavedArticle,
    Story,
    StoryVisit,
    utcnow,
)

# How many matches of a saved search the For you page and unread counts consider.
SEARCH_MATCHES = 200


def _insert(session: Session, model):
    """INSERT with ON CONFLICT, in the dialect at hand (both SQLite and PostgreSQL have it)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


# Follows ---------------------------------------------------------------------------------------------


def find_follow(session: Session, user_id: int, kind: str, target: str) -> Follow | None:
    query = select(Follow).where(Follow.user_id == user_id, Follow.kind == kind, Follow.target == target)
    return session.scalar(query)


def add_follow(session: Session, user_id: int, kind: str, target: str, feed_token: str) -> None:
    """Follows once: following again changes nothing (not even the private feed's token)."""
    values = {"user_id": user_id, "kind": kind, "target": target, "feed_token": feed_token, "created_at": utcnow()}
    session.execute(_insert(session, Follow).values(values).on_conflict_do_nothing())


def get_follow(session: Session, follow_id: int) -> Follow | None:
    return session.get(Follow, follow_id)


def user_follows(session: Session, user_id: int) -> list[Follow]:
    return list(session.scalars(select(Follow).where(Follow.user_id == user_id).order_by(Follow.kind, Follow.target)))


def delete_follow(session: Session, user_id: int, follow_id: int) -> None:
    session.execute(delete(Follow).where(Follow.id == follow_id, Follow.user_id == user_id))


def set_feed_token(session: Session, user_id: int, follow_id: int, token: str) -> None:
    session.execute(update(Follow).where(Follow.id == follow_id, Follow.user_id == user_id).values(feed_token=token))


def entity_names(session: Session, slugs: Iterable[str]) -> dict[str, str]:
    query = select(Entity.slug, Entity.name).where(Entity.slug.in_(list(slugs)))
    return {slug: name for slug, name in session.execute(query)}


def outlet_names(session: Session, slugs: Iterable[str]) -> dict[str, str]:
    query = select(Outlet.slug, Outlet.name).where(Outlet.slug.in_(list(slugs)))
    return {slug: name for slug, name in session.execute(query)}


def story_titles(session: Session, story_ids: Iterable[int]) -> dict[int, str]:
    query = select(Story.id, Story.title).where(Story.id.in_(list(story_ids)))
    return {story_id: title for story_id, title in session.execute(query)}


# Mutes -----------------------------------------------------------------------------------------------


def find_mute(session: Session, user_id: int, kind: str, target: str) -> Mute | None:
    return session.scalar(select(Mute).where(Mute.user_id == user_id, Mute.kind == kind, Mute.target == target))


def add_mute(session: Session, user_id: int, kind: str, target: str) -> None:
    values = {"user_id": user_id, "kind": kind, "target": target, "created_at": utcnow()}
    session.execute(_insert(session, Mute).values(values).on_conflict_do_nothing())


def user_mutes(session: Session, user_id: int) -> list[Mute]:
    return list(session.scalars(select(Mute).where(Mute.user_id == user_id).order_by(Mute.kind, Mute.target)))


def delete_mute(session: Session, user_id: int, mute_id: int) -> None:
    session.execute(delete(Mute).where(Mute.id == mute_id, Mute.user_id == user_id))


def muted(session: Session, user_id: int) -> Muted:
    """What the reader mutes, hashtags and outlets resolved to ids (one query)."""
    entity = select(Entity.id).where(Entity.slug == Mute.target).scalar_subquery()
    outlet = select(Outlet.id).where(Outlet.slug == Mute.target).scalar_subquery()
    query = select(Mute.kind, Mute.target, entity, outlet).where(Mute.user_id == user_id)
    outlets, entities, keywords = set(), set(), []
    for kind, target, entity_id, outlet_id in session.execute(query):
        if kind == "keyword":
            keywords.append(target)
        elif kind == "hashtag" and entity_id is not None:
            entities.add(entity_id)
        elif kind == "outlet" and outlet_id is not None:
            outlets.add(outlet_id)
    return Muted(frozenset(outlets), frozenset(entities), tuple(keywords))


# What a follow holds ---------------------------------------------------------------------------------


def follow_clause(session: Session, follow: Follow, since: datetime | None = None) -> ColumnElement[bool]:
    """The articles a follow holds, as a condition on ``Article``; a saved search asks the search index first
    for its ``SEARCH_MATCHES`` best matches (since ``since``)."""
    if follow.kind == "hashtag":
        entity = select(Entity.id).where(Entity.slug == follow.target).scalar_subquery()
        return Article.id.in_(select(ArticleEntity.article_id).where(ArticleEntity.entity_id == entity))
    if follow.kind == "outlet":
        return Article.outlet_id == select(Outlet.id).where(Outlet.slug == follow.target).scalar_subquery()
    if follow.kind == "section":
        return Article.section == follow.target
    if follow.kind == "story":  # a merged story's followers follow the story it became
        story = int(follow.target)
        survivor = select(func.coalesce(Story.merged_into, Story.id)).where(Story.id == story).scalar_subquery()
        return Article.story_id.in_([story, survivor])
    return Article.id.in_(search_matches(session, follow.target, since))


def follow_articles(
    session: Session, follow: Follow, limit: int, offset: int, muted: Muted | None = None
) -> list[Article]:
    """The follow's articles, newest first, without what the reader mutes."""
    query = queries.listing(limit, offset, muted).where(follow_clause(session, follow))
    return list(session.scalars(query))


def _unread(user_id: int) -> ColumnElement[bool]:
    return ~exists().where(ArticleRead.user_id == user_id, ArticleRead.article_id == Article.id)


def unread_count(session: Session, user_id: int, follow: Follow, up_to: datetime, muted: Muted | None, cap: int) -> int:
    """Unread articles of a follow published after ``up_to``, counted up to ``cap + 1`` (beyond, "99+")."""
    matching = (
        select(Article.id)
        .where(
            follow_clause(session, follow, since=up_to),
            Article.published_at > up_to,
            Article.duplicate_of_id.is_(None),
            _unread(user_id),
            *queries.mute_clauses(muted),
        )
        .limit(cap + 1)
        .subquery()
    )
    return session.scalar(select(func.count()).select_from(matching)) or 0


def recent_unread(
    session: Session, user_id: int, marks: Sequence[datetime], muted: Muted | None, limit: int
) -> list[Row[tuple[int, int, int, str | None, int]]]:
    """(id, story, outlet, section, newer than) of the newest ``limit`` unread, unmuted original articles in a
    story published after the first of ``marks`` (ascending), newest first (down the published_at index, so the
    database stops early); "newer than" counts the marks the article was published after, so no date needs to
    be read back."""
    newer_than = case(
        *((Article.published_at > mark, number) for number, mark in reversed(list(enumerate(marks, 1)))), else_=0
    )
    query = (
        select(Article.id, Article.story_id, Article.outlet_id, Article.section, newer_than)
        .where(
            Article.published_at > marks[0],
            Article.duplicate_of_id.is_(None),
            Article.story_id.is_not(None),
            _unread(user_id),
            *queries.mute_clauses(muted),
        )
        .order_by(Article.published_at.desc())
        .limit(limit)
    )
    return list(session.execute(query))


def hashtags_of(session: Session, slugs: Sequence[str], from_id: int) -> list[tuple[int, str]]:
    """(article id, hashtag slug) for the hashtags' articles from ``from_id`` on (a range of one index)."""
    if not slugs:
        return []
    query = (
        select(ArticleEntity.article_id, Entity.slug)
        .join(Entity, Entity.id == ArticleEntity.entity_id)
        .where(Entity.slug.in_(list(slugs)), ArticleEntity.article_id >= from_id)
    )
    return [(article_id, slug) for article_id, slug in session.execute(query)]


def outlet_ids(session: Session, slugs: Sequence[str]) -> dict[str, int]:
    if not slugs:
        return {}
    return {
        slug: outlet_id
        for slug, outlet_id in session.execute(select(Outlet.slug, Outlet.id).where(Outlet.slug.in_(list(slugs))))
    }


def surviving_stories(session: Session, story_ids: Sequence[int]) -> dict[int, int]:
    """Each story id -> the story its articles are in now (itself, or the story it was merged into)."""
    if not story_ids:
        return {}
    query = select(Story.id, func.coalesce(Story.merged_into, Story.id)).where(Story.id.in_(list(story_ids)))
    return {story_id: survivor for story_id, survivor in session.execute(query)}


def search_matches(session: Session, words: str, since: datetime | None) -> list[int]:
    return [article.id for article in queries.search_articles(session, words, SEARCH_MATCHES, since=since)]


# Built once, the ids bound as one expanding parameter: a page asks about a thousand stories at once, and building
# a statement with a thousand literals cost more than running it.
_LIVE_STORIES = select(Story.id, Story.outlet_count, Story.updated_at).where(
    Story.id.in_(bindparam("ids", expanding=True)), Story.merged_into.is_(None)
)


def live_stories(session: Session, story_ids: Iterable[int]) -> dict[int, tuple[int, datetime]]:
    """Story id -> (outlet count, last update) of the given stories that were not merged away."""
    rows = session.execute(_LIVE_STORIES, {"ids": list(story_ids)})
    return {story_id: (outlets, updated) for story_id, outlets, updated in rows}


def stories_by_ids(session: Session, story_ids: Sequence[int]) -> list[Story]:
    if not story_ids:
        return []
    return list(session.scalars(select(Story).where(Story.id.in_(list(story_ids)))))


# Read state ------------------------------------------------------------------------------------------


def mark_read(session: Session, user_id: int, article_ids: Sequence[int]) -> None:
    if article_ids:
        rows = [{"user_id": user_id, "article_id": article_id, "read_at": utcnow()} for article_id in article_ids]
        session.execute(_insert(session, ArticleRead).values(rows).on_conflict_do_nothing())


def read_among(session: Session, user_id: int, article_ids: Sequence[int]) -> set[int]:
    if not article_ids:
        return set()
    query = select(ArticleRead.article_id).where(
        ArticleRead.user_id == user_id, ArticleRead.article_id.in_(list(article_ids))
    )
    return set(session.scalars(query))


def read_marks(session: Session, user_id: int, scopes: Sequence[str]) -> dict[str, datetime]:
    query = select(ReadMark.scope, ReadMark.read_up_to).where(
        ReadMark.user_id == user_id, ReadMark.scope.in_(list(scopes))
    )
    return {scope: when for scope, when in session.execute(query)}


def raise_read_mark(session: Session, user_id: int, scope: str, when: datetime) -> None:
    """Everything in ``scope`` published up to ``when`` is read; a mark never moves back."""
    statement = _insert(session, ReadMark).values(user_id=user_id, scope=scope, read_up_to=when)
    larger = func.greatest if session.get_bind().dialect.name == "postgresql" else func.max
    later = larger(ReadMark.read_up_to, statement.excluded.read_up_to)
    session.execute(statement.on_conflict_do_update(index_elements=["user_id", "scope"], set_={"read_up_to": later}))


# Saved for later -------------------------------------------------------------------------------------


def save_article(session: Session, user_id: int, article_id: int) -> None:
    values = {"user_id": user_id, "article_id": article_id, "saved_at": utcnow()}
    session.execute(_insert(session, SavedArticle).values(values).on_conflict_do_nothing())


def unsave_article(session: Session, user_id: int, article_id: int) -> None:
    session.execute(delete(SavedArticle).where(SavedArticle.user_id == user_id, SavedArticle.article_id == article_id))


def is_saved(session: Session, user_id: int, article_id: int) -> bool:
    query = select(SavedArticle.article_id).where(
        SavedArticle.user_id == user_id, SavedArticle.article_id == article_id
    )
    return session.scalar(query) is not None


def saved_articles(session: Session, user_id: int, limit: int, offset: int) -> list[Article]:
    query = (
        select(Article)
        .join(SavedArticle, SavedArticle.article_id == Article.id)
        .where(SavedArticle.user_id == user_id)
        .order_by(SavedArticle.saved_at.desc(), Article.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(query))


# Opened stories --------------------------------------------------------------------------------------


def record_story_visit(session: Session, user_id: int, story: Story) -> None:
    """The story as the reader saw it now: what is new since is measured from here."""
    counts = {"opened_at": utcnow(), "article_count": story.article_count, "outlet_count": story.outlet_count}
    statement = _insert(session, StoryVisit).values(user_id=user_id, story_id=story.id, **counts)
    session.execute(statement.on_conflict_do_update(index_elements=["user_id", "story_id"], set_=counts))


def story_visits(session: Session, user_id: int, story_ids: Sequence[int]) -> dict[int, StoryVisit]:
    if not story_ids:
        return {}
    query = select(StoryVisit).where(StoryVisit.user_id == user_id, StoryVisit.story_id.in_(list(story_ids)))
    return {visit.story_id: visit for visit in session.scalars(query)}
