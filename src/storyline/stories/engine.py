"""Online story clustering: each article, in arrival order, joins the live story it best matches or starts one.

A story is represented by the normalised mean of its members' title+lead embeddings, the entities they
name and the words they use. Candidate stories come from an approximate nearest-neighbour index (usearch)
over those means and from an entity -> story index; only live stories are in either. Each candidate is
judged by the placement model (``placement``: gradient-boosted trees over the cosine, the rare words and
names shared, the lull, the story's size and its latest members), and the article joins the likeliest story
whose probability reaches the model's threshold. Coverage of an event comes in bursts, so each story keeps its
own pace (the mean gap between its articles, starting from a prior): a lull is judged in that pace, and a story is
retired once its lull is long next to its pace, or after ``window`` at the latest, all in ITEM time
(``published``). Placing one article therefore costs the same
whatever the corpus size, and replaying old data behaves as it did live. Story ids are handed out once and
never renumbered: ``merge`` keeps the older id and ``split`` gives the moved part a fresh one (the
refinement pass in ``stories/refine.py`` decides when).
"""

from __future__ import annotations

import heapq
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import count, islice
from operator import itemgetter

import numpy as np
from usearch.index import Index

from storyline.logs import get_logger
from storyline.nlp import EMBEDDING_DIM, ENTITY_PIPELINES, lead_text
from storyline.stories import lexical
from storyline.stories.bridge import Bridge
from storyline.stories.dedupe import DedupeConfig, DuplicateFinder
from storyline.stories.placement import (
    FEATURES,
    TIMES_OF_DAY,
    UNKNOWN_LULLS,
    PairFeatures,
    PlacementModel,
    at_midnight,
    bundled_model,
    lull_columns,
    lull_to,
    possible_lulls,
)

LULL_HOURS, LULL_PACES = FEATURES.index("lull_hours"), FEATURES.index("lull_paces")
log = get_logger("stories")
_VERSIONS = count(1)  # story versions, unique in the process (see Story.version)
# The latest members an arrival is compared with one by one (the placement model's ``recent_least``): enough to
# see that a story has drifted from what the article reports, bounded so a big story costs no more.
RECENT_MEMBERS = 8
# The languages whose articles come with the entities their pipelines found (``nlp.ENTITY_PIPELINES``).
NAMED_LANGUAGES = frozenset({"en", *ENTITY_PIPELINES})


