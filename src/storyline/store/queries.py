"""One short function a query. Callers own the session and the transaction."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, aliased, defer, joinedload, load_only, selectinload

from storyline.store.models import (
    Article,
    ArticleEntity,
    Comment,
    Entity,
    Feed,
    Outlet,
    Story,
    utcnow,
)

if TYPE_CHECKING:
    from storyline.domain import Hashtag
    from storyline.readers.follows import Muted

_SLUG_STRIP = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _SLUG_STRIP.sub("-", ascii_name.lower()).strip("-") or "outlet"


# Outlets ---------------------------------------------------------------------------------------------


def get_or_create_outlet(session: Session, name: str, homepage: str | None = None) -> Outlet:
    outlet = session.scalar(select(Outlet).where(Outlet.name == name))
    if outlet is None:
        outlet = Outlet(name=name, slug=_free_outlet_slug(session, slugify(name)), homepage=homepage)
        session.add(outlet)
        session.flush()
    return outlet


def _free_outlet_slug(session: Session, base: str) -> str:
    slug, n = base, 1
    while session.scalar(select(Outlet.id).where(Outlet.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def get_outlet_by_slug(session: Session, slug: str) -> Outlet | None:
    return session.scalar(select(Outlet).where(Outlet.slug == slug))


def list_outlets(session: Session) -> list[tuple[Outlet, int]]:
    query = (
        select(Outlet, func.count(Article.id))
        .join(Article, Article.outlet_id == Outlet.id, isouter=True)
        .group_by(Outlet.id)
        .order_by(Outlet.name)
    )
    return [(outlet, count) for outlet, count in session.execute(query)]


# Articles --------------------------------------------------------------------------------------------


def existing_urls(session: Session, urls: Sequence[str]) -> set[str]:
    if not urls:
        return set()
    return set(session.scalars(select(Article.url).where(Article.url.in_(list(urls)))))


def get_article(session: Session, public_id: str) -> Article | None:
    query = (
        select(Article)
        .where(Article.public_id == public_id)
        .options(selectinload(Article.hashtags).joinedload(ArticleEntity.entity))
    )
    return session.scalar(query)


# The article page's statements are built once, with bound parameters: composing a statement and computing its
# cache key took longer than SQLite took to run it.
_ARTICLE_FOR_PAGE = (
    select(Article)
    .where(Article.public_id == bindparam("public_id"))
    .options(
        defer(Article.embedding),
        joinedload(Article.story),
        joinedload(Article.hashtags).joinedload(ArticleEntity.entity),
    )
)


def article_for_page(session: Session, public_id: str) -> Article | None:
    """The article with everything its page shows (outlet, story, hashtags) in one round trip; without the
    embedding, which no page shows."""
    return session.scalars(_ARTICLE_FOR_PAGE, {"public_id": public_id}).unique().one_or_none()


def get_article_by_url(session: Session, url: str) -> Article | None:
    return session.scalar(select(Article).where(Article.url == url))


def get_articles_by_ids(session: Session, ids: Iterable[int]) -> list[Article]:
    ids = list(ids)
    if not ids:
        return []
    return list(session.scalars(select(Article).where(Article.id.in_(ids))))


def mute_clauses(muted: Muted | None) -> list[ColumnElement[bool]]:
    """Conditions that leave out what a reader mutes: outlets, hashtags, and keywords in titles."""
    if not muted:
        return []
    clauses: list[ColumnElement[bool]] = []
    if muted.outlet_ids:
        clauses.append(Article.outlet_id.not_in(sorted(muted.outlet_ids)))
    if muted.entity_ids:
        clauses.append(
            ~exists().where(
                ArticleEntity.article_id == Article.id, ArticleEntity.entity_id.in_(sorted(muted.entity_ids))
            )
        )
    clauses += [~func.lower(Article.title).contains(keyword, autoescape=True) for keyword in muted.keywords]
    return clauses


def listing(limit: int, offset: int, muted: Muted | None = None) -> Select[tuple[Article]]:
    """Original articles, newest first, without what ``muted`` leaves out."""
    return (
        select(Article)
        .where(Article.duplicate_of_id.is_(None), *mute_clauses(muted))
        .order_by(Article.published_at.desc(), Article.id.desc())
        .limit(limit)
        .offset(offset)
    )


def latest_articles(
    session: Session,
    limit: int = 30,
    offset: int = 0,
    section: str | None = None,
    outlet_id: int | None = None,
    muted: Muted | None = None,
) -> list[Article]:
    query = listing(limit, offset, muted)
    if section is not None:
        query = query.where(Article.section == section)
    if outlet_id is not None:
        query = query.where(Article.outlet_id == outlet_id)
    return list(session.scalars(query))


def story_members(session: Session, story_id: int) -> list[Row]:
    """(id, public_id, outlet, published_at, duplicate_of_id, embedding) of every article of the story, oldest
    first: what choosing a story's sample reads; texts, hashtags and quotes stay in the database."""
    query = (
        select(
            Article.id,
            Article.public_id,
            Outlet.name.label("outlet"),
            Article.published_at,
            Article.duplicate_of_id,
            Article.embedding,
        )
        .join(Outlet, Outlet.id == Article.outlet_id)
        .where(Article.story_id == story_id)
        .order_by(Article.published_at, Article.id)
    )
    return list(session.execute(query))


