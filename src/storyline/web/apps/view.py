"""A reader as reader apps see them, shared by the Google Reader and Fever APIs: what their follows reach, what
is read (as the site counts it, so both ways agree), pages of items, and marking read, unread and starred."""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import nh3
from sqlalchemy import ColumnElement, false
from sqlalchemy.orm import Session

from storyline.errors import InputError
from storyline.i18n import DEFAULT_LOCALE
from storyline.readers import state
from storyline.readers import streams as s
from storyline.readers.follows import HOME_SCOPE, follow_scope, page_path, section_scope
from storyline.store import apps as store
from storyline.store import queries
from storyline.store import readers as reader_store
from storyline.store.models import Article, Follow, Story, User
from storyline.web import reading
from storyline.web.templating import article_path

STORY_ARTICLES_SHOWN = 50


@dataclass(frozen=True)
class Item:
    """One item an app shows: an article, or a story (``story_id``) in the Stories label."""

    id: int
    title: str
    url: str
    author: str | None
    published: datetime
    updated: datetime
    html: str
    read: bool
    starred: bool
    origin: str  # the stream id of its "feed"
    origin_title: str
    origin_url: str
    folder: str | None = None  # the label of its origin (a follow's kind, or Stories)
    story_title: str | None = None
    story_id: int | None = None


def paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(part.strip())}</p>" for part in text.split("\n") if part.strip())


