"""The one path an article takes: collect -> extract -> enrich -> group into a story -> store.

``Processor`` does the in-memory part (used as is by ``storyline analyze``); ``ingest`` adds storage.
Each input succeeds or fails on its own: a bad page never stops the batch.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from storyline import nlp
from storyline.alerts.detect import story_refreshed
from storyline.domain import (
    Article,
    ArticleAnalysis,
    ArticleInput,
    Citation,
    Figure,
    Hashtag,
    Quote,
    StoryAnalysis,
)
from storyline.enrich import langid, sections
from storyline.enrich.aliases import LANGUAGES
from storyline.enrich.analyze import (
    STORY_SAMPLE,
    StoryTally,
    analyze_article,
    analyze_story,
    representatives,
    sampled_story_analysis,
    story_speaker,
)
from storyline.enrich.entities import (
    extract_hashtags,
    known_name_hashtags,
    reads_known_names_only,
    spelled_slugs,
    story_renames,
    unique_hashtags,
)
from storyline.errors import ExtractError, InputError, StoreError, StorylineError
from storyline.extract import extract_article, title_from_text
from storyline.fetch import encodable, plain_text
from storyline.fetch.urls import canonical_url, require_http_url
from storyline.logs import get_logger
from storyline.rules import Fields, compile_stored, decide
from storyline.store import feeds_admin, queries, reading, transaction, writing
from storyline.store.models import Article as ArticleRow
from storyline.store.models import Story as StoryRow
from storyline.stories.engine import Evidence, StoryEngine, StoryItem
from storyline.stories.refine import Merge, Refinement, Refiner

if TYPE_CHECKING:
    from sqlalchemy import Row

    from storyline.runtime import Runtime

log = get_logger("pipeline")
Placeable = TypeVar("Placeable", "Analyzed", "Processed")

ENGINE_REPLAY_WINDOW = timedelta(days=7)
# A page that failed to fetch is tried again this long after (then later and later, see ``collect``).
REFETCH_FIRST_DELAY = timedelta(minutes=15)
EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=timezone.utc)  # before the web; anything earlier is a placeholder
LATEST_AHEAD = timedelta(days=2)  # time zones and embargoes; later than that is a mistake
UNKNOWN_SOURCE = "Unknown outlet"


def public_id_for(url: str) -> str:
    """A stable opaque id: the same canonical URL always gets the same id."""
    digest = hashlib.sha256(url.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii")[:12].lower()


def embedding_text(article: Article) -> str:
    return nlp.lead_text(article.title, article.text)


@dataclass(slots=True)
class Processed:
    article: Article
    analysis: ArticleAnalysis
    embedding: np.ndarray
    story_id: int
    duplicate_of: str | None
    external_id: str | None = None
    feed_id: int | None = None
    evidence: Evidence | None = None
    # The merge that brought the story it started into another (``process_and_refine``): why it is there.
    merged_by: Merge | None = None
    enriched: bool = True  # False: placed first, its enrichment waits in the backlog (``storyline.backlog``)


@dataclass(slots=True)
class Failure:
    subject: str
    error: StorylineError


@dataclass(slots=True)
class BatchResult:
    processed: list[Processed] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def to_article(item: ArticleInput) -> Article:
    """Extract when given HTML, validate, and split the body into the sentences every citation points at."""
    article = unsplit_article(item)
    article.sentences = nlp.split_sentences(article.text)
    return article


def unsplit_article(item: ArticleInput) -> Article:
    """``to_article`` short of splitting, which needs the language models."""
    url = canonical_url(require_http_url(item.url))
    title, text = (item.title or "").strip(), (item.text or "").strip()
    author, image_url, language, published = item.author, item.image_url, item.language, item.published
    if item.html and not text:
        extracted = extract_article(encodable(item.html) or "", url)
        text = extracted.text
        title = title or (extracted.title or "")
        author = author or extracted.author
        image_url = image_url or extracted.image_url
        language = language or extracted.language
        published = published or extracted.published
    title, text, author = encodable(title) or "", encodable(text) or "", encodable(author)
    if not text:
        text = title
    title_derived = not title
    if title_derived:
        title = title_from_text(text)
    if not title:
        raise ExtractError("no title and no text", subject=url)
    dated = plausible_date(published)
    return Article(
        key=public_id_for(url),
        url=url,
        title=title,
        text=text,
        source=(encodable(item.source) or "").strip() or UNKNOWN_SOURCE,
        published=dated or datetime.now(timezone.utc),
        undated=dated is None,
        language=langid.identify(title, text, language)[:8],
        author=author,
        image_url=image_url,
        title_derived=title_derived,
        excerpt_only=item.excerpt_only,
    )


def plausible_date(published: datetime | None, now: datetime | None = None) -> datetime | None:
    """A publication date a page can really have, else None (the arrival time stands in): metadata says year 1
    or 9999 often enough, and arithmetic on such a date overflows downstream (a story window before year 1)."""
    now = now or datetime.now(timezone.utc)
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=timezone.utc)  # a date without a zone is read as UTC, as stored
    if published is None or not EARLIEST_DATE <= published <= now + LATEST_AHEAD:
        return None
    return published


@dataclass(slots=True)
class Analyzed:
    """An article after extraction and enrichment, before it is placed into a story."""

    article: Article
    analysis: ArticleAnalysis
    embedding: np.ndarray
    external_id: str | None = None
    feed_id: int | None = None
    enriched: bool = True


def analyze_inputs(items: Sequence[ArticleInput]) -> tuple[list[Analyzed], list[Failure]]:
    """The stateless, parallelisable part: any worker may run it for any article."""
    articles, embeddings, failures = extract_and_embed(items)
    enriched = enrich_articles([article for _, article in articles], embeddings)
    analyzed: list[Analyzed] = []
    for (item, article), embedding, analysis in zip(articles, embeddings, enriched, strict=True):
        if isinstance(analysis, StorylineError):
            failures.append(Failure(article.url, analysis))
            continue
        analyzed.append(Analyzed(article, analysis, embedding, item.external_id, item.feed_id))
    return analyzed, failures


def extract_and_embed(
    items: Sequence[ArticleInput],
) -> tuple[list[tuple[ArticleInput, Article]], np.ndarray, list[Failure]]:
    """Each valid item with its article and the article's title-and-lead embedding; the items rejected."""
    articles: list[tuple[ArticleInput, Article]] = []
    failures: list[Failure] = []
    for item in items:
        try:
            articles.append((item, unsplit_article(item)))
        except StorylineError as exc:
            log.warning("article rejected", url=item.url, error=str(exc))
            failures.append(Failure(item.url, exc))
    return articles, nlp.embed([embedding_text(article) for _, article in articles]), failures