def story_article_ids_in(session: Session, story_id: int, languages: Collection[str]) -> list[int]:
    """Ids of the story's originals written in one of ``languages`` (primary tags: "de" holds "de-AT"), oldest
    first."""
    if not languages:
        return []
    language = func.lower(Article.language)
    written_in = or_(*(or_(language == code, language.like(f"{code}-%")) for code in languages))
    query = (
        select(Article.id)
        .where(Article.story_id == story_id, Article.duplicate_of_id.is_(None), written_in)
        .order_by(Article.published_at, Article.id)
    )
    return list(session.scalars(query))


def articles_with_hashtags(session: Session, article_ids: Sequence[int]) -> list[Article]:
    """These articles, every column, with their hashtags, oldest first."""
    query = (
        select(Article)
        .where(Article.id.in_(list(article_ids)))
        .options(selectinload(Article.hashtags).joinedload(ArticleEntity.entity))
        .order_by(Article.published_at, Article.id)
    )
    return list(session.scalars(query))


def load_bodies(session: Session, article_ids: Sequence[int]) -> None:
    """Reads every column of these articles into the rows the session already holds for them."""
    query = select(Article).where(Article.id.in_(list(article_ids))).execution_options(populate_existing=True)
    session.scalars(query).all()


def articles_quotes(session: Session, article_ids: Sequence[int]) -> dict[int, list[dict]]:
    """Each article's stored quotes, by article id."""
    query = select(Article.id, Article.quotes).where(Article.id.in_(list(article_ids)))
    return {article_id: quotes or [] for article_id, quotes in session.execute(query)}


def articles_hashtag_rows(session: Session, article_ids: Sequence[int]) -> list[Row]:
    """(article_id, name, kind, slug, mentions) of these articles' hashtags, each article's in rank order."""
    query = (
        select(ArticleEntity.article_id, Entity.name, Entity.kind, Entity.slug, ArticleEntity.mentions)
        .join(Entity, Entity.id == ArticleEntity.entity_id)
        .where(ArticleEntity.article_id.in_(list(article_ids)))
        .order_by(ArticleEntity.article_id, ArticleEntity.rank)
    )
    return list(session.execute(query))


def set_articles_quotes(session: Session, quotes: dict[int, list[dict]]) -> None:
    """Stores these articles' quotes (article id -> quotes), one statement for all of them."""
    if quotes:
        session.execute(update(Article), [{"id": article_id, "quotes": q} for article_id, q in quotes.items()])


