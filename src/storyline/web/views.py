"""What pages and the API show, assembled from stored rows (no SQL here: it lives in ``storyline.store``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from storyline.store import queries
from storyline.store.models import Article, Comment, Outlet, Story
from storyline.web.text import language_code, safe_http_url

TOP_STORY_WINDOW = timedelta(hours=48)
TOP_STORIES = 9
SECTION_PREVIEW = 4
HOME_SECTIONS = 6
LATEST = 20


@dataclass(frozen=True)
class JoinReason:
    """Why an article is in its story: what it shares with the story, how alike the two read, and when."""

    names: list[str]  # the entities shared, rarest first, as stored (English)
    words: list[str]  # then the words, rarest first, up to ``SHARED_SHOWN`` in all
    similarity: float
    # since the story's first report; negative for an article published before it that arrived later (a feed
    # polled late, a backfill): placement judged it by that distance
    after_first: timedelta
    rejoined: bool = False  # the story had gone quiet and was retired; this article woke it
    merged: bool = False  # it started a story that was later merged into this one

    @property
    def shared(self) -> list[str]:
        return self.names + self.words

    @property
    def before_first(self) -> bool:
        return self.after_first < timedelta(0)

    @property
    def gap(self) -> timedelta:
        """How far from the first report, before or after it."""
        return abs(self.after_first)


@dataclass
class Coverage:
    """One original article, with the outlets that ran a syndicated copy of it."""

    article: Article
    also_in: list[str] = field(default_factory=list)
    joined: JoinReason | None = None


SHARED_SHOWN = 6


def join_reason(article: Article, story: Story) -> JoinReason | None:
    """The stored placement evidence as a reader reads it; None where the article started its story or was
    placed without a judgement (a syndicated copy, a replay)."""
    evidence = article.placement
    if not evidence:
        return None
    names = list(evidence.get("entities") or [])
    lowered = {word for name in names for word in name.casefold().split()}
    words = [term for term in evidence.get("terms") or [] if term not in lowered]
    names = names[:SHARED_SHOWN]
    return JoinReason(
        names=names,
        words=words[: SHARED_SHOWN - len(names)],
        # Across languages the similarity is the bridge's score on MiniLM's scale, which can pass 1 (``bridge``)
        similarity=min(max(float(evidence.get("cosine", 0.0)), -1.0), 1.0),
        after_first=article.published_at - story.created_at,
        rejoined=bool(evidence.get("rejoined")),
        merged=bool(evidence.get("merged")),
    )


def language_first(articles: Sequence[Article], locale: str | None) -> list[Article]:
    """The articles in the reader's language first, each group in its given order."""
    if locale is None:
        return list(articles)
    return sorted(articles, key=lambda article: language_code(article.language) != locale)


@dataclass
class StoryCard:
    story: Story
    lead: Article
    title: str  # the lead's headline: the story's title, or a headline in the reader's language
    outlets: list[str]
    image_url: str | None
    comments: int


@dataclass
class CommentNode:
    comment: Comment
    children: list[CommentNode] = field(default_factory=list)

    @property
    def removed(self) -> bool:
        return self.comment.deleted or self.comment.hidden


def collapse_duplicates(rows: Sequence[Article], copies: Iterable[tuple[int, int, str]]) -> list[Coverage]:
    """Each original article with the other outlets that ran a syndicated copy of it ("also in"); ``copies``
    are (original id, outlet id, outlet name) as ``queries.story_copy_outlets`` gives them."""
    coverage = {row.id: Coverage(row) for row in rows}
    for original_id, outlet_id, name in copies:
        item = coverage.get(original_id)
        if item is not None and outlet_id != item.article.outlet_id and name not in item.also_in:
            item.also_in.append(name)
    return list(coverage.values())


def story_coverage(session: Session, story_id: int, rows: Sequence[Article]) -> list[Coverage]:
    """``rows`` of the story as a coverage list: copies folded into their originals."""
    return collapse_duplicates(rows, queries.story_copy_outlets(session, story_id, [row.id for row in rows]))


STORY_HASHTAGS = 20  # a story page's header and the API name the story's most mentioned hashtags


@dataclass(frozen=True)
class StoryHashtag:
    name: str
    slug: str
    kind: str


def story_hashtags(session: Session, story_id: int, analysis: dict | None) -> list[StoryHashtag]:
    """The story's most mentioned hashtags: its analysis's, merged story-wide over every article when it was
    analysed (counting them again would read every hashtag of a story of 10,000 articles each view); counted
    in the database while the story has no analysis yet."""
    if analysis and analysis.get("hashtags") is not None:
        return [StoryHashtag(tag["name"], tag["slug"], tag["kind"]) for tag in analysis["hashtags"][:STORY_HASHTAGS]]
    entities = queries.story_entities(session, story_id, STORY_HASHTAGS)
    return [StoryHashtag(entity.name, entity.slug, entity.kind) for entity, _ in entities]


RELATED_SHOWN = 20  # an article page lists the story's newest coverage, however big the story