def enrich_articles(
    articles: Sequence[Article], embeddings: Sequence[np.ndarray]
) -> list[ArticleAnalysis | StorylineError]:
    """Splits each article into sentences (setting ``sentences``) and runs every feature on it: its analysis,
    or the error that stopped it, in order."""
    # One batched parse of every body and headline: the features below read it from the cache.
    parsed = nlp.parse_texts([article.text for article in articles] + [article.title for article in articles])
    for article, body in zip(articles, parsed[: len(articles)], strict=True):
        article.sentences = list(body.sentences)
    results: list[ArticleAnalysis | StorylineError] = []
    for article, embedding in zip(articles, embeddings, strict=True):
        try:
            results.append(analyze_article(article, embedding))
        except StorylineError as exc:
            results.append(exc)
    return results


def embed_inputs(items: Sequence[ArticleInput]) -> tuple[list[Analyzed], list[Failure]]:
    """The least an article needs to be placed in its story: extracted, embedded by title and lead, and its
    section read from that embedding. No spaCy parse: sentences, entities, quotes, figures and the summary are
    the backlog's (``storyline.backlog``), which reads the stored article later. For an article in another
    language than English that section is provisional: its enrichment reads it again through the multilingual
    encoder (``sections.classify``), which placement does not wait for."""
    articles, embeddings, failures = extract_and_embed(items)
    leads = lead_hashtags([article for _, article in articles])
    analyzed = [
        Analyzed(
            article,
            ArticleAnalysis(sentences=[], section=sections.from_embedding(embedding), summary=[], hashtags=hashtags),
            embedding,
            item.external_id,
            item.feed_id,
            enriched=False,
        )
        for (item, article), embedding, hashtags in zip(articles, embeddings, leads, strict=True)
    ]
    return analyzed, failures


def lead_hashtags(articles: Sequence[Article]) -> list[list[Hashtag]]:
    """The people, organisations and places each article names in its title and lead, the text it is placed by
    (``nlp.lead_text``): parsing that much costs a fraction of the whole body's parse, and placement reads them
    as it reads an enriched article's, until the enrichment's hashtags replace them. Their sentences are the
    lead's, not the stored body's, so none is cited."""
    leads = [replace(article, text=nlp.lead_body(article.text), sentences=[]) for article in articles]
    parsed = nlp.parse_texts([lead.text for lead in leads] + [lead.title for lead in leads])
    for lead, body in zip(leads, parsed[: len(leads)], strict=True):
        lead.sentences = list(body.sentences)
    return [[replace(tag, sentences=[]) for tag in extract_hashtags(lead) if tag.kind != "topic"] for lead in leads]


def publication(article: Article) -> tuple[datetime, bool]:
    """When ``article`` was published, and whether that is only when it arrived (its source gave no date)."""
    if article.published is None:
        return datetime.now(timezone.utc), True
    return article.published, article.undated


def story_item(
    article: Article, embedding: np.ndarray, entity_slugs: Sequence[str], enriched: bool = True
) -> StoryItem:
    published, undated = publication(article)
    return StoryItem(
        key=article.key,
        title=article.title,
        text=article.text,
        source=article.source,
        published=published,
        embedding=embedding,
        entities=list(entity_slugs),
        language=nlp.primary_language(article.language),
        undated=undated,
        enriched=enriched,
    )


def in_publication_order(batch: Iterable[Placeable]) -> list[Placeable]:
    """A batch as it is placed, and stored (so that a restarted writer, which replays articles as they were
    stored, replays them as they were placed): oldest first, as if each article had arrived when it was
    published. Feeds are polled at their own intervals and a poll brings a feed's older entries too, so arrival
    order is not publication order; placed as they arrived, an article older than the story it explains finds
    that story already formed around later reports (AllSides `week` with arrivals 0-6 h late: 0.842 placed as
    they arrived, README). Undated articles are stamped when they arrive, so they come last, as they came."""
    return sorted(batch, key=lambda one: publication(one.article)[0])


