"""SQLAlchemy 2 ORM models. Schema changes go through Alembic migrations in ``migrations/versions``."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, always returns timezone-aware datetimes (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    pass


class Outlet(Base):
    __tablename__ = "outlets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    homepage: Mapped[str | None] = mapped_column(String(2000))


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    title: Mapped[str | None] = mapped_column(String(500))
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    interval_s: Mapped[int] = mapped_column(Integer, default=1800)
    next_poll_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[str | None] = mapped_column(String(50))
    last_error: Mapped[str | None] = mapped_column(Text)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Administration (migration 0007): a folder name (None: no folder), paused feeds are not polled, the name an
    # administrator gave it, and how it is fetched and read.
    folder: Mapped[str | None] = mapped_column(String(200), index=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    custom_title: Mapped[str | None] = mapped_column(String(500))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    # "auto": fetch the page when the feed carries a teaser only; "always": always fetch it; "never": keep the
    # feed's text.
    page_mode: Mapped[str] = mapped_column(String(10), default="auto")
    # A regular expression substituted in every entry's title (``title_replacement`` may name its groups).
    title_pattern: Mapped[str | None] = mapped_column(String(500))
    title_replacement: Mapped[str | None] = mapped_column(String(500))

    outlet: Mapped[Outlet | None] = relationship()

    @property
    def display_title(self) -> str:
        return self.custom_title or self.title or self.url


class FilterRule(Base):
    """Keeps or blocks incoming articles whose field matches a pattern, for one feed (``feed_id``) or for
    every article (None). ``hits`` counts the articles the rule caught (blocked, or kept)."""

    __tablename__ = "filter_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(10))  # block | keep
    field: Mapped[str] = mapped_column(String(10))  # any | title | body | author | url | outlet
    kind: Mapped[str] = mapped_column(String(10))  # words | regex
    pattern: Mapped[str] = mapped_column(String(500))
    hits: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FilteredURL(Base):
    """An incoming article a filter rule dropped, by canonical URL, so later polls neither fetch its page again
    nor count it twice. ``rule_id`` is the block rule that dropped it, None when no keep rule matched; deleting
    a rule forgets what it decided (the article is judged again if its feed still lists it)."""

    __tablename__ = "filtered_urls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("filter_rules.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Story(Base):
    __tablename__ = "stories"

    # Ids come from the story engine so they stay stable as stories grow.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    article_count: Mapped[int] = mapped_column(Integer, default=0)
    outlet_count: Mapped[int] = mapped_column(Integer, default=0)
    # Set when the refinement pass merged this story into an older one: its page redirects there.
    merged_into: Mapped[int | None] = mapped_column(Integer, index=True)
    # Story-level AI output is costly: computed off the request path, cached with the article count it saw.
    analysis: Mapped[dict | None] = mapped_column(JSON)
    analysis_article_count: Mapped[int] = mapped_column(Integer, default=0)


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(1000))
    # The item had no title of its own; this one is the opening of its text, and pages say so.
    title_derived: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text)
    # The page could not be fetched, so the text is the feed's excerpt; the page is tried again at
    # ``refetch_at`` (None once it worked or was given up), ``refetch_attempts`` times so far.
    excerpt_only: Mapped[bool] = mapped_column(Boolean, default=False)
    refetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    refetch_attempts: Mapped[int] = mapped_column(Integer, default=0)
    sentences: Mapped[list[str]] = mapped_column(JSON, default=list)
    author: Mapped[str | None] = mapped_column(String(500))
    image_url: Mapped[str | None] = mapped_column(String(2000))
    language: Mapped[str] = mapped_column(String(8), default="en")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The item had no date: ``published_at`` is when it arrived, and placement reads its lulls as unknown.
    undated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"), index=True)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id"))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id"), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"))
    section: Mapped[str | None] = mapped_column(String(50), index=True)
    summary: Mapped[list[int]] = mapped_column(JSON, default=list)
    quotes: Mapped[list[dict]] = mapped_column(JSON, default=list)
    figures: Mapped[list[dict]] = mapped_column(JSON, default=list)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Why the article joined its story, as the engine judged it (``pipeline.placement_record``); None for the
    # article that started its story, a syndicated copy, or articles placed before this was kept.
    placement: Mapped[dict | None] = mapped_column(JSON)
    # When its enrichment (entities, quotes, figures, summary) was stored; None while it waits in the backlog
    # (``storyline.backlog``): an article is placed in its story first and enriched behind.
    enriched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    outlet: Mapped[Outlet] = relationship(lazy="joined")
    story: Mapped[Story | None] = relationship()
    hashtags: Mapped[list["ArticleEntity"]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="ArticleEntity.rank"
    )

    __table_args__ = (
        Index("ix_articles_story_published", "story_id", "published_at"),
        # An outlet's or a section's newest articles, read in order instead of sorting all of them.
        Index("ix_articles_outlet_published", "outlet_id", "published_at"),
        Index("ix_articles_section_published", "section", "published_at"),
    )


class Entity(Base):
    __tablename__ = "entities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))


class ArticleEntity(Base):
    __tablename__ = "article_entities"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), primary_key=True, index=True)
    mentions: Mapped[int] = mapped_column(Integer, default=1)
    rank: Mapped[int] = mapped_column(Integer, default=0)

    article: Mapped[Article] = relationship(back_populates="hashtags")
    entity: Mapped[Entity] = relationship(lazy="joined")

    # A hashtag's recent articles for For you: from an article id on, without reading the hashtag's older ones.
    __table_args__ = (Index("ix_article_entities_entity_article", "entity_id", "article_id"),)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(lazy="joined")


class CommentReport(Base):
    __tablename__ = "comment_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)


# Readers: what each follows and mutes, and what each has read. Read state grows with what was read, never
# with articles × readers: a row a read article, a "read up to" time a scope, a row an opened story.


class Follow(Base):
    """A reader follows a hashtag, an outlet, a section, a story or a saved search; ``target`` names it (a
    slug, a section name, a story id, the search words). ``feed_token`` is the secret of its private feed."""

    __tablename__ = "follows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(300))
    feed_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "kind", "target"),)


class Mute(Base):
    """A reader no longer sees a hashtag, an outlet or a keyword (in titles) anywhere they read."""

    __tablename__ = "mutes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "kind", "target"),)


class ArticleRead(Base):
    """One article one reader has read (opened or marked)."""

    __tablename__ = "article_reads"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SavedArticle(Base):
    """An article a reader saved for later."""

    __tablename__ = "saved_articles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReadMark(Base):
    """Mark-all-read in a scope ("home", "section:<name>", "follow:<id>"): articles published up to
    ``read_up_to`` count as read there, without a row each."""

    __tablename__ = "read_marks"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(320), primary_key=True)
    read_up_to: Mapped[datetime] = mapped_column(UTCDateTime)


class StoryVisit(Base):
    """When a reader last opened a story, and how big it was then: what is new since is the difference."""

    __tablename__ = "story_visits"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    article_count: Mapped[int] = mapped_column(Integer, default=0)
    outlet_count: Mapped[int] = mapped_column(Integer, default=0)


class ApiPassword(Base):
    """A password a reader gave a reader app (migration 0009), separate from the login password: argon2-hashed
    for the Google Reader API's ClientLogin, and ``fever_key`` the SHA-256 of the Fever API key it makes
    (md5 of "username:password"), so a Fever request is found by one indexed lookup."""

    __tablename__ = "api_passwords"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    fever_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# Alerts (migration 0008): what changed in a story, whom it concerns, and how it reaches them. See ``alerts/``.


class AlertSettings(Base):
    """A reader's alert preferences; a reader without a row has the defaults of ``alerts.throttle``."""

    __tablename__ = "alert_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    digest_hour: Mapped[int] = mapped_column(Integer, default=8)
    digest_weekly: Mapped[bool] = mapped_column(Boolean, default=False)
    quiet_start: Mapped[int | None] = mapped_column(Integer)
    quiet_end: Mapped[int | None] = mapped_column(Integer)
    interval_minutes: Mapped[int] = mapped_column(Integer, default=180)
    daily_cap: Mapped[int] = mapped_column(Integer, default=10)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language alerts and digests are written in (an interface locale); None until the reader chooses one
    # or first adds a channel, when it is the language of the page they did it on.
    language: Mapped[str | None] = mapped_column(String(8))