@dataclass(frozen=True, slots=True)
class StoryItem:
    key: str
    title: str
    text: str
    source: str
    published: datetime
    embedding: np.ndarray
    entities: list[str] = field(default_factory=list)
    language: str = "en"
    # The source gave no date: ``published`` is when the article arrived, so its lull to a story is unknown.
    undated: bool = False
    # False: placed before its enrichment (place first, enrich behind), so ``entities`` are not known yet and
    # the article is read for the names earlier articles carried, as one in a language no pipeline reads.
    enriched: bool = True


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why an article joined its story: what a reader is shown next to it."""

    probability: float
    cosine: float
    lull: timedelta  # since the story's last article before this one
    entities: tuple[str, ...]  # the rarest entity slugs the two share, rarest first
    terms: tuple[str, ...]  # the rarest words they share
    rejoined: bool = False  # the story had been retired, and this article woke it


@dataclass(frozen=True, slots=True)
class Placement:
    story_id: int
    is_new: bool
    duplicate_of: str | None
    evidence: Evidence | None = None  # None for a new story, a copy, or a replayed placement


@dataclass(frozen=True, slots=True)
class EngineConfig:
    # The pace assumed before a story has gaps of its own, weighted as ``pace_prior_gaps`` observed gaps, so
    # a young story is judged by the prior (the seed story's second article comes 2.5 hours after its first)
    # and a busy one by its own rhythm. A lull measured in paces is one of the placement model's features.
    time_scale: timedelta = timedelta(hours=3)
    pace_prior_gaps: float = 1.0
    # A story is retired once it has been silent for ``retire_after_paces`` of its paces and at least
    # ``min_lull``: a burst that ended hours ago is over, and a new burst on the same subject is a new
    # development (UCI splits a game's reviews and its launch day a day later into two stories). Retired
    # stories also stop drawing copies of their articles, so republished wire copy cannot reopen them.
    retire_after_paces: float = 20.0
    min_lull: timedelta = timedelta(hours=6)
    window: timedelta = timedelta(days=3)  # the longest any story stays live without a new article
    # A retired story sleeps for ``dormant_for`` (bounded by ``dormant_members`` members in all, oldest
    # forgotten first) and can be rejoined by a later article with strong evidence of the same event, keeping its
    # id: next-morning coverage, a trial over weeks. Strong means the article reads like the story
    # (``rejoin_cosine``), names at least ``rejoin_entities`` of the names most of its articles carry, and shares
    # ``rejoin_terms`` of its rare vocabulary with the story: a new event on the same subject (another Gaza
    # strike, another Senate vote) shares the subject's names but rarely all three.
    dormant_for: timedelta = timedelta(days=7)
    dormant_members: int = 200_000
    rejoin_cosine: float = 0.6
    rejoin_entities: int = 2
    rejoin_terms: float = 0.3
    neighbours: int = 8  # nearest story means fetched from the index for each article
    entity_candidates: int = 8  # most recent live stories fetched for each of the article's entities
    evidence_names: int = 5  # shared entities and words kept as an article's evidence
    dedupe: DedupeConfig = field(default_factory=DedupeConfig)


@dataclass(frozen=True, slots=True)
class Member:
    """What a live story keeps of each article: enough to split it or to judge a merge without the database."""

    key: str
    title: str
    source: str
    published: datetime
    embedding: np.ndarray  # unit length
    entities: frozenset[str]
    terms: frozenset[str] = frozenset()
    language: str = "en"
    lead: str = ""  # title and lead, for the cross-language bridge
    undated: bool = False  # ``StoryItem.undated``


@dataclass(slots=True)
class Story:
    id: int
    total: np.ndarray  # sum of member embeddings; its direction is the story's representation
    size: int
    first_seen: datetime
    last_seen: datetime
    entities: Counter[str]  # slug -> how many members name it
    members: list[Member]
    retires_at: datetime
    terms: Counter[str] = field(default_factory=Counter)  # word -> how many members use it
    languages: Counter[str] = field(default_factory=Counter)  # language -> how many members are in it
    # ``entities`` by the members' language: each language's pipeline finds names of its own (German none), so
    # refinement compares two stories on the members of a language both hold, too.
    entities_by_language: dict[str, Counter[str]] = field(default_factory=dict)
    # Sum of member embeddings by language, kept once a story holds two: an article is compared by MiniLM with
    # the members in its own language only, and through the bridge with the others.
    totals_by_language: dict[str, np.ndarray] = field(default_factory=dict)
    # Each language's most recent members, with their place in ``members``: the bridge reads the latest few in
    # other languages without scanning a big story back to an old foreign member.
    recent_by_language: dict[str, deque[tuple[int, Member]]] = field(default_factory=dict)
    # Changes whenever the members do, and no two states of any story in this process share one: while a
    # story's version holds, anything computed from its members alone still holds.
    version: int = 0
    recent: deque[Member] = field(default_factory=lambda: deque(maxlen=RECENT_MEMBERS))  # the latest to join
    # No dated member stamped ``last_seen``: it is when an undated article arrived, and a lull since it unknown.
    last_undated: bool = True

    @classmethod
    def starting(cls, story_id: int, published: datetime) -> Story:
        """A story with no member yet, opening at ``published``."""
        return cls(
            id=story_id,
            total=np.zeros(EMBEDDING_DIM, dtype=np.float32),
            size=0,
            first_seen=published,
            last_seen=published,
            entities=Counter(),
            members=[],
            retires_at=published,
        )

    def add(self, member: Member, recent_by_language: int) -> None:
        """Counts ``member`` in: its embedding, its time, the names and words it uses, its language."""
        self.total += member.embedding
        self.size += 1
        self.first_seen = min(self.first_seen, member.published)
        if member.published > self.last_seen:
            self.last_undated = member.undated
        elif member.published == self.last_seen:
            self.last_undated = self.last_undated and member.undated
        self.last_seen = max(self.last_seen, member.published)
        self.members.append(member)
        self.recent.append(member)
        self.entities.update(member.entities)
        self.entities_by_language.setdefault(member.language, Counter()).update(member.entities)
        self.terms.update(member.terms)
        self.count_language(member, recent_by_language)

    def salient_entities(self, share: float = 0.5, language: str | None = None) -> set[str]:
        """Entities named by at least ``share`` of the story's articles (of its articles in ``language``, when
        given): what the story is about, not what one article mentions in passing."""
        if language is None:
            counts, size = self.entities, self.size
        else:
            counts, size = self.entities_by_language.get(language, Counter()), self.languages[language]
        return {slug for slug, members in counts.items() if members >= share * size}

    def count_language(self, member: Member, recent: int) -> None:
        """Counts the language of ``member``, which has just joined (the last of ``members``), keeping its
        language's ``recent`` latest members; keeps the sums by language once there are two."""
        self.languages[member.language] += 1
        latest = self.recent_by_language.setdefault(member.language, deque(maxlen=recent))
        latest.append((len(self.members) - 1, member))
        if len(self.languages) == 1:
            return
        for counted in self.members if not self.totals_by_language else [member]:
            self.totals_by_language[counted.language] = (
                self.totals_by_language.get(counted.language, 0) + counted.embedding
            )

    def opening(self) -> Member:
        """The earliest member: the one the story is titled after."""
        return min(self.members, key=lambda member: member.published)

    def latest_in_other_languages(self, language: str, count: int) -> list[Member]:
        """The ``count`` members that joined last among those not in ``language``, newest first."""
        entries = (entry for other, latest in self.recent_by_language.items() if other != language for entry in latest)
        return [member for _, member in heapq.nlargest(count, entries, key=itemgetter(0))]

    def centroid(self) -> np.ndarray:
        norm = float(np.linalg.norm(self.total))
        return self.total / norm if norm > 0 else self.total

    def pace(self, config: EngineConfig) -> timedelta:
        """Mean gap between the story's articles, shrunk towards ``config.time_scale`` while it has few."""
        span = self.last_seen - self.first_seen
        prior = config.time_scale * config.pace_prior_gaps
        return (prior + span) / (config.pace_prior_gaps + self.size - 1)

    def lifetime(self, config: EngineConfig) -> timedelta:
        """How long the story stays live after its last article."""
        return min(config.window, max(config.min_lull, self.pace(config) * config.retire_after_paces))