def clean_html(markup: str) -> str:
    """Every item's HTML passes nh3 last (links keep only http(s) addresses)."""
    return nh3.clean(
        markup,
        tags={"p", "a", "ol", "ul", "li", "strong", "em"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
    )


class AppReader:
    """One request's view of a reader: follows, mutes and read marks are read once, at construction."""

    def __init__(self, db: Session, user: User, base: str) -> None:
        self.db, self.user, self.base = db, user, base.rstrip("/")
        self.follows: list[Follow] = reader_store.user_follows(db, user.id)
        self.by_id = {follow.id: follow for follow in self.follows}
        self.muted = reader_store.muted(db, user.id)
        self.mute = queries.mute_clauses(self.muted)
        self._resolved = self._resolve(self.follows)
        self.reach = self.reach_of(self.follows)
        self.reach_clause = store.reach_clause(self.reach)
        self.marks = store.all_read_marks(db, user.id)
        self.floor = state.read_up_to(reading.newest(db) - state.UNREAD_WINDOW, [self.marks.get(HOME_SCOPE)])
        # Pages select this cheap form (a read row, or older than where unread starts) and add the marks of
        # follows and sections in Python (``marked_read``); filters and counts use the whole ``read``.
        self.read_row = store.read_clause(user.id, self.floor, [])
        self.starred = store.starred_clause(user.id)
        self._names: dict[tuple[str, str], str] | None = None

    # What follows reach ----------------------------------------------------------------------------

    def reach_of(self, follows: Sequence[Follow]) -> s.Reach:
        return s.make_reach((f.id, f.kind, self._resolved[f.id]) for f in follows)

    def _resolve(self, follows: Sequence[Follow]) -> dict[int, list]:
        """Follow id -> what it matches on (hashtag, outlet or story ids, a section, a search's articles): a few
        queries for all the follows."""
        targets = {kind: [f.target for f in follows if f.kind == kind] for kind in ("hashtag", "outlet", "story")}
        entities = store.entity_ids(self.db, targets["hashtag"])
        outlets = reader_store.outlet_ids(self.db, targets["outlet"])
        survivors = reader_store.surviving_stories(self.db, [int(t) for t in targets["story"]])
        resolved = {}
        for f in follows:
            if f.kind == "hashtag":
                values = [entities[f.target]] if f.target in entities else []
            elif f.kind == "outlet":
                values = [outlets[f.target]] if f.target in outlets else []
            elif f.kind == "section":
                values = [f.target]
            elif f.kind == "story":
                values = {int(f.target), survivors.get(int(f.target), int(f.target))}
            else:
                values = reader_store.search_matches(self.db, f.target, None)
            resolved[f.id] = list(values)
        return resolved

    @cached_property
    def read(self) -> ColumnElement[bool]:
        """Read, as the site counts it, with every mark-all-read of a follow or a section."""
        return store.read_clause(self.user.id, self.floor, self._scoped(self.marks))

    def marked_read(self, published: datetime, follow_ids: Sequence[int], section: str | None) -> bool:
        """Whether a mark-all-read of one of the article's follows, or of its section, covers it."""
        marks = [self.marks.get(follow_scope(follow_id)) for follow_id in follow_ids]
        marks.append(self.marks.get(section_scope(section)) if section else None)
        return any(mark is not None and published <= mark for mark in marks)

    def _scoped(self, marks: dict[str, datetime]) -> list[tuple[ColumnElement[bool], datetime]]:
        """Mark-all-read times of sections and follows, each with the articles it applies to."""
        scoped = []
        for scope, when in marks.items():
            kind, _, name = scope.partition(":")
            if kind == "section":
                scoped.append((Article.section == name, when))
            elif kind == "follow" and name.isdigit() and int(name) in self.by_id:
                scoped.append((store.reach_clause(self.reach_of([self.by_id[int(name)]])), when))
        return scoped

    def names(self) -> dict[tuple[str, str], str]:
        if self._names is None:
            from storyline.web.reader_pages import labels

            self._names = labels(self.db, self.follows, DEFAULT_LOCALE)  # apps send no interface language
        return self._names

    def follow_title(self, follow: Follow) -> str:
        return self.names()[(follow.kind, follow.target)]

    def follow_url(self, follow: Follow) -> str:
        return self.base + page_path(follow.kind, follow.target)

    # Which articles a stream holds -----------------------------------------------------------------

    def stream_where(self, stream: s.Stream) -> list[ColumnElement[bool]] | None:
        """Conditions on ``Article`` for an article stream; None for the stories stream."""
        if stream.kind == "stories":
            return None
        if stream.kind == "starred":
            return [store.saved_ids_clause(self.user.id)]
        if stream.kind == "empty":
            return [false()]
        if stream.kind == "follow":
            follow = self.by_id.get(stream.follow_id or 0)
            return [store.reach_clause(self.reach_of([follow])) if follow else false(), *self.mute]
        if stream.kind == "folder":
            follows = [f for f in self.follows if f.kind == stream.folder]
            return [store.reach_clause(self.reach_of(follows)), *self.mute]
        if stream.kind == "story":
            story_ids = store.stories_titled(self.db, stream.story_title or "")
            return [Article.story_id.in_(story_ids) if story_ids else false(), *self.mute]
        where = [self.reach_clause, *self.mute]
        return where + [self.read] if stream.kind == "read" else where

    def _filters(self, query: s.Query, column) -> list[ColumnElement[bool]]:
        where = []
        if query.since is not None:
            where.append(column >= query.since)
        if query.until is not None:
            where.append(column <= query.until)
        return where

    def page(self, stream: s.Stream, query: s.Query) -> tuple[list[Item], s.Cursor | None]:
        """A page of the stream's items and where the next one starts (None at the end)."""
        where = self.stream_where(stream)
        if where is None:
            return self._story_page(query)
        where = where + self._filters(query, Article.published_at)
        if query.read is not None:
            where.append(self.read if query.read else ~self.read)
        if query.starred is not None:
            where.append(self.starred if query.starred else ~self.starred)
        rows = store.article_page(
            self.db, where, self.read_row, self.starred, query.after, query.oldest_first, query.n + 1
        )
        items = self.article_items(rows[: query.n])
        more = len(rows) > query.n
        return items, s.Cursor(items[-1].published, items[-1].id) if more else None

    def _story_page(self, query: s.Query) -> tuple[list[Item], s.Cursor | None]:
        where = self._filters(query, Story.updated_at)
        if query.read is not None:
            condition = store.story_read_clause(self.read)
            where.append(condition if query.read else ~condition)
        if query.starred:
            return [], None
        after = query.after
        if after is not None:
            after = s.Cursor(after.when, s.story_of_item(after.item))
        rows = store.story_page(self.db, self.reach_clause, where, self.read, after, query.oldest_first, query.n + 1)
        items = self.story_items(rows[: query.n])
        more = len(rows) > query.n
        return items, s.Cursor(items[-1].published, items[-1].id) if more else None

    def by_item_ids(self, item_ids: Sequence[int]) -> list[Item]:
        """The items asked for, in the order asked (unknown ids left out)."""
        article_ids = [i for i in item_ids if not s.is_story_item(i)]
        story_ids = [s.story_of_item(i) for i in item_ids if s.is_story_item(i)]
        found = {
            item.id: item
            for item in self.article_items(store.articles_by_ids(self.db, article_ids, self.read_row, self.starred))
        }
        found |= {item.id: item for item in self.story_items(store.stories_by_ids(self.db, story_ids, self.read))}
        return [found[i] for i in dict.fromkeys(item_ids) if i in found]

    # Building items --------------------------------------------------------------------------------

    def origins(self, facts: Sequence[tuple[int, int, str | None, int | None]]) -> dict[int, list[int]]:
        """Article id -> the follows it reaches the reader through, for (id, outlet, section, story) rows."""
        if not facts:
            return {}
        ids = [fact[0] for fact in facts]
        hashtags: dict[int, set[int]] = defaultdict(set)
        for article_id, entity_id in store.article_hashtags(self.db, self.reach.entity_ids, min(ids), max(ids)):
            hashtags[article_id].add(entity_id)
        return {
            article_id: s.follows_of(self.reach, article_id, outlet, section, story, frozenset(hashtags[article_id]))
            for article_id, outlet, section, story in facts
        }

    def article_items(self, rows: Sequence) -> list[Item]:
        origins = self.origins([(a.id, a.outlet_id, a.section, a.story_id) for a, *_ in rows])
        items = []
        for article, read, starred, story_title in rows:
            follow_ids = origins.get(article.id) or []
            read = read or self.marked_read(article.published_at, follow_ids, article.section)
            follow = self.by_id.get((follow_ids or [0])[0])
            if follow is not None:
                origin, title, url = s.follow_stream(follow.id), self.follow_title(follow), self.follow_url(follow)
                folder = s.FOLDERS[follow.kind]
            else:
                origin, title, url, folder = f"feed/outlet-{article.outlet_id}", article.outlet.name, self.base, None
            body = paragraphs(article.text)
            site = self.base + article_path(article)
            body += f'<p><a href="{html.escape(site)}">Storyline</a></p>'
            items.append(
                Item(
                    id=article.id,
                    title=article.title,
                    url=article.url,
                    author=article.author or article.outlet.name,
                    published=article.published_at,
                    updated=article.published_at,
                    html=clean_html(body),
                    read=bool(read),
                    starred=bool(starred),
                    origin=origin,
                    origin_title=title,
                    origin_url=url,
                    folder=folder,
                    story_title=" ".join(story_title.split()) if story_title and article.story_id else None,
                )
            )
        return items

    def story_items(self, rows: Sequence) -> list[Item]:
        stories = [story for story, _ in rows]
        members: dict[int, list[Article]] = defaultdict(list)
        for article in store.story_articles(self.db, [story.id for story in stories]):
            members[article.story_id].append(article)
        items = []
        for story, read in rows:
            items.append(
                Item(
                    id=s.story_item(story.id),
                    title=story.title,
                    url=f"{self.base}/en/story/{story.id}",
                    author="Storyline",
                    published=story.updated_at,
                    updated=story.updated_at,
                    html=clean_html(self.story_html(story, members[story.id])),
                    read=bool(read),
                    starred=False,
                    origin=s.STORIES_FEED,
                    origin_title=s.STORIES_LABEL,
                    origin_url=self.base + "/en/",
                    folder=s.STORIES_LABEL,
                    story_id=story.id,
                )
            )
        return items

    def story_html(self, story: Story, articles: Sequence[Article]) -> str:
        """The story's summary, each line citing its sentence, then every outlet's article."""
        cites = (story.analysis or {}).get("summary_citations") or []
        lines = "".join(
            f'<li>{html.escape(c["text"])} <a href="{self.base}/en/article/{html.escape(str(c["article_id"]))}'
            f'#s{int(c["sentence"])}">[{html.escape(c.get("source") or "")}]</a></li>'
            for c in cites
        )
        coverage = "".join(
            f'<li><strong>{html.escape(a.outlet.name)}</strong>: <a href="{html.escape(a.url)}">'
            f"{html.escape(a.title)}</a></li>"
            for a in articles[:STORY_ARTICLES_SHOWN]
        )
        summary = f"<ol>{lines}</ol>" if lines else ""
        return f"{summary}<p>{len(articles)} articles</p><ul>{coverage}</ul>"

    # Counting and marking --------------------------------------------------------------------------

    def unread(self) -> list[tuple[int, list[int], datetime]]:
        """(article id, the follows it reaches the reader through, published) of every unread article in the
        reading list (unread reaches back as far as the site's window)."""
        where = [self.reach_clause, *self.mute, Article.published_at > self.floor]
        rows = store.unread_rows(self.db, where, self.read)
        origins = self.origins([(r.id, r.outlet_id, r.section, r.story_id) for r in rows])
        return [(r.id, origins.get(r.id) or [], r.published_at) for r in rows]

    def unread_stories(self) -> list[Item]:
        items, _ = self._story_page(s.Query(n=s.MAX_ITEMS, read=False))
        return items

    def set_read(self, item_ids: Sequence[int], read: bool) -> None:
        """Reads (or unreads) the articles, and every article of the stories among the items."""
        story_ids = [s.story_of_item(i) for i in item_ids if s.is_story_item(i)]
        ids = [i for i in item_ids if not s.is_story_item(i)] + store.story_article_ids(self.db, story_ids)
        ids = store.existing_articles(self.db, ids)
        if read:
            reader_store.mark_read(self.db, self.user.id, ids)
        else:
            store.mark_unread(self.db, self.user.id, ids)

    def set_starred(self, item_ids: Sequence[int], starred: bool) -> None:
        ids = store.existing_articles(self.db, [i for i in item_ids if not s.is_story_item(i)])
        if starred:
            for article_id in ids:
                reader_store.save_article(self.db, self.user.id, article_id)
        else:
            store.unsave_articles(self.db, self.user.id, ids)

    def mark_all_read(self, stream: s.Stream, until: datetime | None) -> None:
        """Every unread item of the stream published up to ``until`` (all when None) is read, a row each, so the
        site and every stream agree."""
        where = self.stream_where(stream)
        if where is None:
            items = [i.id for i in self.unread_stories() if until is None or i.published <= until]
            self.set_read(items, True)
            return
        where = where + [Article.published_at > self.floor]
        if until is not None:
            where.append(Article.published_at <= until)
        reader_store.mark_read(self.db, self.user.id, [r.id for r in store.unread_rows(self.db, where, self.read)])


def ids_of(text: str) -> list[int]:
    """Comma-separated item ids (Fever's with_ids), bad ones left out."""
    ids = []
    for part in text.split(","):
        try:
            ids.append(s.parse_item_id(part))
        except InputError:
            continue
    return ids