def story_articles(session: Session, story_id: int) -> list[Article]:
    """Every article of the story with its hashtags (loaded in one more query, not one a row), oldest first."""
    query = (
        select(Article)
        .where(Article.story_id == story_id)
        .options(selectinload(Article.hashtags).joinedload(ArticleEntity.entity))
        .order_by(Article.published_at, Article.id)
    )
    return list(session.scalars(query))


# What a coverage list shows of each article: its bodies, sentences and embeddings stay in the database. A
# syndicated copy whose original is in the same story is not listed: it shows as "also in" on its original.
_ORIGINAL = aliased(Article)


def _story_originals(*columns) -> Select:
    return (
        select(*columns)
        .outerjoin(_ORIGINAL, Article.duplicate_of_id == _ORIGINAL.id)
        .where(
            Article.story_id == bindparam("story_id"),
            or_(Article.duplicate_of_id.is_(None), _ORIGINAL.story_id.is_distinct_from(Article.story_id)),
        )
    )


_LISTED_COLUMNS = load_only(
    Article.id,
    Article.public_id,
    Article.url,
    Article.title,
    Article.title_derived,
    Article.excerpt_only,
    Article.placement,
    Article.language,
    Article.published_at,
    Article.created_at,
    Article.outlet_id,
    Article.story_id,
    Article.duplicate_of_id,
    Article.enriched_at,
)
_STORY_COVERAGE = _story_originals(Article).options(_LISTED_COLUMNS).order_by(Article.published_at, Article.id)
_STORY_ARTICLES = (
    select(Article)
    .where(Article.story_id == bindparam("story_id"))
    .options(_LISTED_COLUMNS)
    .order_by(Article.published_at, Article.id)
)


def story_coverage(session: Session, story_id: int, limit: int | None = None, offset: int = 0) -> list[Article]:
    """One page of the story's original articles, oldest first, loaded with only the columns a coverage list
    shows; every one when ``limit`` is None."""
    return list(session.scalars(_STORY_COVERAGE.limit(limit).offset(offset), {"story_id": story_id}))


def story_articles_page(session: Session, story_id: int, limit: int, offset: int = 0) -> list[Article]:
    """One page of every article of the story, syndicated copies included, oldest first."""
    return list(session.scalars(_STORY_ARTICLES.limit(limit).offset(offset), {"story_id": story_id}))


def story_latest_coverage(session: Session, story_id: int, limit: int) -> list[Article]:
    """The story's ``limit`` newest original articles, newest first."""
    query = _STORY_COVERAGE.order_by(None).order_by(Article.published_at.desc(), Article.id.desc()).limit(limit)
    return list(session.scalars(query, {"story_id": story_id}))


def story_copy_outlets(session: Session, story_id: int, article_ids: Sequence[int]) -> list[tuple[int, int, str]]:
    """(original id, outlet id, outlet name) of the story's syndicated copies of ``article_ids``."""
    query = (
        select(Article.duplicate_of_id, Outlet.id, Outlet.name)
        .join(Outlet, Outlet.id == Article.outlet_id)
        .where(Article.story_id == story_id, Article.duplicate_of_id.in_(list(article_ids)))
        .order_by(Article.published_at, Article.id)
    )
    return [(original, outlet_id, name) for original, outlet_id, name in session.execute(query)]


def story_outlet_counts(session: Session, story_id: int) -> list[tuple[Outlet, int, datetime]]:
    """Each outlet of the story with its number of original articles and its first report, earliest first."""
    originals = _story_originals(Article.outlet_id, Article.published_at).subquery()
    query = (
        select(Outlet, func.count(), func.min(originals.c.published_at).label("first"))
        .join(originals, originals.c.outlet_id == Outlet.id)
        .group_by(Outlet.id)
        .order_by(text("first"), Outlet.name)
    )
    return [(outlet, int(count), first) for outlet, count, first in session.execute(query, {"story_id": story_id})]