class AlertChannel(Base):
    """Where a reader's alerts go: an email address, an Apprise URL or a webhook (``secret`` signs its body).
    ``failures`` counts failed deliveries in a row; a channel with ``disabled_reason`` is not used."""

    __tablename__ = "alert_channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str | None] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "kind", "target"),)


class FollowAlert(Base):
    """How one follow alerts: ``mode`` instant, digest or none, for the development ``kinds`` listed."""

    __tablename__ = "follow_alerts"

    follow_id: Mapped[int] = mapped_column(ForeignKey("follows.id", ondelete="CASCADE"), primary_key=True)
    mode: Mapped[str] = mapped_column(String(10))
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)


class StorySnapshot(Base):
    """A story as developments were last measured (``alerts.developments.StoryState``)."""

    __tablename__ = "story_snapshots"

    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[dict] = mapped_column(JSON)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Development(Base):
    """Something that changed in a story: its headline, and in ``detail`` the anchor on the story page and the
    summary lines it cites."""

    __tablename__ = "developments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    headline: Mapped[str] = mapped_column(String(1000))
    detail: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_developments_story_created", "story_id", "created_at"),)


class Alert(Base):
    """One development for one reader: ``status`` pending (not yet decided), sent (instantly), held (for the
    next digest), digested."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    development_id: Mapped[int] = mapped_column(ForeignKey("developments.id", ondelete="CASCADE"))
    # The follow that raised it (a development several follows concern alerts once, through the first).
    follow_id: Mapped[int | None] = mapped_column(ForeignKey("follows.id", ondelete="SET NULL"))
    story_id: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    development: Mapped[Development] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("user_id", "development_id"),
        Index("ix_alerts_status_user", "status", "user_id"),
        Index("ix_alerts_follow", "follow_id"),
    )


class AlertDelivery(Base):
    """One message to one channel, written before it is sent: ``key`` (unique) is its idempotency key, also
    sent along so the receiver can tell a repeat; ``leased_until`` keeps two workers off the same row."""

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("alert_channels.id", ondelete="CASCADE"))
    alert_ids: Mapped[list[int]] = mapped_column(JSON)
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    channel: Mapped[AlertChannel] = relationship(lazy="joined")

    __table_args__ = (Index("ix_alert_deliveries_status_next", "status", "next_try_at"),)