def related_coverage(session: Session, article: Article) -> tuple[list[Coverage], list[str]]:
    """The story's newest other articles (other outlets first, newest first within each group), and the
    outlets that carry a syndicated copy of this one."""
    if article.story_id is None:
        return [], []
    rows = queries.story_latest_coverage(session, article.story_id, RELATED_SHOWN + 1)
    others = [row for row in rows if row.id != article.id][:RELATED_SHOWN]
    coverage = story_coverage(session, article.story_id, [article, *others])
    own, related = coverage[0].also_in, coverage[1:]
    related.sort(key=lambda item: (item.article.outlet_id == article.outlet_id, -item.article.published_at.timestamp()))
    return related, own


def front_page_stories(session: Session, now: datetime | None = None) -> list[Story]:
    """The top stories of the last two days by breadth of coverage, topped up with the latest ones."""
    now = now or datetime.now(timezone.utc)
    # The window follows the newest story, so a quiet instance (or an old archive) still has a front page.
    newest = queries.newest_story_update(session) or now
    stories = queries.top_stories(session, newest - TOP_STORY_WINDOW, limit=TOP_STORIES)
    if len(stories) < TOP_STORIES:
        seen = {story.id for story in stories}
        stories += [s for s in queries.latest_stories(session, TOP_STORIES) if s.id not in seen]
    return stories[:TOP_STORIES]


def home(session: Session, locale: str | None = None, now: datetime | None = None) -> dict:
    """The front page; with ``locale``, the reader's language's articles come first in each list and lead
    their stories' cards."""
    stories = front_page_stories(session, now)
    members = queries.stories_lead_articles(session, [story.id for story in stories])
    latest = language_first(queries.latest_articles(session, limit=LATEST), locale)
    sections = [
        (name, queries.latest_articles(session, limit=SECTION_PREVIEW, section=name))
        for name, _ in queries.section_counts(session)[:HOME_SECTIONS]
    ]
    shown = members + latest + [article for _, articles in sections for article in articles]
    counts = queries.comment_counts(session, sorted({article.id for article in shown}))
    return {
        "stories": story_cards(stories, members, counts, locale),
        "latest": latest,
        "sections": sections,
        "comment_counts": counts,
    }


def headline(story: Story, articles: Sequence[Article], locale: str | None) -> tuple[Article, str]:
    """The article whose headline stands for the story among ``articles`` (not empty), and that headline: the
    one that became the story's title (so a card's title and link agree), unless it is in another language than
    the reader's and one of ``articles`` is in theirs, whose headline then stands for it (the first report of an
    event may be a German outlet's)."""
    lead = next((article for article in articles if article.title == story.title), articles[0])
    in_language = [article for article in articles if language_code(article.language) == locale]
    if in_language and language_code(lead.language) != locale:
        return in_language[0], in_language[0].title
    return lead, story.title


def story_cards(
    stories: Sequence[Story], members: Sequence[Article], counts: dict[int, int], locale: str | None = None
) -> list[StoryCard]:
    by_story: dict[int, list[Article]] = defaultdict(list)
    for article in members:
        by_story[article.story_id].append(article)
    cards = []
    for story in stories:
        articles = by_story.get(story.id)
        if not articles:
            continue
        images = [url for url in (safe_http_url(a.image_url) for a in articles) if url]
        outlets = list(dict.fromkeys(article.outlet.name for article in articles))
        lead, title = headline(story, articles, locale)
        cards.append(
            StoryCard(
                story=story,
                lead=lead,
                title=title,
                outlets=outlets,
                image_url=images[0] if images else None,
                comments=sum(counts.get(article.id, 0) for article in articles),
            )
        )
    return cards


def comment_tree(comments: Sequence[Comment]) -> list[CommentNode]:
    """Threads in posting order; removed comments stay only as placeholders that hold visible replies."""
    nodes = {comment.id: CommentNode(comment) for comment in comments}
    roots: list[CommentNode] = []
    for comment in comments:
        parent = nodes.get(comment.parent_id) if comment.parent_id is not None else None
        (parent.children if parent else roots).append(nodes[comment.id])
    return _prune(roots)


def _prune(nodes: list[CommentNode]) -> list[CommentNode]:
    kept = []
    for node in nodes:
        node.children = _prune(node.children)
        if not node.removed or node.children:
            kept.append(node)
    return kept


def sentence_link(article_id: str, sentence: int, language: str = "en") -> str:
    return f"/{language}/article/{article_id}#s{sentence}"


def outlet_comparison(outlets: Sequence[tuple[Outlet, int, datetime]], exclusives: dict[str, list[dict]]) -> list[dict]:
    """One line per outlet, earliest first: how many articles, when it first reported, what only it reports."""
    return [
        {"name": outlet.name, "slug": outlet.slug, "articles": count, "first": first,
         "exclusives": exclusives.get(outlet.name, [])}
        for outlet, count, first in outlets
    ]  # fmt: skip