class Processor:
    """Holds the online state (story engine and its refiner): the one writer that places articles into stories."""

    def __init__(self, engine: StoryEngine | None = None, refiner: Refiner | None = None) -> None:
        self.engine = engine or StoryEngine()
        self.refiner = refiner or Refiner()
        # Passes that fell due while a batch was placed, applied to the engine and not yet stored: ``refine``
        # hands them to the store with the pass due at the batch's end.
        self.pending = Refinement()

    def refine(self, whatever_the_cadence: bool = False) -> Refinement:
        """The refinement to store after a batch: the passes that fell due while it was placed, then this one."""
        due = self.refiner.refine_now(self.engine) if whatever_the_cadence else self.refiner.refine_if_due(self.engine)
        pending, self.pending = self.pending, Refinement()
        return pending.then(due)

    def place(self, analyzed: Analyzed) -> Processed:
        # The pass due in item time runs before this article moves the engine's clock on, and so before the
        # stories whose lull it ends are retired: run only after the batch, a batch spanning days (an archive
        # imported) reached it when its early stories could no longer be merged.
        self.pending = self.pending.then(self.refiner.refine_if_due(self.engine))
        slugs = [tag.slug for tag in analyzed.analysis.hashtags if tag.kind != "topic"]
        placement = self.engine.add(story_item(analyzed.article, analyzed.embedding, slugs, analyzed.enriched))
        return Processed(
            article=analyzed.article,
            analysis=analyzed.analysis,
            embedding=analyzed.embedding,
            story_id=placement.story_id,
            duplicate_of=placement.duplicate_of,
            external_id=analyzed.external_id,
            feed_id=analyzed.feed_id,
            evidence=placement.evidence,
            enriched=analyzed.enriched,
        )

    def process(self, items: Sequence[ArticleInput], enrich: bool = True) -> BatchResult:
        """Places ``items``, enriched first, or (``enrich`` False) as soon as they are embedded; in publication
        order, reported in the order given."""
        analyzed, failures = analyze_inputs(items) if enrich else embed_inputs(items)
        placed = {id(one): self.place(one) for one in in_publication_order(analyzed)}
        return BatchResult(processed=[placed[id(one)] for one in analyzed], failures=failures)

    def process_and_refine(self, items: Sequence[ArticleInput]) -> BatchResult:
        """``process``, then the refinement pass the writer runs after a batch, each article in the story the
        pass left it in: what an import stores, without a database."""
        batch = self.process(items)
        refinement = self.refine()
        for processed in batch.processed:
            if processed.evidence is None and processed.duplicate_of is None:
                processed.merged_by = refinement.absorbing(processed.story_id)
            processed.story_id = refinement.story_after(processed.article.key, processed.story_id)
        return batch


# Storage ---------------------------------------------------------------------------------------------


def rebuild_engine(session: Session) -> StoryEngine:
    """Replays recent articles with their stored story ids, so a restart keeps every story id."""
    engine = StoryEngine(next_story_id=queries.max_story_id(session) + 1)
    since = datetime.now(timezone.utc) - ENGINE_REPLAY_WINDOW
    for row in queries.articles_since(session, since):
        if row.story_id is None or row.embedding is None:
            continue
        article = Article(
            row.public_id,
            row.url,
            row.title,
            row.text,
            row.outlet.name,
            row.published_at,
            language=row.language,
            undated=row.undated,
        )
        slugs = [link.entity.slug for link in row.hashtags if link.entity.kind != "topic"]
        item = story_item(article, np.frombuffer(row.embedding, dtype=np.float32), slugs, row.enriched_at is not None)
        engine.add(item, story_id=row.story_id)
    return engine


def store_processed(session: Session, processed: Processed) -> ArticleRow:
    """One article's row and hashtags; its story's counts are the caller's (``refresh_counts``, once a batch)."""
    article, analysis = processed.article, processed.analysis
    outlet = queries.get_or_create_outlet(session, article.source)
    published, undated = publication(article)
    queries.upsert_story(session, processed.story_id, article.title, published)
    duplicate = queries.get_article(session, processed.duplicate_of) if processed.duplicate_of else None
    row = ArticleRow(
        public_id=article.key,
        url=article.url,
        external_id=processed.external_id,
        title=article.title,
        title_derived=article.title_derived,
        text=article.text,
        excerpt_only=article.excerpt_only,
        sentences=article.sentences,
        author=article.author,
        image_url=article.image_url,
        language=article.language,
        published_at=published,
        undated=undated,
        outlet_id=outlet.id,
        feed_id=processed.feed_id,
        story_id=processed.story_id,
        duplicate_of_id=duplicate.id if duplicate else None,
        section=analysis.section,
        summary=analysis.summary,
        quotes=[_asdict(quote) for quote in analysis.quotes],
        figures=[_asdict(figure) for figure in analysis.figures],
        embedding=processed.embedding.astype(np.float32).tobytes(),
        refetch_at=datetime.now(timezone.utc) + REFETCH_FIRST_DELAY if article.excerpt_only else None,
        enriched_at=datetime.now(timezone.utc) if processed.enriched else None,
    )
    hashtags = with_stored_names(session, article, analysis.hashtags) if processed.enriched else analysis.hashtags
    row.placement = placement_record(processed.evidence, evidence_names(session, processed.evidence, hashtags)) or (
        merge_record(session, processed.merged_by) if processed.merged_by else None
    )
    session.add(row)
    session.flush()
    store_hashtags(session, row, hashtags)
    return row


def refresh_counts(session: Session, story_ids: Iterable[int]) -> None:
    """Recounts each story's articles and outlets once, after a batch: counted after every article, a story's
    count alone grew with the square of its size."""
    for story_id in sorted(set(story_ids)):
        queries.refresh_story_counts(session, story_id)


def with_stored_names(session: Session, article: Article, hashtags: Sequence[Hashtag]) -> list[Hashtag]:
    """The enriched ``article``'s ``hashtags`` as they are stored. An article in a language no entity pipeline
    reads (German) has for hashtags only the alias table's names it writes (``known_name_hashtags``); they are
    found again here with the stored people, organisations and places, which other coverage found, whose names
    it writes too ("Yvette Cooper", "Keir Starmer"), so that its hashtags and the hashtag pages name them."""
    if not reads_known_names_only(article.language):
        return list(hashtags)
    return known_name_hashtags(article, queries.named_entities(session, spelled_slugs(article)))