def url_copies(session: Session) -> list[tuple[str, int]]:
    """Every stored URL with how many articles hold it (one, unless something stored it twice)."""
    query = select(Article.url, func.count()).group_by(Article.url)
    return [(url, copies) for url, copies in session.execute(query)]


def stories_by_external_id(session: Session) -> list[tuple[str, int]]:
    """(external id, story id) of every article imported with an id: how an evaluation reads the grouping."""
    query = select(Article.external_id, Article.story_id).where(Article.external_id.is_not(None))
    return [(external_id, story_id) for external_id, story_id in session.execute(query)]


def due_refetches(session: Session, now: datetime, limit: int) -> list[Article]:
    """Stored feed excerpts whose page is due to be fetched again, longest waiting first."""
    query = (
        select(Article)
        .where(Article.refetch_at.is_not(None), Article.refetch_at <= now)
        .options(load_only(Article.id, Article.public_id, Article.url, Article.refetch_attempts))
        .order_by(Article.refetch_at)
        .limit(limit)
    )
    return list(session.scalars(query))


def postpone_refetch(session: Session, public_id: str, when: datetime | None) -> None:
    """Counts a failed try at an excerpt's page; ``when`` None gives up on it (the excerpt stays)."""
    session.execute(
        update(Article)
        .where(Article.public_id == public_id)
        .values(refetch_at=when, refetch_attempts=Article.refetch_attempts + 1)
    )


def count_articles(session: Session) -> int:
    return session.scalar(select(func.count(Article.id))) or 0


def articles_since(session: Session, since: datetime) -> list[Article]:
    """Recent articles in arrival order with their hashtags, to rebuild the in-memory story engine after a restart
    (or a failed batch): a few statements however many articles, where each article's hashtags took one more."""
    query = (
        select(Article)
        .where(Article.created_at >= since)
        .order_by(Article.id)
        .options(selectinload(Article.hashtags).joinedload(ArticleEntity.entity))
    )
    return list(session.scalars(query))


def unenriched_article_ids(session: Session, limit: int, created_before: datetime | None = None) -> list[int]:
    """The oldest ``limit`` articles still waiting for their enrichment (stored before ``created_before``, when
    given), oldest first."""
    query = select(Article.id).where(Article.enriched_at.is_(None)).order_by(Article.id).limit(limit)
    if created_before is not None:
        query = query.where(Article.created_at < created_before)
    return list(session.scalars(query))


def unenriched_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Article).where(Article.enriched_at.is_(None))) or 0


def max_story_id(session: Session) -> int:
    return session.scalar(select(func.max(Story.id))) or 0


# Stories ---------------------------------------------------------------------------------------------


def get_story(session: Session, story_id: int) -> Story | None:
    return session.get(Story, story_id)


def get_surviving_story(session: Session, story_id: int) -> Story | None:
    """The story with that id or, when it was merged, the story it was merged into (merges are one hop)."""
    story = session.get(Story, story_id)
    if story is not None and story.merged_into is not None:
        return session.get(Story, story.merged_into)
    return story


def upsert_story(session: Session, story_id: int, title: str, published: datetime) -> Story:
    story = session.get(Story, story_id)
    if story is None:
        story = Story(id=story_id, title=title, created_at=published, updated_at=published)
        session.add(story)
        session.flush()
    elif published > story.updated_at:
        story.updated_at = published
    return story


def story_counts(session: Session, story_id: int) -> tuple[int, int]:
    """(articles, outlets) of the story, syndicated copies not counted."""
    articles, outlets = session.execute(
        select(func.count(Article.id), func.count(func.distinct(Article.outlet_id))).where(
            Article.story_id == story_id, Article.duplicate_of_id.is_(None)
        )
    ).one()
    return int(articles), int(outlets)


