"""Feed administration and filter rules: one short function a query. Callers own the session and transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storyline.store.models import Article, Feed, FilteredURL, FilterRule, utcnow

# Feeds -----------------------------------------------------------------------------------------------


def feeds_by_folder(session: Session) -> list[Feed]:
    """Every feed, folders first in name order (feeds without a folder last), then by name."""
    no_folder_last = Feed.folder.is_(None)
    return list(session.scalars(select(Feed).order_by(no_folder_last, Feed.folder, Feed.title, Feed.url)))


def folder_names(session: Session) -> list[str]:
    return list(session.scalars(select(Feed.folder).where(Feed.folder.is_not(None)).distinct().order_by(Feed.folder)))


def find_feed_by_url(session: Session, url: str) -> Feed | None:
    return session.scalar(select(Feed).where(Feed.url == url))


def set_paused(session: Session, feed_id: int, paused: bool) -> None:
    values: dict = {"paused": paused}
    if not paused:
        values["next_poll_at"] = utcnow()  # resumed feeds are polled at the next pass
    session.execute(update(Feed).where(Feed.id == feed_id).values(**values))


def set_custom_title(session: Session, feed_id: int, title: str | None) -> None:
    session.execute(update(Feed).where(Feed.id == feed_id).values(custom_title=title))


def set_folder(session: Session, feed_id: int, folder: str | None) -> None:
    session.execute(update(Feed).where(Feed.id == feed_id).values(folder=folder))


def set_options(session: Session, feed_id: int, options: Mapping[str, object]) -> None:
    """``options``: any of page_mode, user_agent, title_pattern, title_replacement (validated by the caller)."""
    session.execute(update(Feed).where(Feed.id == feed_id).values(**options))


def make_due(session: Session, feed_id: int) -> None:
    session.execute(update(Feed).where(Feed.id == feed_id).values(next_poll_at=utcnow()))


def feed_article_count(session: Session, feed_id: int) -> int:
    return session.scalar(select(func.count(Article.id)).where(Article.feed_id == feed_id)) or 0


def feed_article_keys(session: Session, feed_id: int) -> list[tuple[str, int | None]]:
    """(public id, story id) of every article the feed brought."""
    return [
        tuple(row)
        for row in session.execute(select(Article.public_id, Article.story_id).where(Article.feed_id == feed_id))
    ]


def detach_feed_articles(session: Session, feed_id: int) -> None:
    """The feed's articles stay, no longer linked to it."""
    session.execute(update(Article).where(Article.feed_id == feed_id).values(feed_id=None))


def delete_feed_articles(session: Session, feed_id: int) -> None:
    """Deletes the feed's articles (their hashtag links and comments go with them, by the database's cascades);
    copies elsewhere that pointed at one as their original become originals themselves."""
    ids = select(Article.id).where(Article.feed_id == feed_id).scalar_subquery()
    session.execute(
        update(Article)
        .where(Article.duplicate_of_id.in_(ids), or_(Article.feed_id.is_(None), Article.feed_id != feed_id))
        .values(duplicate_of_id=None)
    )
    session.execute(update(Article).where(Article.feed_id == feed_id).values(duplicate_of_id=None))
    session.execute(delete(Article).where(Article.feed_id == feed_id))


def delete_feed(session: Session, feed_id: int) -> None:
    session.execute(delete(FilteredURL).where(FilteredURL.feed_id == feed_id))
    rule_ids = select(FilterRule.id).where(FilterRule.feed_id == feed_id).scalar_subquery()
    session.execute(delete(FilteredURL).where(FilteredURL.rule_id.in_(rule_ids)))
    session.execute(delete(FilterRule).where(FilterRule.feed_id == feed_id))
    session.execute(delete(Feed).where(Feed.id == feed_id))


# Filter rules ----------------------------------------------------------------------------------------


def add_rule(session: Session, feed_id: int | None, action: str, field: str, kind: str, pattern: str) -> FilterRule:
    rule = FilterRule(feed_id=feed_id, action=action, field=field, kind=kind, pattern=pattern, hits=0)
    session.add(rule)
    session.flush()
    return rule


def list_rules(session: Session) -> list[FilterRule]:
    """Every rule: those for every feed first, then by feed, oldest first."""
    return list(
        session.scalars(select(FilterRule).order_by(FilterRule.feed_id.is_not(None), FilterRule.feed_id, FilterRule.id))
    )


def rules_for_feeds(session: Session, feed_ids: Sequence[int | None]) -> list[FilterRule]:
    """The rules that apply to articles from these feeds (None: articles from no feed): everywhere rules too."""
    ids = [feed_id for feed_id in feed_ids if feed_id is not None]
    return list(
        session.scalars(
            select(FilterRule)
            .where(or_(FilterRule.feed_id.is_(None), FilterRule.feed_id.in_(ids)))
            .order_by(FilterRule.id)
        )
    )


def get_rule(session: Session, rule_id: int) -> FilterRule | None:
    return session.get(FilterRule, rule_id)


def delete_rule(session: Session, rule_id: int) -> None:
    """Deletes the rule and forgets what it dropped; a keep rule also takes the "no keep rule matched" decisions
    of its scope with it (with a keep rule fewer, those articles may now be kept)."""
    rule = session.get(FilterRule, rule_id)
    if rule is None:
        return
    session.execute(delete(FilteredURL).where(FilteredURL.rule_id == rule_id))
    if rule.action == "keep":
        scope = [] if rule.feed_id is None else [FilteredURL.feed_id == rule.feed_id]
        session.execute(delete(FilteredURL).where(FilteredURL.rule_id.is_(None), *scope))
    session.execute(delete(FilterRule).where(FilterRule.id == rule_id))


def filtered_urls(session: Session, urls: Sequence[str]) -> set[str]:
    """The URLs among these that a rule dropped before."""
    if not urls:
        return set()
    return set(session.scalars(select(FilteredURL.url).where(FilteredURL.url.in_(list(urls)))))


def remember_filtered(session: Session, dropped: Sequence[tuple[str, int | None, int | None]]) -> None:
    """(canonical URL, feed id, rule id) of each dropped article; URLs already remembered are left as they are."""
    known = filtered_urls(session, [url for url, _, _ in dropped])
    for url, feed_id, rule_id in dropped:
        if url in known:
            continue
        known.add(url)
        try:
            with session.begin_nested():  # another poll may remember the same URL at the same moment
                session.add(FilteredURL(url=url, feed_id=feed_id, rule_id=rule_id))
        except IntegrityError:
            continue


def count_hits(session: Session, hits: Mapping[int, int]) -> None:
    """Adds each rule's caught articles to its counter, in the database (concurrent writers add up)."""
    for rule_id, count in hits.items():
        if count:
            session.execute(update(FilterRule).where(FilterRule.id == rule_id).values(hits=FilterRule.hits + count))


def filtered_counts_by_feed(session: Session) -> dict[int | None, int]:
    """feed id (None: imports) -> articles the current rules dropped from it."""
    rows = session.execute(select(FilteredURL.feed_id, func.count(FilteredURL.id)).group_by(FilteredURL.feed_id))
    return {feed_id: int(count) for feed_id, count in rows}


def rule_counts_by_feed(session: Session) -> dict[int | None, tuple[int, int]]:
    """feed id (None: everywhere) -> (number of rules, articles they caught)."""
    rows = session.execute(
        select(FilterRule.feed_id, func.count(FilterRule.id), func.coalesce(func.sum(FilterRule.hits), 0)).group_by(
            FilterRule.feed_id
        )
    )
    return {feed_id: (int(rules), int(hits)) for feed_id, rules, hits in rows}