# The languages whose articles' hashtags are the stored names they write (``with_stored_names``).
KNOWN_NAMES_ONLY = tuple(code for code in LANGUAGES if reads_known_names_only(code))


def reread_written_names(
    session: Session, story_id: int, names_before: Collection[str], names: Iterable[Hashtag]
) -> None:
    """An article in a language no entity pipeline reads names only what was stored when it was enriched, so a
    German report that came before its story's English coverage named nobody. When the story's analysis finds
    people, organisations or places that ``names_before`` (its previous analysis's hashtags) lacked, its
    articles in such languages are read again against what is stored now, a batch at a time."""
    if all(tag.kind == "topic" or tag.slug in names_before for tag in names):
        return
    ids = queries.story_article_ids_in(session, story_id, KNOWN_NAMES_ONLY)
    for start in range(0, len(ids), STORY_BATCH):
        for row in queries.articles_with_hashtags(session, ids[start : start + STORY_BATCH]):
            article, analysis = row_to_domain(row)
            hashtags = with_stored_names(session, article, analysis.hashtags)
            if {tag.slug for tag in hashtags} - {tag.slug for tag in analysis.hashtags}:
                row.hashtags.clear()
                session.flush()
                store_hashtags(session, row, hashtags)


def evidence_names(session: Session, evidence: Evidence | None, hashtags: Sequence[Hashtag]) -> dict[str, str]:
    """The names of the entities ``evidence`` shares: as the article names them, else as stored (the names a
    German article spells out are ones other coverage found)."""
    names = {tag.slug: tag.name for tag in hashtags}
    unnamed = [slug for slug in evidence.entities if slug not in names] if evidence is not None else []
    return queries.entity_names(session, unnamed) | names


def placement_record(evidence: Evidence | None, names: Mapping[str, str]) -> dict | None:
    """What the story page and the API show of why an article joined its story, entity slugs named by
    ``names`` (``evidence_names``)."""
    if evidence is None:
        return None
    return {
        "probability": round(evidence.probability, 3),
        "cosine": round(evidence.cosine, 3),
        "lull_s": int(evidence.lull.total_seconds()),
        "entities": [names.get(slug, slug) for slug in evidence.entities],
        "terms": list(evidence.terms),
        "rejoined": evidence.rejoined,
    }


def merge_record(session: Session, merge: Merge) -> dict:
    """Why the first report of a story merged into another is in it, as ``placement_record`` tells it of an
    article that joined: the names the two stories share and how alike their means read."""
    names = queries.entity_names(session, merge.entities)
    return {
        "cosine": merge.cosine,
        "entities": [names.get(slug, slug) for slug in merge.entities],
        "terms": [],
        "merged": True,
    }


def store_hashtags(session: Session, row: ArticleRow, hashtags: Sequence[Hashtag]) -> None:
    # Every step before this one keeps hashtags one a slug; storing relies on it (one row an entity), so it is
    # made sure of here too, where a duplicate would cost the whole article.
    for rank, tag in enumerate(unique_hashtags(hashtags)):
        entity = queries.get_or_create_entity(session, tag.slug, tag.name, tag.kind)
        session.add(queries.ArticleEntity(article_id=row.id, entity_id=entity.id, mentions=tag.mentions, rank=rank))


def complete_excerpt(factory: sessionmaker[Session], public_id: str, html: str) -> None:
    """Replaces a stored feed excerpt with its page's article, analysed afresh; the article keeps its id, its
    story and its place in it (the story's analysis is marked stale). Raises the stage's error when the page
    holds no article."""
    with reading(factory) as session:
        row = queries.get_article(session, public_id)
        if row is None or not row.excerpt_only:
            return
        item = ArticleInput(
            url=row.url,
            html=html,
            title=None if row.title_derived else row.title,
            source=row.outlet.name,
            published=row.published_at,
            language=row.language,
            author=row.author,
            image_url=row.image_url,
        )
    analyzed, failures = analyze_inputs([item])
    if failures:
        raise failures[0].error
    article, analysis = analyzed[0].article, analyzed[0].analysis
    with transaction(factory) as session:
        row = queries.get_article(session, public_id)
        if row is None:
            return
        row.title, row.title_derived = article.title, article.title_derived
        row.text = article.text
        row.author, row.image_url = article.author, article.image_url
        row.embedding = analyzed[0].embedding.astype(np.float32).tobytes()
        row.excerpt_only, row.refetch_at = False, None
        store_enrichment(session, row, article, analysis)
    log.info("feed excerpt completed from its page", url=article.url)


def store_enrichment(session: Session, row: ArticleRow, article: Article, analysis: ArticleAnalysis) -> None:
    """Replaces the stored ``article``'s enrichment with ``analysis``, marks it enriched, and its story's analysis
    stale."""
    row.sentences, row.section, row.summary = analysis.sentences, analysis.section, analysis.summary
    row.quotes = [_asdict(quote) for quote in analysis.quotes]
    row.figures = [_asdict(figure) for figure in analysis.figures]
    row.enriched_at = datetime.now(timezone.utc)
    row.hashtags.clear()
    session.flush()
    store_hashtags(session, row, with_stored_names(session, article, analysis.hashtags))
    if row.story_id is not None:
        queries.invalidate_story_analysis(session, [row.story_id])