def refresh_story_counts(session: Session, story_id: int) -> None:
    articles, outlets = story_counts(session, story_id)
    session.execute(update(Story).where(Story.id == story_id).values(article_count=articles, outlet_count=outlets))


def top_stories(session: Session, since: datetime, limit: int = 12) -> list[Story]:
    """Stories ranked by breadth of coverage (distinct outlets, then articles), then recency."""
    query = (
        select(Story)
        .where(Story.updated_at >= since, Story.merged_into.is_(None), Story.article_count > 0)
        .order_by(Story.outlet_count.desc(), Story.article_count.desc(), Story.updated_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def latest_stories(session: Session, limit: int = 12) -> list[Story]:
    query = (
        select(Story)
        .where(Story.merged_into.is_(None), Story.article_count > 0)
        .order_by(Story.updated_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def _awaiting_enrichment(story_id) -> ColumnElement[bool]:
    return exists().where(Article.story_id == story_id, Article.enriched_at.is_(None))


def story_version(session: Session, story_id: int) -> tuple:
    """Which articles the story holds and when each was last enriched: equal at two reads when nothing joined,
    left or was analysed again between them (an analysis computed at the first may be stored at the second)."""
    query = select(Article.id, Article.enriched_at).where(Article.story_id == story_id).order_by(Article.id)
    return tuple(tuple(row) for row in session.execute(query))


def story_awaits_enrichment(session: Session, story_id: int) -> bool:
    """Whether any of the story's articles waits for its enrichment (``storyline.backlog``)."""
    return bool(session.scalar(select(_awaiting_enrichment(story_id))))


def stale_story_ids(session: Session, limit: int = 50) -> list[int]:
    """Stories whose cached AI output predates their latest articles, busiest first; stories with articles
    still waiting for enrichment are the backlog's to analyse once they are enriched."""
    query = (
        select(Story.id)
        .where(
            Story.merged_into.is_(None),
            Story.article_count != Story.analysis_article_count,
            ~_awaiting_enrichment(Story.id),
        )
        .order_by(Story.outlet_count.desc(), Story.updated_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def mark_story_merged(session: Session, source_id: int, target_id: int) -> None:
    """Moves the source story's articles to the target and records the merge; stories merged into the source
    before now point at the target too, so an old story page redirects in one hop."""
    source_updated = session.scalar(select(Story.updated_at).where(Story.id == source_id))
    session.execute(update(Article).where(Article.story_id == source_id).values(story_id=target_id))
    session.execute(update(Story).where(Story.merged_into == source_id).values(merged_into=target_id))
    session.execute(update(Story).where(Story.id == source_id).values(merged_into=target_id, article_count=0))
    session.execute(
        update(Story).where(Story.id == target_id, Story.updated_at < source_updated).values(updated_at=source_updated)
    )


def place_unplaced_articles(session: Session, story_id: int, placement: dict) -> None:
    """Gives the story's original articles that hold no placement evidence (its first report) ``placement``.
    Read in Python: a JSON null and SQL NULL are not told apart alike by every database."""
    rows = session.execute(
        select(Article.id, Article.placement).where(Article.story_id == story_id, Article.duplicate_of_id.is_(None))
    ).all()
    unplaced = [row.id for row in rows if not row.placement]
    if unplaced:
        session.execute(update(Article).where(Article.id.in_(unplaced)).values(placement=placement))


def move_articles_to_story(session: Session, public_ids: Iterable[str], story_id: int) -> None:
    session.execute(update(Article).where(Article.public_id.in_(list(public_ids))).values(story_id=story_id))


def retitle_story(session: Session, story_id: int) -> None:
    """Titles the story after its earliest article (after a split or a merge the first may have changed)."""
    first = session.scalar(
        select(Article.title).where(Article.story_id == story_id).order_by(Article.published_at, Article.id).limit(1)
    )
    if first is not None:
        session.execute(update(Story).where(Story.id == story_id).values(title=first))


def invalidate_story_analysis(session: Session, story_ids: Iterable[int]) -> None:
    """Marks the cached analysis stale: -1 is an article count no story has, so ``stale_story_ids`` picks the
    story up even when its count came back to the one the cache saw, and the old output stays as the fallback
    the pages show until the new one is computed."""
    session.execute(update(Story).where(Story.id.in_(list(story_ids))).values(analysis_article_count=-1))


# Hashtags --------------------------------------------------------------------------------------------


def entity_names(session: Session, slugs: Collection[str]) -> dict[str, str]:
    """Slug -> name of the stored entities among ``slugs``."""
    if not slugs:
        return {}
    return dict(session.execute(select(Entity.slug, Entity.name).where(Entity.slug.in_(list(slugs)))).tuples().all())


def named_entities(session: Session, slugs: Collection[str]) -> dict[str, tuple[str, str]]:
    """Slug -> (name, kind) of the stored people, organisations and places among ``slugs`` (topics left out)."""
    if not slugs:
        return {}
    rows = session.execute(
        select(Entity.slug, Entity.name, Entity.kind).where(Entity.slug.in_(list(slugs)), Entity.kind != "topic")
    )
    return {slug: (name, kind) for slug, name, kind in rows}


def get_or_create_entity(session: Session, slug: str, name: str, kind: str) -> Entity:
    entity = session.scalar(select(Entity).where(Entity.slug == slug))
    if entity is None:
        entity = Entity(slug=slug, name=name, kind=kind)
        session.add(entity)
        session.flush()
    return entity


def rename_story_entities(session: Session, story_id: int, renames: dict[str, Hashtag]) -> None:
    """Points the story's article hashtags at the story-wide entity each alias names ("casey" ->
    "louise-casey"), adding up mentions where an article already carries both: three statements an alias,
    however many articles the story has."""
    for slug, tag in renames.items():
        alias = get_entity(session, slug) if slug != tag.slug else None
        if alias is None:
            continue
        target = get_or_create_entity(session, tag.slug, tag.name, tag.kind)
        _add_alias_to_kept_links(session, story_id, alias.id, target.id)
        _move_alias_links(session, story_id, alias.id, target.id)
        _drop_alias_links(session, story_id, alias.id)


_LINK = ArticleEntity.__table__
_ALIAS_LINK = _LINK.alias("alias_link")


def _story_alias_links(story_id: int, alias_id: int) -> Select:
    return (
        select(_ALIAS_LINK)
        .join(Article, Article.id == _ALIAS_LINK.c.article_id)
        .where(Article.story_id == story_id, _ALIAS_LINK.c.entity_id == alias_id)
    )


def _add_alias_to_kept_links(session: Session, story_id: int, alias_id: int, target_id: int) -> None:
    """Where an article of the story carries both, the alias's mentions and best rank go to the target."""
    links = _story_alias_links(story_id, alias_id).where(_ALIAS_LINK.c.article_id == _LINK.c.article_id)
    alias_rank = links.with_only_columns(_ALIAS_LINK.c.rank).scalar_subquery()
    query = (
        update(_LINK)
        .where(_LINK.c.entity_id == target_id, exists(links))
        .values(
            mentions=_LINK.c.mentions + links.with_only_columns(_ALIAS_LINK.c.mentions).scalar_subquery(),
            rank=case((alias_rank < _LINK.c.rank, alias_rank), else_=_LINK.c.rank),
        )
    )
    session.execute(query)


def _move_alias_links(session: Session, story_id: int, alias_id: int, target_id: int) -> None:
    """Where an article of the story carries the alias alone, it now carries the target instead."""
    kept = select(_LINK.c.article_id).where(
        _LINK.c.entity_id == target_id, _LINK.c.article_id == _ALIAS_LINK.c.article_id
    )
    moved = _story_alias_links(story_id, alias_id).where(~exists(kept))
    columns = moved.with_only_columns(
        _ALIAS_LINK.c.article_id, literal(target_id), _ALIAS_LINK.c.mentions, _ALIAS_LINK.c.rank
    )
    session.execute(insert(_LINK).from_select(["article_id", "entity_id", "mentions", "rank"], columns))


def _drop_alias_links(session: Session, story_id: int, alias_id: int) -> None:
    members = select(Article.id).where(Article.story_id == story_id)
    session.execute(delete(_LINK).where(_LINK.c.entity_id == alias_id, _LINK.c.article_id.in_(members)))


def get_entity(session: Session, slug: str) -> Entity | None:
    return session.scalar(select(Entity).where(Entity.slug == slug))


def entity_articles(
    session: Session, entity_id: int, limit: int = 30, offset: int = 0, muted: Muted | None = None
) -> list[Article]:
    query = listing(limit, offset, muted).join(ArticleEntity, ArticleEntity.article_id == Article.id)
    return list(session.scalars(query.where(ArticleEntity.entity_id == entity_id)))


def story_entities(session: Session, story_id: int, limit: int = 20) -> list[tuple[Entity, int]]:
    query = (
        select(Entity, func.sum(ArticleEntity.mentions).label("mentions"))
        .join(ArticleEntity, ArticleEntity.entity_id == Entity.id)
        .join(Article, Article.id == ArticleEntity.article_id)
        .where(Article.story_id == story_id)
        .group_by(Entity.id)
        .order_by(text("mentions DESC"), Entity.name)
        .limit(limit)
    )
    return [(entity, int(mentions)) for entity, mentions in session.execute(query)]


# Search ----------------------------------------------------------------------------------------------

_FTS_TOKEN = re.compile(r"\w+", re.UNICODE)


def search_articles(
    session: Session,
    query_text: str,
    limit: int = 20,
    offset: int = 0,
    section: str | None = None,
    outlet_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    muted: Muted | None = None,
) -> list[Article]:
    """Full-text search: FTS5 on SQLite, tsvector on PostgreSQL. The query is reduced to plain words,
    so no user input reaches the FTS query syntax."""
    words = _FTS_TOKEN.findall(query_text)[:12]
    if not words:
        return []
    filters = [Article.duplicate_of_id.is_(None), *mute_clauses(muted)]
    if section:
        filters.append(Article.section == section)
    if outlet_id:
        filters.append(Article.outlet_id == outlet_id)
    if since:
        filters.append(Article.published_at >= since)
    if until:
        filters.append(Article.published_at < until)
    if session.get_bind().dialect.name == "postgresql":
        tsquery = func.plainto_tsquery("english", " ".join(words))
        rank = func.ts_rank(text("articles.search_vector"), tsquery)
        query = select(Article).where(text("articles.search_vector @@ plainto_tsquery('english', :q)"), *filters)
        query = query.params(q=" ".join(words)).order_by(rank.desc(), Article.published_at.desc())
    else:
        match = " ".join(f'"{word}"' for word in words)
        ranked = text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :match ORDER BY rank").bindparams(
            match=match
        )
        ids = [row[0] for row in session.execute(ranked)]
        if not ids:
            return []
        order = {article_id: position for position, article_id in enumerate(ids)}
        found = session.scalars(select(Article).where(Article.id.in_(ids), *filters)).all()
        return sorted(found, key=lambda article: order[article.id])[offset : offset + limit]
    return list(session.scalars(query.limit(limit).offset(offset)))


# Feeds -----------------------------------------------------------------------------------------------


def add_feed(session: Session, url: str, title: str | None = None, interval_s: int = 1800) -> Feed:
    feed = session.scalar(select(Feed).where(Feed.url == url))
    if feed is None:
        feed = Feed(url=url, title=title, interval_s=interval_s, next_poll_at=utcnow())
        session.add(feed)
        session.flush()
    return feed


def list_feeds(session: Session) -> list[Feed]:
    return list(session.scalars(select(Feed).order_by(Feed.title, Feed.url)))


def due_feeds(session: Session, now: datetime, limit: int = 100) -> list[Feed]:
    query = (
        select(Feed).where(Feed.next_poll_at <= now, Feed.paused.is_(False)).order_by(Feed.next_poll_at).limit(limit)
    )
    return list(session.scalars(query))


def get_feed(session: Session, feed_id: int) -> Feed | None:
    return session.get(Feed, feed_id)


# Comments --------------------------------------------------------------------------------------------


def comment_counts(session: Session, article_ids: Sequence[int]) -> dict[int, int]:
    if not article_ids:
        return {}
    query = (
        select(Comment.article_id, func.count(Comment.id))
        .where(Comment.article_id.in_(list(article_ids)), and_(Comment.deleted.is_(False), Comment.hidden.is_(False)))
        .group_by(Comment.article_id)
    )
    return {article_id: count for article_id, count in session.execute(query)}


_ARTICLE_COMMENTS = (
    select(Comment).where(Comment.article_id == bindparam("article_id")).order_by(Comment.created_at, Comment.id)
)


def article_comments(session: Session, article_id: int) -> list[Comment]:
    return list(session.scalars(_ARTICLE_COMMENTS, {"article_id": article_id}))


def delete_article_entities(session: Session, article_id: int) -> None:
    session.execute(delete(ArticleEntity).where(ArticleEntity.article_id == article_id))


# Web -------------------------------------------------------------------------------------------------


def newest_story_update(session: Session) -> datetime | None:
    # Newest first down the updated_at index, to the first story not merged away. Written as a COALESCE so
    # SQLite does not pick the merged_into index (every live story is in it, as NULL) and sort them all: MAX()
    # did that, 60 ms at 200,000 stories.
    live = func.coalesce(Story.merged_into, 0) == 0
    return session.scalar(select(Story.updated_at).where(live).order_by(Story.updated_at.desc()).limit(1))


def section_counts(session: Session) -> list[tuple[str, int]]:
    query = (
        select(Article.section, func.count(Article.id))
        .where(Article.section.is_not(None), Article.section != "", Article.duplicate_of_id.is_(None))
        .group_by(Article.section)
        .order_by(func.count(Article.id).desc(), Article.section)
    )
    return [(section, count) for section, count in session.execute(query)]


def top_entities(session: Session, limit: int = 50) -> list[tuple[Entity, int]]:
    query = (
        select(Entity, func.count(ArticleEntity.article_id).label("articles"))
        .join(ArticleEntity, ArticleEntity.entity_id == Entity.id)
        .group_by(Entity.id)
        .order_by(text("articles DESC"), Entity.name)
        .limit(limit)
    )
    return [(entity, int(count)) for entity, count in session.execute(query)]


def stories_lead_articles(session: Session, story_ids: Sequence[int], muted: Muted | None = None) -> list[Article]:
    """Every original (non-duplicate) article of the given stories, oldest first, less what ``muted`` leaves out;
    without their bodies, sentences and embeddings, which story cards never show."""
    if not story_ids:
        return []
    query = (
        select(Article)
        .options(defer(Article.text), defer(Article.sentences), defer(Article.embedding), defer(Article.quotes))
        .where(Article.story_id.in_(list(story_ids)), Article.duplicate_of_id.is_(None), *mute_clauses(muted))
        .order_by(Article.published_at, Article.id)
    )
    return list(session.scalars(query))


def sitemap_articles(session: Session, limit: int = 10_000) -> list[tuple[str, str, datetime]]:
    query = (
        select(Article.public_id, Article.language, Article.published_at)
        .where(Article.duplicate_of_id.is_(None))
        .order_by(Article.published_at.desc())
        .limit(limit)
    )
    return [(public_id, language, published) for public_id, language, published in session.execute(query)]
