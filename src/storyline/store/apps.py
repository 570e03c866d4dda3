"""Reader apps (the Google Reader and Fever APIs): API passwords, and a reader's articles and stories as
streams, paged by key (published time, id) so a page costs the same at any depth. One short function a query;
callers own the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Row, and_, delete, exists, false, func, or_, select, update
from sqlalchemy.orm import Session, load_only

from storyline.readers.streams import Cursor, Reach
from storyline.store.models import (
    ApiPassword,
    Article,
    ArticleEntity,
    ArticleRead,
    Entity,
    Feed,
    Outlet,
    ReadMark,
    SavedArticle,
    Story,
    utcnow,
)

# API passwords ---------------------------------------------------------------------------------------


def add_api_password(session: Session, user_id: int, name: str, password_hash: str, fever_key: str) -> ApiPassword:
    row = ApiPassword(user_id=user_id, name=name, password_hash=password_hash, fever_key=fever_key)
    session.add(row)
    session.flush()
    return row


def api_passwords(session: Session, user_id: int) -> list[ApiPassword]:
    query = select(ApiPassword).where(ApiPassword.user_id == user_id).order_by(ApiPassword.id)
    return list(session.scalars(query))


def get_api_password(session: Session, password_id: int) -> ApiPassword | None:
    return session.get(ApiPassword, password_id)


def api_password_by_fever_key(session: Session, fever_key: str) -> ApiPassword | None:
    return session.scalar(select(ApiPassword).where(ApiPassword.fever_key == fever_key))


def delete_api_password(session: Session, user_id: int, password_id: int) -> None:
    session.execute(delete(ApiPassword).where(ApiPassword.id == password_id, ApiPassword.user_id == user_id))


def api_password_used(session: Session, password_id: int) -> None:
    session.execute(update(ApiPassword).where(ApiPassword.id == password_id).values(last_used_at=utcnow()))


# What an item shows of an article: not its sentences, analyses or embedding, which cost more to load than the
# rest of a page.
ITEM_COLUMNS = load_only(
    Article.id,
    Article.public_id,
    Article.url,
    Article.title,
    Article.text,
    Article.author,
    Article.language,
    Article.published_at,
    Article.outlet_id,
    Article.story_id,
    Article.section,
)


def _items(read: ColumnElement[bool], starred: ColumnElement[bool]):
    """(article, read, starred, its story's title) of original articles."""
    return (
        select(Article, read, starred, Story.title)
        .outerjoin(Story, Story.id == Article.story_id)
        .where(Article.duplicate_of_id.is_(None))
        .options(ITEM_COLUMNS)
    )


# What the reader's follows reach ---------------------------------------------------------------------


def entity_ids(session: Session, slugs: Iterable[str]) -> dict[str, int]:
    query = select(Entity.slug, Entity.id).where(Entity.slug.in_(list(slugs)))
    return {slug: entity_id for slug, entity_id in session.execute(query)}


def all_read_marks(session: Session, user_id: int) -> dict[str, datetime]:
    query = select(ReadMark.scope, ReadMark.read_up_to).where(ReadMark.user_id == user_id)
    return {scope: when for scope, when in session.execute(query)}


def reach_clause(reach: Reach) -> ColumnElement[bool]:
    """Articles the reach holds. A hashtag is checked by the article's own (article, hashtag) key, so a page read
    down the published index looks at only the rows it shows, however many articles a hashtag has."""
    terms: list[ColumnElement[bool]] = []
    if reach.outlet_ids:
        terms.append(Article.outlet_id.in_(sorted(reach.outlet_ids)))
    if reach.sections:
        terms.append(Article.section.in_(sorted(reach.sections)))
    if reach.story_ids:
        terms.append(Article.story_id.in_(sorted(reach.story_ids)))
    if reach.article_ids:
        terms.append(Article.id.in_(sorted(reach.article_ids)))
    if reach.entity_ids:
        terms.append(
            exists().where(
                ArticleEntity.article_id == Article.id, ArticleEntity.entity_id.in_(sorted(reach.entity_ids))
            )
        )
    return or_(*terms) if terms else false()


def read_clause(
    user_id: int, floor: datetime, marks: Sequence[tuple[ColumnElement[bool], datetime]]
) -> ColumnElement[bool]:
    """Read, as the site counts it: a row in ``article_reads``, published before where unread starts (the
    window and the home's mark), or before a mark-all-read of a scope (a follow, a section) that holds it."""
    return or_(
        exists().where(ArticleRead.user_id == user_id, ArticleRead.article_id == Article.id),
        Article.published_at <= floor,
        *(and_(scope, Article.published_at <= mark) for scope, mark in marks if mark > floor),
    )


def starred_clause(user_id: int) -> ColumnElement[bool]:
    return exists().where(SavedArticle.user_id == user_id, SavedArticle.article_id == Article.id)


def saved_ids_clause(user_id: int) -> ColumnElement[bool]:
    """Saved articles, found from the reader's saved rows (not by checking every article)."""
    return Article.id.in_(select(SavedArticle.article_id).where(SavedArticle.user_id == user_id))


def _after(column, when: datetime, item: int, oldest_first: bool) -> ColumnElement[bool]:
    """Past the cursor in the page's order: (published, id) below it newest first, above it oldest first."""
    if oldest_first:
        return and_(column >= when, or_(column > when, Article.id > item))
    return and_(column <= when, or_(column < when, Article.id < item))


def article_page(
    session: Session,
    where: Sequence[ColumnElement[bool]],
    read: ColumnElement[bool],
    starred: ColumnElement[bool],
    after: Cursor | None,
    oldest_first: bool,
    limit: int,
) -> list[Row[tuple[Article, bool, bool, str | None]]]:
    """(article, read, starred, its story's title) of original articles meeting ``where``, newest first (or
    oldest), ``limit`` of them, after ``after``: down the published index, stopping at the page's end."""
    order = (
        (Article.published_at.asc(), Article.id.asc())
        if oldest_first
        else (
            Article.published_at.desc(),
            Article.id.desc(),
        )
    )
    query = _items(read, starred).where(*where).order_by(*order).limit(limit)
    if after is not None:
        query = query.where(_after(Article.published_at, after.when, after.item, oldest_first))
    return list(session.execute(query))


def articles_by_ids(
    session: Session, article_ids: Sequence[int], read: ColumnElement[bool], starred: ColumnElement[bool]
) -> list[Row[tuple[Article, bool, bool, str | None]]]:
    if not article_ids:
        return []
    query = _items(read, starred).where(Article.id.in_(list(article_ids)))
    return list(session.execute(query))


def id_page(
    session: Session,
    where: Sequence[ColumnElement[bool]],
    read: ColumnElement[bool],
    starred: ColumnElement[bool],
    above: int | None,
    below: int | None,
    limit: int,
) -> list[Row[tuple[Article, bool, bool, str | None]]]:
    """Fever's paging: by id, ascending after ``above`` (since_id) or descending before ``below`` (max_id)."""
    query = _items(read, starred).where(*where).limit(limit)
    if below is not None:
        return list(session.execute(query.where(Article.id < below).order_by(Article.id.desc())))
    return list(session.execute(query.where(Article.id > (above or 0)).order_by(Article.id.asc())))


def count_articles(session: Session, where: Sequence[ColumnElement[bool]]) -> int:
    query = select(func.count()).select_from(Article).where(Article.duplicate_of_id.is_(None), *where)
    return session.scalar(query) or 0


def unread_rows(
    session: Session, where: Sequence[ColumnElement[bool]], read: ColumnElement[bool]
) -> list[Row[tuple[int, int, str | None, int | None, datetime]]]:
    """(id, outlet, section, story, published) of every unread original article meeting ``where`` (the caller
    bounds it by where unread starts)."""
    query = select(Article.id, Article.outlet_id, Article.section, Article.story_id, Article.published_at).where(
        Article.duplicate_of_id.is_(None), ~read, *where
    )
    return list(session.execute(query))


def article_hashtags(session: Session, entity_ids: Iterable[int], from_id: int, to_id: int) -> list[tuple[int, int]]:
    """(article, hashtag id) of the given hashtags' articles with ids from ``from_id`` to ``to_id`` (a range of
    one index a hashtag)."""
    wanted = sorted(entity_ids)
    if not wanted:
        return []
    query = select(ArticleEntity.article_id, ArticleEntity.entity_id).where(
        ArticleEntity.entity_id.in_(wanted), ArticleEntity.article_id.between(from_id, to_id)
    )
    return [(article_id, entity_id) for article_id, entity_id in session.execute(query)]


def mark_unread(session: Session, user_id: int, article_ids: Sequence[int]) -> None:
    if article_ids:
        session.execute(
            delete(ArticleRead).where(ArticleRead.user_id == user_id, ArticleRead.article_id.in_(list(article_ids)))
        )


def unsave_articles(session: Session, user_id: int, article_ids: Sequence[int]) -> None:
    if article_ids:
        session.execute(
            delete(SavedArticle).where(SavedArticle.user_id == user_id, SavedArticle.article_id.in_(list(article_ids)))
        )


def existing_articles(session: Session, article_ids: Sequence[int]) -> list[int]:
    if not article_ids:
        return []
    return list(session.scalars(select(Article.id).where(Article.id.in_(list(article_ids)))))


def saved_ids(session: Session, user_id: int) -> list[int]:
    query = select(SavedArticle.article_id).where(SavedArticle.user_id == user_id).order_by(SavedArticle.article_id)
    return list(session.scalars(query))


def outlet_of_feed_url(session: Session, urls: Sequence[str]) -> str | None:
    """The slug of the outlet a polled feed (by any of its address forms) belongs to."""
    query = select(Outlet.slug).join(Feed, Feed.outlet_id == Outlet.id).where(Feed.url.in_(list(urls))).limit(1)
    return session.scalar(query)


# Stories as items ------------------------------------------------------------------------------------


def story_read_clause(read: ColumnElement[bool]) -> ColumnElement[bool]:
    """A story item is read when every original article of its story is."""
    unread_member = select(Article.id).where(Article.story_id == Story.id, Article.duplicate_of_id.is_(None), ~read)
    return ~exists(unread_member)


def story_page(
    session: Session,
    reach: ColumnElement[bool],
    where: Sequence[ColumnElement[bool]],
    read: ColumnElement[bool],
    after: Cursor | None,
    oldest_first: bool,
    limit: int,
) -> list[Row[tuple[Story, bool]]]:
    """(story, read) of live stories holding an article the reader's follows reach, newest update first (or
    oldest), down the stories' update index."""
    touched = exists(select(Article.id).where(Article.story_id == Story.id, Article.duplicate_of_id.is_(None), reach))
    order = (Story.updated_at.asc(), Story.id.asc()) if oldest_first else (Story.updated_at.desc(), Story.id.desc())
    query = (
        select(Story, story_read_clause(read))
        .where(Story.merged_into.is_(None), touched, *where)
        .order_by(*order)
        .limit(limit)
    )
    if after is not None:
        past = (
            and_(Story.updated_at >= after.when, or_(Story.updated_at > after.when, Story.id > after.item))
            if oldest_first
            else and_(Story.updated_at <= after.when, or_(Story.updated_at < after.when, Story.id < after.item))
        )
        query = query.where(past)
    return list(session.execute(query))


def stories_by_ids(
    session: Session, story_ids: Sequence[int], read: ColumnElement[bool]
) -> list[Row[tuple[Story, bool]]]:
    if not story_ids:
        return []
    query = select(Story, story_read_clause(read)).where(Story.id.in_(list(story_ids)))
    return list(session.execute(query))


def story_articles(session: Session, story_ids: Sequence[int]) -> list[Article]:
    """The original articles of the stories, each story's in order of publication."""
    if not story_ids:
        return []
    query = (
        select(Article)
        .where(Article.story_id.in_(list(story_ids)), Article.duplicate_of_id.is_(None))
        .order_by(Article.story_id, Article.published_at, Article.id)
        .options(ITEM_COLUMNS)
    )
    return list(session.scalars(query))


def story_article_ids(session: Session, story_ids: Sequence[int]) -> list[int]:
    if not story_ids:
        return []
    query = select(Article.id).where(Article.story_id.in_(list(story_ids)), Article.duplicate_of_id.is_(None))
    return list(session.scalars(query))


def stories_titled(session: Session, title: str) -> list[int]:
    """Live stories whose title, its spaces collapsed, is ``title`` (a story label names its story so)."""
    query = select(Story.id, Story.title).where(
        Story.merged_into.is_(None), Story.title.startswith(title[:20], autoescape=True)
    )
    return [story_id for story_id, text in session.execute(query) if " ".join(text.split()) == title]