def refine_stories(session: Session, processor: Processor, whatever_the_cadence: bool = False) -> Refinement:
    """Runs the periodic merge/split pass (``stories/refine.py``) and stores what it changed.

    Called by both writers, ``ingest`` and the ``stories`` queue's ``place_batch``, at the end of every
    batch and inside the batch's transaction. It belongs there rather than on a beat schedule because the
    live stories it judges exist only in the writer's in-memory engine, which it changes: run anywhere else it
    would need a second engine, and run in its own transaction a failure could leave the engine and the
    database disagreeing (the writer rebuilds its engine from the database when a batch's transaction fails).
    The refiner keeps its own cadence in item time, so most batches cost one comparison of timestamps; an
    import ends with a pass ``whatever_the_cadence``, since no later article will bring the one that is due.
    """
    refinement = processor.refine(whatever_the_cadence)
    if refinement:
        store_refinement(session, refinement)
        log.info("stories refined", merges=len(refinement.merges), splits=len(refinement.splits))
    return refinement


def store_refinement(session: Session, refinement: Refinement) -> None:
    """Moves articles as the engine moved them, in the order it did: splits, then merges (a merge may take
    in a story a split just made). Merged stories keep their row, pointing at the survivor. Each story that
    lost or gained articles is titled after its earliest one once all have moved: a split may take a story's
    first report, and the survivor of a merge is the older id, not always the story that began first (an
    earlier report can arrive late)."""
    for split in refinement.splits:
        story = queries.upsert_story(session, split.new_story_id, split.title, split.first_seen)
        story.updated_at = split.last_seen
        queries.move_articles_to_story(session, split.moved_keys, split.new_story_id)
    for merge in refinement.merges:
        queries.place_unplaced_articles(session, merge.absorbed_id, merge_record(session, merge))
        queries.mark_story_merged(session, merge.absorbed_id, merge.survivor_id)
    regrouped = [split.story_id for split in refinement.splits] + [merge.survivor_id for merge in refinement.merges]
    for story_id in dict.fromkeys(regrouped):
        queries.retitle_story(session, story_id)
    touched = refinement.touched_story_ids()
    for story_id in touched:
        queries.refresh_story_counts(session, story_id)
    queries.invalidate_story_analysis(session, touched)


def _asdict(obj: object) -> dict:
    return {name: getattr(obj, name) for name in obj.__slots__}  # type: ignore[attr-defined]


@dataclass(slots=True)
class IngestReport:
    imported: int = 0
    skipped: int = 0
    failed: list[Failure] = field(default_factory=list)
    filtered: int = 0  # dropped by a filter rule (``rules``)

    def merge(self, other: IngestReport) -> None:
        self.imported += other.imported
        self.skipped += other.skipped
        self.failed.extend(other.failed)
        self.filtered += other.filtered


def ingest(
    factory: sessionmaker[Session],
    processor: Processor,
    items: Iterable[ArticleInput],
    report: IngestReport | None = None,
    enrich: bool = True,
) -> IngestReport:
    """Process and store one batch in one transaction; articles already stored (by canonical URL) are skipped,
    so running an import again, or after a crash, stores every article exactly once. Without ``enrich``, each
    article is stored and placed once it is embedded, and left to the backlog (``storyline.backlog``)."""
    report = report or IngestReport()
    fresh = apply_filter_rules(factory, new_inputs(factory, items, report), report)
    if not fresh:
        return report
    batch = processor.process(fresh, enrich)
    report.failed.extend(batch.failures)
    with transaction(factory) as session:
        stored = store_each(session, processor, batch.processed, report.failed)
        refine_stories(session, processor)
    report.imported += len(stored)
    return report


def filter_fields(item: ArticleInput) -> Fields:
    """What filter rules look at: the item's own fields, the body as plain text."""
    return Fields(
        title=item.title or "",
        body=item.text or plain_text(item.html),
        author=item.author or "",
        url=item.url,
        outlet=item.source or "",
    )


def apply_filter_rules(
    factory: sessionmaker[Session], items: Sequence[ArticleInput], report: IngestReport
) -> list[ArticleInput]:
    """The items the filter rules keep: every item an import or a poll stores passes here, before any model
    time is spent on it. Pages are extracted first when rules apply (so rules see the article's title and
    body, not the page's markup; analysis then does not extract them again). Dropped items are counted in
    ``report.filtered`` and on their rule, and remembered, so a later poll skips them."""
    if not items:
        return list(items)
    with reading(factory) as session:
        rows = feeds_admin.rules_for_feeds(session, sorted({item.feed_id for item in items if item.feed_id}))
        stored_rules = compile_stored(rows)
        urls = {id(item): _canonical_or_none(item.url) for item in items}
        dropped_before = feeds_admin.filtered_urls(session, [url for url in urls.values() if url])
    items = [item for item in items if urls[id(item)] not in dropped_before]
    report.skipped += len(urls) - len(items)
    if not stored_rules or not items:
        return list(items)
    prepared, _ = prepared_for_parsing(items)
    kept: list[ArticleInput] = []
    hits: dict[int, int] = {}
    dropped: list[tuple[str, int | None, int | None]] = []
    for original, item in zip(items, prepared, strict=True):
        decision = decide([rule for rule in stored_rules if rule.applies_to(item.feed_id)], filter_fields(item))
        if decision.rule_id is not None:
            hits[decision.rule_id] = hits.get(decision.rule_id, 0) + 1
        if decision.keep:
            kept.append(item)
            continue
        report.filtered += 1
        log.info("article filtered out", url=item.url, rule=decision.rule_id)
        if urls[id(original)]:
            dropped.append((urls[id(original)], item.feed_id, decision.rule_id))
    with transaction(factory) as session:
        feeds_admin.count_hits(session, hits)
        feeds_admin.remember_filtered(session, dropped)
    return kept