def unit(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


@dataclass(frozen=True, slots=True)
class Arrival:
    """What placement reads of an incoming article."""

    embedding: np.ndarray  # unit length
    entities: frozenset[str]
    terms: frozenset[str]
    published: datetime
    key: str = ""
    language: str = "en"
    lead: str = ""
    names_and_numbers: frozenset[str] = frozenset()
    undated: bool = False


def nearby(
    index: Index, by_entity: dict[str, dict[int, None]], arrival: Arrival, neighbours: int, per_entity: int
) -> set[int]:
    """Ids of the stories an arrival is judged against: the ``neighbours`` nearest means in ``index``, and the
    ``per_entity`` most recently active stories for each entity it names."""
    found: set[int] = set()
    if len(index):
        found.update(int(key) for key in index.search(arrival.embedding, min(neighbours, len(index))).keys)
    for slug in arrival.entities:
        found.update(islice(reversed(by_entity.get(slug, {})), per_entity))
    return found


class StoryEngine:
    """Places articles into stories online; see the module docstring."""

    def __init__(
        self,
        next_story_id: int = 1,
        config: EngineConfig | None = None,
        model: PlacementModel | None = None,
        bridge: Bridge | None = None,
    ) -> None:
        self.config = config or EngineConfig()
        self.model = model or bundled_model()
        self.bridge = bridge or Bridge()
        self.next_story_id = next_story_id
        self.clock: datetime | None = None  # latest item time seen
        self._stories: dict[int, Story] = {}
        self._index = Index(ndim=EMBEDDING_DIM, metric="cos", dtype="f32")
        self._by_entity: dict[str, dict[int, None]] = {}  # slug -> live story ids, oldest activity first
        self._story_of_key: dict[str, int] = {}
        self._expiry: list[tuple[datetime, int]] = []  # (retires_at, story id), stale entries included
        self._duplicates = DuplicateFinder(self.config.dedupe)
        self._term_frequencies = lexical.DocumentFrequencies()
        self._entity_frequencies = lexical.DocumentFrequencies()
        self._dormant = Dormant(self.config)

    @property
    def live_stories(self) -> int:
        return len(self._stories)

    @property
    def index_size(self) -> int:
        return len(self._index)

    def add(self, item: StoryItem, story_id: int | None = None) -> Placement:
        """Places ``item``; with ``story_id`` (a replay after restart) the item goes into that story."""
        self._advance_clock(item.published)
        arrival = self.arrival(item)
        duplicate_of = self._duplicates.check_and_add(item.key, item.text or item.title, item.published)
        if story_id is None and item.key in self._story_of_key:
            story_id = self._story_of_key[item.key]
        if story_id is None and duplicate_of is not None:
            story_id = self._story_of_key.get(duplicate_of)
        evidence = None
        if story_id is None:
            story_id, evidence = self._best_story(arrival)
        if story_id is None:
            story_id, evidence = self._rejoin(arrival)
        if story_id is not None and story_id in self._dormant:
            self._rebuild(story_id, self._dormant.wake(story_id).members)
        is_new = story_id is None or story_id not in self._stories
        if story_id is None:
            story_id = self.next_story_id
        self.next_story_id = max(self.next_story_id, story_id + 1)
        self._term_frequencies.add(arrival.terms)
        self._entity_frequencies.add(arrival.entities)
        member = Member(
            item.key,
            item.title,
            item.source,
            item.published,
            arrival.embedding,
            arrival.entities,
            arrival.terms,
            arrival.language,
            arrival.lead,
            arrival.undated,
        )
        self._join(story_id, member)
        return Placement(story_id=story_id, is_new=is_new, duplicate_of=duplicate_of, evidence=evidence)

    def judge(self, item: StoryItem) -> list[tuple[int, PairFeatures]]:
        """The candidate stories ``item`` would be judged against now, with their features, placing nothing."""
        self._advance_clock(item.published)
        return self.candidate_features(self.arrival(item))

    def arrival(self, item: StoryItem) -> Arrival:
        """What placement reads of ``item``; an article in a language no entity pipeline reads names, beside
        the few its enrichment knows (``aliases``), the entities earlier articles named that it spells out
        (``lexical.known_names``), and so does an article placed before its enrichment found its own."""
        entities = frozenset(item.entities)
        if item.language not in NAMED_LANGUAGES or not item.enriched:
            entities |= lexical.known_names(item.title, item.text, self._entity_frequencies.counts)
        return Arrival(
            unit(item.embedding),
            entities,
            lexical.terms(item.title, item.text, item.language),
            item.published,
            item.key,
            item.language,
            lead_text(item.title, item.text),
            lexical.names_and_numbers(item.title, item.text, item.language),
            item.undated,
        )

    def candidate_ids(self, arrival: Arrival) -> set[int]:
        """The live stories placement would judge ``arrival`` against: the nearest means, those naming its names."""
        return self._candidates(arrival)

    def candidate_features(self, arrival: Arrival) -> list[tuple[int, PairFeatures]]:
        """Each candidate live story with what the placement model reads of the pair (training reads it too)."""
        return [(story_id, self.features(arrival, self._stories[story_id])) for story_id in self._candidates(arrival)]

    def features(self, arrival: Arrival, story: Story) -> PairFeatures:
        # A story with no member in the article's language shares its names and numbers, not its vocabulary.
        own_terms = arrival.terms if story.languages.get(arrival.language) else arrival.names_and_numbers
        terms_share, terms_any = lexical.overlap(own_terms, story.terms, story.size, self._term_frequencies)
        entities_share, entities_any = lexical.overlap(
            arrival.entities, story.entities, story.size, self._entity_frequencies
        )
        return PairFeatures(
            cosine=self._cosine(arrival, story),
            terms_share=terms_share,
            terms_any=terms_any,
            entities_share=entities_share,
            entities_any=entities_any,
            entities_none=float(not arrival.entities),
            lull=lull_to(arrival.published, story.first_seen, story.last_seen),
            pace=story.pace(self.config),
            size=story.size,
            recent_least=min(
                (float(np.dot(arrival.embedding, m.embedding)) for m in story.recent if m.language == arrival.language),
                default=None,
            ),
            foreign_share=1 - story.languages.get(arrival.language, 0) / story.size,
            lulls=possible_lulls(
                arrival.published, story.first_seen, story.last_seen, arrival.undated or story.last_undated
            ),
        )

    def pairwise(self, members: list[Member]) -> np.ndarray:
        """The placement model's probability, for each two of ``members`` (one language), that the later one
        joins a story holding the earlier one alone: a symmetric matrix, ones on the diagonal. The features are
        the ones placement reads (``features``) with a one-article story, the pairs whose stamps do not tell their
        lull (dates only, undated) judged over the lulls they may have had, as placement judges them
        (``placement.possible_lulls``). Costs the square of ``members``: callers bound them."""
        count = len(members)
        embeddings = np.stack([member.embedding for member in members])
        cosines = embeddings @ embeddings.T
        terms_share = _pair_shares([member.terms for member in members], self._term_frequencies)
        entities_share = _pair_shares([member.entities for member in members], self._entity_frequencies)
        seconds = np.array([member.published.timestamp() for member in members])
        gap = seconds[:, None] - seconds[None, :]
        lull = np.abs(gap)  # ``lull_to`` a one-article story
        pace = self.config.time_scale.total_seconds()  # ``Story.pace`` of a one-article story: the prior alone
        columns = [
            cosines,
            terms_share,
            terms_share,
            entities_share,
            entities_share,
            np.repeat(np.array([float(not member.entities) for member in members])[:, None], count, axis=1),
            np.zeros((count, count)),  # the lull's columns, read below
            np.zeros((count, count)),
            np.zeros((count, count)),
            cosines,
            np.zeros((count, count)),  # one language
        ]
        rows = _with_lull(np.stack(columns, axis=-1).reshape(-1, len(columns)), lull.ravel(), pace)
        probabilities = self.model.probabilities(rows)
        midnights = np.array([at_midnight(member.published) for member in members])
        undated = np.array([member.undated for member in members])
        unknown = ((seconds[:, None] == seconds[None, :]) & midnights[:, None]) | undated[:, None] | undated[None, :]
        if unknown.any():
            judged = unknown.ravel()
            lulls = [lull.total_seconds() for lull in UNKNOWN_LULLS]
            probabilities[judged] = self._mean_probability(rows[judged], lulls, pace)
        # One side at midnight, the other timed: the date-only side may be any time of its day (``possible_lulls``)
        shift = (midnights[:, None].astype(float) - midnights[None, :]) * ~unknown
        if shift.any():
            judged = shift.ravel() != 0
            lulls = [np.abs(gap + shift * hour.total_seconds()).ravel()[judged] for hour in TIMES_OF_DAY]
            probabilities[judged] = self._mean_probability(rows[judged], lulls, pace)
        probabilities = probabilities.reshape(count, count)
        later = seconds[:, None] > seconds[None, :]
        later |= (seconds[:, None] == seconds[None, :]) & (np.arange(count)[:, None] > np.arange(count)[None, :])
        joined = np.where(later, probabilities, probabilities.T)
        np.fill_diagonal(joined, 1.0)
        return joined

    def _mean_probability(self, rows: np.ndarray, lulls: list, pace: float) -> np.ndarray:
        """The mean of the model's probabilities for ``rows`` read at each of ``lulls`` (seconds, one for every
        row or one each): a pair whose lull is not known, judged over the lulls it may have had."""
        return np.mean([self.model.probabilities(_with_lull(rows, lull, pace)) for lull in lulls], axis=0)

    def detached(self, members: list[Member]) -> Story:
        """A story of ``members`` as the engine would keep it, in none of its indexes: to judge an article
        against a part of a story (``features``) without changing anything."""
        ordered = sorted(members, key=lambda member: member.published)
        story = Story.starting(-1, ordered[0].published)
        for member in ordered:
            story.add(member, self.bridge.config.members)
        return story

    def _cosine(self, arrival: Arrival, story: Story) -> float:
        """How alike the article reads to the story: by MiniLM within one language; where the story holds
        members in other languages, a mean weighted by members of MiniLM's cosine to those in the article's
        language and the bridge's to the others. Where the other languages are too small a share of the story to
        move that mean much (``BridgeConfig.min_share``), MiniLM's own-language cosine stands alone, so a big
        English story holding one French report does not cost every English article a multilingual embedding."""
        same = story.languages.get(arrival.language, 0)
        if same == story.size:
            return float(np.dot(arrival.embedding, story.centroid()))
        own = float(np.dot(arrival.embedding, unit(story.totals_by_language[arrival.language]))) if same else 0.0
        if same and story.size - same < self.bridge.config.min_share * story.size:
            return own
        others = story.latest_in_other_languages(arrival.language, self.bridge.config.members)
        bridged = self.bridge.cosine(arrival.key, arrival.lead, {member.key: member.lead for member in others})
        return (same * own + (story.size - same) * bridged) / story.size

    def learn_entities(self, key: str, entities: list[str]) -> bool:
        """Gives a placed article the entities its enrichment found after it was placed without them (place
        first, enrich behind), so placement of later articles and refinement's merges read them. Costs the
        article's entities, not its story's size. False when the article's story is no longer live (retired or
        forgotten): there is nothing left to tell."""
        story = self._stories.get(self._story_of_key.get(key, -1))
        if story is None:
            return False
        for position, member in enumerate(story.members):
            # In a language no pipeline reads, the names the article spelled out at placement stay its own.
            learned = frozenset(entities) | (member.entities if member.language not in NAMED_LANGUAGES else set())
            if member.key != key or member.entities == learned:
                continue
            added, dropped = learned - member.entities, member.entities - learned
            story.members[position] = replace(member, entities=learned)
            for counts in (story.entities, story.entities_by_language[member.language]):
                counts.update(added)
                counts.subtract(dropped)
                counts += Counter()  # drops the names no member carries any more
            for slug in dropped - set(story.entities):
                self._by_entity.get(slug, {}).pop(story.id, None)
            self._entity_frequencies.add_to_counted(added)
            for slug in added:
                stories = self._by_entity.setdefault(slug, {})
                stories.pop(story.id, None)
                stories[story.id] = None
            story.version = next(_VERSIONS)
        return True

    def withdraw(self, key: str) -> None:
        """Takes back the placement of an article the database refused to store, as if it had never arrived:
        its story is rebuilt without it (or dropped, when it was the only member) and its body forgotten."""
        self._duplicates.forget(key)
        story = self._stories.get(self._story_of_key.get(key, -1))
        if story is None:
            return
        kept = [member for member in story.members if member.key != key]
        if kept:
            self._rebuild(story.id, kept)
        else:
            self._drop(story)

    def stories(self) -> list[Story]:
        """The live stories, oldest id first. Read only: change them through ``merge`` and ``split``."""
        return [self._stories[story_id] for story_id in sorted(self._stories)]

    def story(self, story_id: int) -> Story | None:
        return self._stories.get(story_id)

    def story_of(self, key: str) -> int | None:
        return self._story_of_key.get(key)

    def nearest(self, story: Story, count: int) -> list[int]:
        """Ids of the live stories whose means are closest to ``story``'s, itself excluded."""
        if len(self._index) < 2:
            return []
        matches = self._index.search(story.centroid(), min(count + 1, len(self._index)))
        return [int(key) for key in matches.keys if int(key) != story.id]

    def merge(self, survivor_id: int, absorbed_id: int) -> None:
        """Moves every member of ``absorbed_id`` into ``survivor_id``, which must be the older (smaller) id,
        so a story's id never changes because another story joined it."""
        if survivor_id >= absorbed_id:
            raise ValueError(f"story {survivor_id} cannot absorb the older story {absorbed_id}")
        absorbed = self._stories[absorbed_id]
        members = self._stories[survivor_id].members + absorbed.members
        self._drop(absorbed)
        self._rebuild(survivor_id, members)

    def split(self, story_id: int, moved_keys: set[str]) -> Story:
        """Moves the members named by ``moved_keys`` out of ``story_id`` into a new story and returns it."""
        story = self._stories[story_id]
        moved = [member for member in story.members if member.key in moved_keys]
        kept = [member for member in story.members if member.key not in moved_keys]
        if not moved or not kept:
            raise ValueError(f"a split of story {story_id} must leave members on both sides")
        new_id = self.next_story_id
        self.next_story_id += 1
        self._rebuild(story_id, kept)
        self._rebuild(new_id, moved)
        return self._stories[new_id]

    def _advance_clock(self, published: datetime) -> None:
        if self.clock is None or published > self.clock:
            self.clock = published
        self._retire(self.clock)

    def _candidates(self, arrival: Arrival) -> set[int]:
        return nearby(self._index, self._by_entity, arrival, self.config.neighbours, self.config.entity_candidates)

    def _best_story(self, arrival: Arrival) -> tuple[int | None, Evidence | None]:
        best_id, best, best_features = None, self.model.threshold, None
        for candidate, features in self.candidate_features(arrival):
            probability = self.model.probability(features)
            if probability >= best:
                best_id, best, best_features = candidate, probability, features
        if best_id is None or best_features is None:
            return None, None
        return best_id, self._evidence(arrival, self._stories[best_id], best_features, best)

    def _rejoin(self, arrival: Arrival) -> tuple[int | None, Evidence | None]:
        """The retired story ``arrival`` continues, when the evidence is strong (``EngineConfig.rejoin_*``)."""
        config, best_id, best = self.config, None, None
        for story in self._dormant.candidates(arrival, config.neighbours, config.entity_candidates):
            features = self.features(arrival, story)
            if (
                features.cosine >= config.rejoin_cosine
                and len(arrival.entities & story.salient_entities()) >= config.rejoin_entities
                and features.terms_any >= config.rejoin_terms
                and (best is None or features.cosine > best[1].cosine)
            ):
                best_id, best = story.id, (story, features)
        if best is None:
            return None, None
        story, features = best
        return best_id, self._evidence(arrival, story, features, self.model.probability(features), rejoined=True)

    def _evidence(
        self, arrival: Arrival, story: Story, features: PairFeatures, probability: float, rejoined: bool = False
    ) -> Evidence:
        count = self.config.evidence_names
        return Evidence(
            probability=probability,
            cosine=features.cosine,
            lull=features.lull,
            entities=tuple(lexical.rarest_shared(arrival.entities, story.entities, self._entity_frequencies, count)),
            terms=tuple(lexical.rarest_shared(arrival.terms, story.terms, self._term_frequencies, count)),
            rejoined=rejoined,
        )

    def _join(self, story_id: int, member: Member) -> None:
        story = self._stories.get(story_id)
        if story is None:
            story = self._stories[story_id] = Story.starting(story_id, member.published)
        else:
            self._index.remove(story_id)
        story.add(member, self.bridge.config.members)
        story.retires_at = story.last_seen + story.lifetime(self.config)
        story.version = next(_VERSIONS)
        self._index.add(story_id, story.centroid())
        for slug in member.entities:
            stories = self._by_entity.setdefault(slug, {})
            stories.pop(story_id, None)
            stories[story_id] = None
        self._story_of_key[member.key] = story_id
        heapq.heappush(self._expiry, (story.retires_at, story_id))

    def _rebuild(self, story_id: int, members: list[Member]) -> None:
        """Replaces a story's members, recomputing its mean, entity counts, span and index entries."""
        story = self._stories.get(story_id)
        if story is not None:
            self._drop(story)
        for member in sorted(members, key=lambda member: member.published):
            self._join(story_id, member)

    def _retire(self, now: datetime) -> None:
        while self._expiry and self._expiry[0][0] < now:
            retires_at, story_id = heapq.heappop(self._expiry)
            story = self._stories.get(story_id)
            if story is None or story.retires_at != retires_at:
                continue  # the story has a newer entry queued
            self._drop(story)
            self._dormant.sleep(story)
        self._dormant.forget_before(now - self.config.dormant_for)

    def _drop(self, story: Story) -> None:
        del self._stories[story.id]
        self._index.remove(story.id)
        for slug in story.entities:
            stories = self._by_entity.get(slug)
            if stories is not None:
                stories.pop(story.id, None)
                if not stories:
                    del self._by_entity[slug]
        for member in story.members:
            if self._story_of_key.get(member.key) == story.id:
                del self._story_of_key[member.key]


def _with_lull(rows: np.ndarray, lull: np.ndarray | float, pace: float) -> np.ndarray:
    """``rows`` (as ``PairFeatures.vector`` makes them) with their lull columns read from ``lull`` seconds since
    the story (``placement.lull_to``), as ``PairFeatures.vector`` reads them."""
    rows = rows.copy()
    rows[:, LULL_HOURS], rows[:, LULL_PACES] = lull_columns(lull, pace)
    return rows


def _pair_shares(sets: list[frozenset[str]], frequencies: lexical.DocumentFrequencies) -> np.ndarray:
    """For each two of ``sets``, the share of the first's idf mass that the second holds (``lexical.overlap``
    against a one-article story), all at once."""
    vocabulary = {term: index for index, term in enumerate(set().union(*sets))}
    incidence = lexical.incidence(sets, vocabulary)
    weights = np.array([frequencies.idf(term) for term in vocabulary]) if vocabulary else np.zeros(0)
    weighted = incidence * weights
    total = weighted.sum(axis=1)
    shared = weighted @ incidence.T
    return np.divide(shared, total[:, None], out=np.zeros_like(shared), where=total[:, None] > 0)


class Dormant:
    """Retired stories that a later article may still rejoin, oldest retirement first, with their own index of
    means and of the names most of their articles carry. Bounded by age and by members kept
    (``EngineConfig.dormant_for``, ``dormant_members``)."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self._stories: dict[int, Story] = {}  # insertion order is retirement order
        self._index = Index(ndim=EMBEDDING_DIM, metric="cos", dtype="f32")
        self._by_entity: dict[str, dict[int, None]] = {}
        self._members = 0

    def __contains__(self, story_id: int) -> bool:
        return story_id in self._stories

    def __len__(self) -> int:
        return len(self._stories)

    def sleep(self, story: Story) -> None:
        self._stories[story.id] = story
        self._members += story.size
        self._index.add(story.id, story.centroid())
        for slug in story.salient_entities():
            self._by_entity.setdefault(slug, {})[story.id] = None
        while self._members > self.config.dormant_members:
            self.wake(next(iter(self._stories)))

    def wake(self, story_id: int) -> Story:
        """Takes the story out of the dormant set (to rejoin it, or to forget it)."""
        story = self._stories.pop(story_id)
        self._members -= story.size
        self._index.remove(story_id)
        for slug in story.salient_entities():
            stories = self._by_entity.get(slug)
            if stories is not None:
                stories.pop(story_id, None)
                if not stories:
                    del self._by_entity[slug]
        return story

    def forget_before(self, moment: datetime) -> None:
        while self._stories:
            oldest = next(iter(self._stories.values()))
            if oldest.retires_at >= moment:
                break
            self.wake(oldest.id)

    def candidates(self, arrival: Arrival, neighbours: int, per_entity: int) -> list[Story]:
        found = nearby(self._index, self._by_entity, arrival, neighbours, per_entity)
        return [self._stories[story_id] for story_id in sorted(found)]