def _canonical_or_none(url: str) -> str | None:
    try:
        return canonical_url(require_http_url(url))
    except InputError:
        return None


def store_each(
    session: Session, processor: Processor, batch: Iterable[Processed], failures: list[Failure]
) -> list[ArticleRow]:
    """Stores each article in a savepoint of its own: one the database refuses (a constraint, an encoding or a
    length it will not take) is rolled back alone, withdrawn from its story and reported with its URL, and the
    rest of the batch is stored. Errors of the connection itself are not the article's and stop the batch.
    Stored in the order they were placed (``in_publication_order``)."""
    stored = []
    for processed in in_publication_order(batch):
        try:
            with session.begin_nested():
                stored.append(store_processed(session, processed))
        except (OperationalError, InterfaceError):
            raise
        except Exception as exc:  # whatever one article's row provokes concerns that article alone
            processor.engine.withdraw(processed.article.key)
            error = StoreError(f"refused the article: {_first_line(exc)}", subject=processed.article.url)
            log.warning("article not stored", url=processed.article.url, error=str(error))
            failures.append(Failure(processed.article.url, error))
    refresh_counts(session, (row.story_id for row in stored))
    return stored


def _first_line(exc: BaseException) -> str:
    """The gist of a driver's error: its class and first line, without the SQL and parameters that follow."""
    message = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {message[0][:300]}" if message else exc.__class__.__name__


def new_inputs(
    factory: sessionmaker[Session], items: Iterable[ArticleInput], report: IngestReport | None = None
) -> list[ArticleInput]:
    """The items whose canonical URL is not stored yet, once each; bad URLs and skips are counted in ``report``."""
    report = report or IngestReport()
    urls: dict[str, ArticleInput] = {}
    valid = 0
    for item in items:
        try:
            urls.setdefault(canonical_url(require_http_url(item.url)), item)
            valid += 1
        except InputError as exc:
            report.failed.append(Failure(item.url, exc))
    with reading(factory) as session:
        known = queries.existing_urls(session, list(urls))
    report.skipped += len(known) + valid - len(urls)
    return [item for url, item in urls.items() if url not in known]


def prepared_for_parsing(items: Sequence[ArticleInput]) -> tuple[list[ArticleInput], list[str]]:
    """The items with their pages extracted, so that analysis does not extract them again, and the bodies and
    headlines that ``analyze_inputs`` will parse for them."""
    prepared, texts = [], []
    for item in items:
        try:
            article = unsplit_article(item)
        except StorylineError:
            prepared.append(item)  # rejected again, and reported, when the batch is analysed
            continue
        if item.html and not (item.text or "").strip():
            item = replace(
                item,
                html=None,
                title=article.title,
                text=article.text,
                author=article.author,
                image_url=article.image_url,
                language=article.language,
                published=article.published,
            )
        prepared.append(item)
        texts += [article.text, article.title]
    return prepared, texts


def ingest_batches(
    runtime: Runtime,
    batches: Iterable[list[ArticleInput]],
    report: IngestReport,
    on_batch: Callable[[list[ArticleInput]], None] = lambda batch: None,
    enrich: bool = True,
) -> IngestReport:
    """``ingest`` over a stream of batches, one writer at a time. With ``parse_processes`` set, each batch after
    the first has its new articles parsed in background processes while the batch before it is embedded,
    analysed and stored. The first is parsed here, while those processes start, so a one-batch import waits
    for none. ``on_batch`` is told of each batch once it is stored; ``enrich``: see ``ingest``."""
    with nlp.ParseAhead(runtime.settings.parse_processes) as ahead:
        waiting: tuple[list[ArticleInput], list] | None = None
        for batch in batches:
            if waiting is None:
                waiting = (batch, [])
                continue
            # Only to spare parsing what is stored: storing checks again, after the batch before this one.
            fresh = new_inputs(runtime.sessions, batch)
            prepared, texts = prepared_for_parsing(fresh)
            ticket = ahead.submit(texts)
            _ingest_parsed(runtime, ahead, *waiting, report, on_batch, enrich)
            replacements = {id(item): done for item, done in zip(fresh, prepared, strict=True)}
            waiting = ([replacements.get(id(item), item) for item in batch], ticket)
        if waiting is not None:
            _ingest_parsed(runtime, ahead, *waiting, report, on_batch, enrich)
            with runtime.writer() as processor, transaction(runtime.sessions) as session:
                refine_stories(session, processor, whatever_the_cadence=True)
    return report


def _ingest_parsed(runtime, ahead: nlp.ParseAhead, batch, ticket, report: IngestReport, on_batch, enrich) -> None:
    ahead.collect(ticket)
    with runtime.writer() as processor:
        ingest(runtime.sessions, processor, batch, report, enrich=enrich)
    on_batch(batch)


# In memory -------------------------------------------------------------------------------------------


def analyze_jsonl(lines: Iterable[str]) -> dict:
    """The whole pipeline without a database, for ``storyline analyze``: articles, then their stories."""
    from storyline.fetch.jsonl import read_jsonl

    errors: list[str] = []
    items: list[ArticleInput] = []
    for line_number, item in read_jsonl(lines):
        if isinstance(item, StorylineError):
            errors.append(f"line {line_number}: {item}")
        else:
            items.append(item)
    batch = Processor().process_and_refine(items)
    errors.extend(str(failure.error) for failure in batch.failures)
    ids = {p.article.key: p.external_id or p.article.key for p in batch.processed}
    stories: dict[int, list[Processed]] = {}
    for processed in batch.processed:
        stories.setdefault(processed.story_id, []).append(processed)
    articles_out = [_article_json(p, ids) for p in batch.processed]
    stories_out = []
    for story_id, members in stories.items():
        story = analyze_story([p.article for p in members], [p.analysis for p in members])
        payload = story_payload(story, ids.__getitem__)
        stories_out.append({"id": story_id, "article_ids": [ids[p.article.key] for p in members], **payload})
    return {"articles": articles_out, "stories": stories_out, "errors": errors}


def _article_json(processed: Processed, ids: dict[str, str]) -> dict:
    analysis = processed.analysis
    article_id = ids[processed.article.key]
    return {
        "id": article_id,
        "story": processed.story_id,
        "duplicate_of": ids.get(processed.duplicate_of) if processed.duplicate_of else None,
        "section": analysis.section,
        "summary": analysis.summary_text(),
        "summary_sentences": analysis.summary,
        "hashtags": [{"name": t.name, "kind": t.kind, "slug": t.slug} for t in analysis.hashtags],
        "quotes": [
            {"text": q.text, "speaker": q.speaker, "article_id": article_id, "sentence": q.sentence}
            for q in analysis.quotes
        ],
        "figures": [
            {"value": f.value, "text": f.text, "counts": f.counts, "sentence": f.sentence} for f in analysis.figures
        ],
    }


def story_payload(story: StoryAnalysis, article_id: Callable[[str], str]) -> dict:
    """The JSON form of a story's AI output; ``article_id`` maps internal keys to the ids shown to users."""

    def cite(citation: Citation) -> dict:
        return {
            "article_id": article_id(citation.article_key),
            "sentence": citation.sentence,
            "text": citation.text,
            "source": citation.source,
        }

    return {
        "summary": " ".join(citation.text for citation in story.summary),
        "summary_citations": [cite(c) for c in story.summary],
        "hashtags": [{"name": t.name, "kind": t.kind, "slug": t.slug} for t in story.hashtags],
        "quotes": [
            {
                "text": q["text"],
                "speaker": q["speaker"],
                "speaker_slug": q["speaker_slug"],
                "article_id": article_id(q["first"].article_key),
                "first": cite(q["first"]),
                "carried_by": q["carried_by"],
            }
            for q in story.quotes
        ],
        "figures": [{**group, "evidence": [cite(c) for c in group["evidence"]]} for group in story.figures],
        "exclusives": {outlet: [cite(c) for c in cites] for outlet, cites in story.exclusives.items()},
    }


def row_to_domain(row: ArticleRow, body: bool = True) -> tuple[Article, ArticleAnalysis]:
    """The stored article and its analysis; without ``body``, only what ``queries.story_articles_outline``
    reads (no text, sentences, summary or figures)."""
    article = Article(
        key=row.public_id,
        url=row.url,
        title=row.title,
        text=row.text if body else "",
        source=row.outlet.name,
        published=row.published_at,
        language=row.language,
        author=row.author if body else None,
        image_url=row.image_url if body else None,
        sentences=list(row.sentences or []) if body else [],
    )
    analysis = ArticleAnalysis(
        sentences=article.sentences,
        section=(row.section or "") if body else "",
        summary=list(row.summary or []) if body else [],
        hashtags=[
            Hashtag(link.entity.name, link.entity.kind, link.entity.slug, link.mentions) for link in row.hashtags
        ],
        quotes=[Quote(**quote) for quote in row.quotes or []],
        figures=[Figure(**figure) for figure in row.figures or []] if body else [],
    )
    return article, analysis


def refresh_story_analysis(session: Session, story_id: int) -> dict | None:
    """Recomputes a story's AI output when articles joined it since the cached one, in ``session``'s transaction;
    returns the payload. While some of its articles wait for their enrichment the cached one stands (None for a
    new story): the backlog analyses the story once they are enriched, and pages say the analysis is in progress."""
    draft = draft_story_analysis(session, story_id)
    if draft is None:
        story = queries.get_story(session, story_id)
        return story.analysis if story is not None else None
    return store_story_analysis(session, draft)


@dataclass(slots=True)
class StoryAnalysisDraft:
    """A story's analysis computed from one read of the story, and the writes that go with it: stored by
    ``store_story_analysis`` only if the story still holds what was read (``version``)."""

    story_id: int
    version: tuple  # queries.story_version when it was read
    originals: int  # its articles, syndicated copies not counted: what the analysis covers
    payload: dict
    renames: dict[str, Hashtag]  # alias slug -> the story-wide entity
    hashtags: list[Hashtag]
    names_before: set[str]  # the previous analysis's hashtags
    renamed_quotes: dict[int, list[dict]]  # article id -> its quotes under the story-wide speaker names


def draft_story_analysis(session: Session, story_id: int) -> StoryAnalysisDraft | None:
    """The story's analysis computed afresh from what ``session`` reads, writing nothing, so that the writer's
    lock is not held while it is computed; None when the cached one stands (no such story, the cache up to
    date, or articles still waiting for their enrichment)."""
    story = queries.get_story(session, story_id)
    if story is None:
        return None
    if story.analysis is not None and story.analysis_article_count == queries.story_counts(session, story_id)[0]:
        return None  # a page view of a big story must not read its every article to learn this
    if queries.story_awaits_enrichment(session, story_id):
        return None
    version = queries.story_version(session, story_id)
    members = queries.story_members(session, story_id)
    originals = [row for row in members if row.duplicate_of_id is None]
    embedded = all(row.embedding is not None for row in originals)
    embeddings = [np.frombuffer(row.embedding, dtype=np.float32) for row in originals] if embedded else None
    outline = [Article(row.public_id, "", "", "", row.outlet, row.published_at) for row in originals]
    sample = representatives(outline, embeddings, STORY_SAMPLE)
    # Bodies, sentences and figures of the sample alone; every article's hashtags and quotes a batch at a time.
    sampled_rows = queries.articles_with_hashtags(session, [originals[position].id for position in sample])
    sampled = [row_to_domain(row) for row in sampled_rows]
    tally = StoryTally(story_renames([list(analysis.hashtags) for _, analysis in sampled]))
    renamed_quotes: dict[int, list[dict]] = {}
    for start in range(0, len(members), STORY_BATCH):
        renamed_quotes |= tally_batch(session, tally, members[start : start + STORY_BATCH])
    analysis = sampled_story_analysis([a for a, _ in sampled], [b for _, b in sampled], tally)
    return StoryAnalysisDraft(
        story_id,
        version,
        len(originals),
        story_payload(analysis, lambda key: key),
        tally.renames,
        tally.hashtags(),
        {tag["slug"] for tag in (story.analysis or {}).get("hashtags", [])},
        renamed_quotes,
    )


def store_story_analysis(session: Session, draft: StoryAnalysisDraft) -> dict | None:
    """Stores ``draft`` and returns its payload, when the story still holds the articles it was computed from;
    otherwise writes nothing and returns None (what changed the story marked it stale: it is analysed again)."""
    story = queries.get_story(session, draft.story_id)
    if story is None or queries.story_version(session, draft.story_id) != draft.version:
        log.info("story changed while it was analysed", story=draft.story_id)
        return None
    queries.set_articles_quotes(session, draft.renamed_quotes)
    # An alias one outlet wrote ("Casey") becomes the story's entity on every page, not only in the story panel.
    queries.rename_story_entities(session, draft.story_id, draft.renames)
    reread_written_names(session, draft.story_id, draft.names_before, draft.hashtags)
    story.analysis = draft.payload
    story.analysis_article_count = draft.originals
    story_refreshed(session, story)  # what developed since the last analysis alerts its followers
    return story.analysis


def story_analysis_for_reader(session: Session, story: StoryRow) -> dict | None:
    """The story's analysis brought up to date and committed for a page or the API; when computing it fails, or
    the story changed while it was computed, the cached one, which a later view or the refresher brings up to
    date. Computed in the page's read, stored as a writer (``store.writing``) once computed."""
    try:
        draft = draft_story_analysis(session, story.id)
        if draft is None:
            return story.analysis
        writing(session)  # the read is over: its snapshot must not be what the store writes over
        payload = store_story_analysis(session, draft)
        session.commit()
        return payload if payload is not None else story.analysis
    except (StorylineError, OperationalError) as exc:
        session.rollback()
        log.warning("story analysis not refreshed", story=story.id, error=_first_line(exc))
        return story.analysis


STORY_BATCH = 500  # articles whose hashtags and quotes a story's analysis holds at once


def tally_batch(session: Session, tally: StoryTally, members: Sequence[Row]) -> dict[int, list[dict]]:
    """Adds these articles of the story (oldest first) to its ``tally``, originals only; returns the quotes of
    each whose speakers the story-wide names change (article id -> quotes)."""
    ids = [row.id for row in members]
    stored_quotes = queries.articles_quotes(session, ids)
    hashtags: dict[int, list[Hashtag]] = {}
    for link in queries.articles_hashtag_rows(session, ids):
        hashtags.setdefault(link.article_id, []).append(Hashtag(link.name, link.kind, link.slug, link.mentions))
    renamed: dict[int, list[dict]] = {}
    for row in members:
        quotes = stored_quotes.get(row.id, [])
        if row.duplicate_of_id is None:
            tally.add_hashtags(hashtags.get(row.id, []))
            source = Article(row.public_id, "", "", "", row.outlet, row.published_at)
            tally.add_quotes(source, [Quote(**quote) for quote in quotes])
        named = quotes_named_as_in_story(quotes, tally.renames)
        if named != quotes:
            renamed[row.id] = named
    return renamed


def quotes_named_as_in_story(quotes: Sequence[dict], renames: dict[str, Hashtag]) -> list[dict]:
    """Stored article quotes with each speaker under the story-wide name ("Casey" -> "Louise Casey")."""
    renamed = []
    for quote in quotes:
        speaker = story_speaker(quote.get("speaker_slug"), quote.get("speaker_hint"), renames)
        renamed.append(quote | {"speaker": speaker.name, "speaker_slug": speaker.slug} if speaker else quote)
    return renamed


def refresh_stale_stories(factory: sessionmaker[Session], limit: int = 50) -> int:
    """Brings up to ``limit`` cached story analyses up to date, one short transaction a story; returns how many
    were brought up to date (a story whose analysis fails is logged and stays stale)."""
    with reading(factory) as session:
        story_ids = queries.stale_story_ids(session, limit)
    return refresh_stories(factory, story_ids)


def refresh_stories(factory: sessionmaker[Session], story_ids: Iterable[int]) -> int:
    """``refresh_story_analysis`` for each story, one short transaction each; returns how many were done."""
    refreshed = 0
    for story_id in story_ids:
        try:
            with reading(factory) as session:  # computed without the writer's lock, which the poller needs
                draft = draft_story_analysis(session, story_id)
            if draft is not None:
                with transaction(factory) as session:
                    if store_story_analysis(session, draft) is None:
                        continue
            refreshed += 1
        except (StorylineError, OperationalError) as exc:
            log.warning("story analysis failed", story=story_id, error=_first_line(exc))
    return refreshed
