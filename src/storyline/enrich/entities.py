"""Hashtags: the people, organisations, places and topics an article is about, each alias resolved to one entity.

spaCy finds the candidate spans; rules clean them (honorifics, possessives, roles that spaCy takes for names,
single common words) and merge aliases: a surname or first name to the full name mentioned in the same article,
an acronym to its expansion, "Britain" to "United Kingdom". Topics are the few noun phrases the text keeps
coming back to. ``resolve_story`` repeats the alias merge across a story's articles.

French and Spanish articles have their names found by their own language's spaCy pipeline and written in
English where the name differs ("OTAN" is NATO, "Allemagne" Germany: ``aliases``), so they share the English
coverage's hashtags. German articles, which no pipeline reads, get the countries and names the alias table
knows (``known_name_hashtags``) and, once stored, the names other coverage found that they spell out; other
languages get none (``nlp.ENTITY_PIPELINES``), and no language but English gets topics, which read English noun
phrases.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from storyline import nlp
from storyline.domain import Article, Hashtag
from storyline.enrich import aliases

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

TITLE_SENTENCE = -1
MAX_NAME_TOKENS = 6
MAX_NAME_CHARS = 50
MAX_KNOWN_WORDS = 4  # the longest name of ``aliases`` in words ("Organisation des Nations unies" is lower-case)
MAX_TOPICS = 3
MIN_TOPIC_MENTIONS = 3

# spaCy's English labels (OntoNotes) and the French and Spanish pipelines' (WikiNER: PER, ORG, LOC, MISC).
LABEL_KINDS = {"PERSON": "person", "PER": "person", "ORG": "org", "GPE": "place", "LOC": "place", "FAC": "place",
               "NORP": "org"}  # fmt: skip

HONORIFIC_GENDER: dict[str, str | None] = {
    "sir": "m", "lord": "m", "mr": "m", "mister": "m",
    "lady": "f", "baroness": "f", "dame": "f", "ms": "f", "mrs": "f", "miss": "f",
    "dr": None, "prof": None, "professor": None, "mp": None, "rev": None,
}  # fmt: skip
# French and Spanish ones, read only in those languages' text: "M." is an initial in English names.
FOREIGN_HONORIFIC_GENDER = {**HONORIFIC_GENDER, "m": "m", "mme": "f", "mlle": "f", "sr": "m", "sra": "f", "srta": "f"}

# Words that make up job titles: a span made only of these is a role ("Home Secretary"), never a name.
ROLE_WORDS = frozenset(
    "home shadow secretary minister prime chancellor foreign justice health education deputy first pm mp "
    "president leader commissioner spokesman spokeswoman spokesperson mayor chief constable premier "
    "attorney general governor senator peer".split()
)

# Canonical names for aliases no rule can derive. Keys are lowercase.
CURATED_ALIASES = {
    "uk": "United Kingdom", "u.k.": "United Kingdom", "britain": "United Kingdom",
    "great britain": "United Kingdom", "united kingdom": "United Kingdom",
    "us": "United States", "u.s.": "United States", "usa": "United States", "america": "United States",
    "united states": "United States", "united states of america": "United States",
    "tory": "Conservative Party", "tories": "Conservative Party", "conservatives": "Conservative Party",
    "conservative": "Conservative Party", "conservative party": "Conservative Party",
    "labour": "Labour Party", "labour party": "Labour Party",
    "lib dems": "Liberal Democrats", "liberal democrats": "Liberal Democrats",
    "no10": "Downing Street", "no 10": "Downing Street", "number 10": "Downing Street",
    "downing street": "Downing Street",
}  # fmt: skip
CURATED_KINDS = {
    "United Kingdom": "place", "United States": "place", "Conservative Party": "org", "Labour Party": "org",
    "Liberal Democrats": "org", "Downing Street": "org", "Channel": "place",
    "g7": "org", "g20": "org", "eu": "org", "nato": "org",
}  # fmt: skip
NOT_ENTITIES = frozenset(
    "covid covid-19 coronavirus news sport business politics opinion world culture lifestyle tech technology "
    "entertainment health science travel comment analysis video live home government police council "
    "north south east west central".split()
)
KIND_PRIORITY = {"person": 3, "org": 2, "place": 1}
DOCUMENT_WORDS = frozenset("report review inquiry act bill audit statement programme".split())
ACRONYM_SKIP = frozenset("of and for the in on at to".split())
POSSESSIVE = re.compile(r"\s*['’]s?$")
# What French and Spanish entity spans start with: an elided article ("L'OTAN"), or an article or preposition
# ("de Californie", "La OTAN"). A capitalised one goes only when the rest is a name known without it: Le Pen,
# Los Angeles and El Salvador keep theirs.
LEADING_FUNCTION_WORD = re.compile(r"^(?:[LlDd]['’]|(?:le|la|les|de|du|des|del|el|los|las|al)\s+)", re.IGNORECASE)
# "Según Louise Casey, «…»": the preposition that attributes a quotation opens the sentence, capitalised, and the
# Spanish model takes it into the name; it never is part of one.
ATTRIBUTING_PREPOSITION = re.compile(r"^(?:según|segun|selon|d['’]après)\s+", re.IGNORECASE)
TRAILING_FUNCTION_WORD = re.compile(r"\s+(?:le|la|les|de|du|des|del|el|los|las|al|y|et)$")
INNER_POSSESSIVE = re.compile(r"['’]s?\s")
EDGE_JUNK = "\"'‘’“”()[]{}.,;:!?-–— "


@dataclass(slots=True)
class Mention:
    name: str  # cleaned surface form, honorific-free
    kind: str
    sentence: int
    order: int
    gender: str | None = None
    titled: bool = False  # carried an honorific: certainly a person


@dataclass(slots=True)
class _Entity:
    names: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    mentions: list[Mention] = field(default_factory=list)

    @property
    def name(self) -> str:
        return canonical_name(self.names)

    @property
    def kind(self) -> str:
        if any(m.titled for m in self.mentions):
            return "person"
        return CURATED_KINDS.get(self.name, CURATED_KINDS.get(self.name.lower(), majority_kind(self.kinds)))


def majority_kind(kinds: Counter[str]) -> str:
    """Most voted kind; ties go to person, then org: spaCy's small model calls rare names places."""
    return max(kinds, key=lambda kind: (kinds[kind], KIND_PRIORITY.get(kind, 0)))


# --- parsing -------------------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def parse(texts: tuple[str, ...]) -> tuple["Doc", ...]:
    """Each text parsed on its own: for sentence lists that did not come from ``nlp.split_sentences``."""
    return tuple(nlp.get_spacy().pipe(texts))


def article_docs(article: Article) -> tuple["Doc", list["Doc"]]:
    """The headline and each body sentence as parsed Docs, shared by hashtags, quotes and figures."""
    body = nlp.parse_texts([article.text])[0]
    docs = body.docs if list(body.sentences) == article.sentences else parse(tuple(article.sentences))
    return nlp.parse_headline(article.title), list(docs)


def entity_docs(article: Article) -> tuple["Doc", list["Doc"]] | None:
    """The headline and body sentences with the entities of the article's own language marked, or None when
    no pipeline knows that language."""
    language = nlp.primary_language(article.language)
    if language == "en":
        return article_docs(article)
    recognizer = nlp.get_entity_recognizer(language)
    if recognizer is None:
        return None
    title_doc, *docs = recognizer.pipe([article.title, *article.sentences])
    return title_doc, docs


# --- names ---------------------------------------------------------------------------------------------------


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def canonical_name(names: Counter[str]) -> str:
    """The fullest form: most words, then most often written, then longest."""
    return max(names, key=lambda n: (len(n.split()), names[n], len(n), n))


def split_honorifics(name: str, honorifics: dict[str, str | None] = HONORIFIC_GENDER) -> tuple[str, str | None, bool]:
    """("Baroness Louise Casey") -> ("Louise Casey", "f", True)."""
    words = name.split()
    gender, titled = None, False
    while len(words) > 1 and words[0].lower().rstrip(".") in honorifics:
        honorific = words.pop(0).lower().rstrip(".")
        gender = gender or honorifics[honorific]
        titled = True
    while len(words) > 1 and words[-1].lower() == "mp":
        words.pop()
    return " ".join(words), gender, titled


def known_alias(name: str) -> str | None:
    """The canonical name of an alias no rule can derive ("Britain", "Tories", "OTAN"), or None."""
    return CURATED_ALIASES.get(name.lower()) or aliases.canonical(name)


def clean_name(text: str) -> str:
    """Strip articles, possessives, brackets and anything after an inner possessive ("Sky News' Politics")."""
    text = " ".join(text.split())
    inner = INNER_POSSESSIVE.search(text)
    if inner:
        text = text[: inner.start()]
    text = POSSESSIVE.sub("", text.strip(EDGE_JUNK)).strip(EDGE_JUNK)
    text = re.sub(r"^(?:the|The|THE)\s+", "", text)
    return POSSESSIVE.sub("", text).strip(EDGE_JUNK)


def strip_roles(name: str) -> str:
    """ "Chancellor Rachel Reeves" -> "Rachel Reeves"; a pure role comes back empty."""
    words = name.split()
    while words and words[0].lower() in ROLE_WORDS:
        words.pop(0)
    return " ".join(words)


def acronym(name: str) -> str:
    words = [w for w in re.split(r"[\s-]+", name) if w and w.lower() not in ACRONYM_SKIP]
    return "".join(w[0] for w in words if w[0].isupper()) if len(words) > 1 else ""


def is_acronym(name: str) -> bool:
    return 2 <= len(name) <= 6 and name.isalpha() and name.isupper()


def name_tokens(name: str) -> list[str]:
    return [w.lower() for w in name.split()]


def is_alias_of(short: str, full: str) -> bool:
    """A shorter form of ``full``: all its words appear in it ("Casey", "Keir"), or it is its acronym."""
    if is_acronym(short):
        return acronym(full) == short
    short_words, full_words = name_tokens(short), name_tokens(full)
    return len(short_words) < len(full_words) and all(word in full_words for word in short_words)


# --- mentions ------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Dictionary words (spaCy's lemmatizer index): a single capitalised one is rarely a name by itself."""
    tables = nlp.get_spacy().get_pipe("lemmatizer").lookups.get_table("lemma_index")
    return frozenset(word for words in tables.values() for word in words)


def _span_mention(span: "Span", sentence: int, order: int) -> Mention | None:
    kind = LABEL_KINDS.get(span.label_)
    if kind is None:
        return None
    doc = span.doc
    start = span.start
    while start > 0 and doc[start - 1].text.lower().rstrip(".") in HONORIFIC_GENDER and doc[start - 1].is_title:
        start -= 1
    following = doc[span.end] if span.end < len(doc) else None
    if following is not None and following.text.lower() in ROLE_WORDS and following.is_title:
        return None  # "Home" of "Home Secretary", "Shadow Home" of "Shadow Home Secretary"
    text = clean_name(doc[start : span.end].text)
    if doc.lang_ == "en":
        name, gender, titled = split_honorifics(text)
    else:
        name, gender, titled = split_honorifics(_without_function_word(text), FOREIGN_HONORIFIC_GENDER)
    if kind == "person" or titled:
        name = strip_roles(name)
    if span.label_ == "NORP" and known_alias(name) is None:
        return None  # nationalities and religions are not hashtags; parties are
    if titled:
        kind = "person"
    elif kind == "person" and _names_a_place(span):
        kind = "place"
    if kind == "org" and name.split() and name.split()[-1].lower() in DOCUMENT_WORDS:
        return None
    if not _plausible_name(name):
        return None
    return Mention(name, kind, sentence, order, gender, titled)


def _without_function_word(name: str) -> str:
    """A French or Spanish span without the article or preposition it starts or ends with ("Gobierno de",
    "Según Louise Casey")."""
    name = ATTRIBUTING_PREPOSITION.sub("", TRAILING_FUNCTION_WORD.sub("", name), count=1)
    rest = LEADING_FUNCTION_WORD.sub("", name, count=1)
    return rest if rest != name and (name[0].islower() or name[1] in "'’" or known_alias(rest)) else name


def _names_a_place(span: "Span") -> bool:
    """spaCy's small model takes constituencies for people: "MP for Keighley", "in Rotherham"."""
    before = [t.text.lower() for t in span.doc[max(0, span.start - 2) : span.start]]
    return before[-1:] in (["in"], ["at"], ["near"]) or before == ["mp", "for"]


def _plausible_name(name: str) -> bool:
    words = name.split()
    if not words or len(words) > MAX_NAME_TOKENS or len(name) > MAX_NAME_CHARS:
        return False
    if not any(c.isalpha() for c in name) or not (name[0].isupper() or name[0].isdigit()):
        return False
    lowered = name.lower()
    if lowered in NOT_ENTITIES or all(word in ROLE_WORDS for word in name_tokens(name)):
        return False
    return not all(word.isdigit() for word in words)


def _title_person_mentions(doc: "Doc", sentence: int, order: int, covered: set[int]) -> Iterable[Mention]:
    """ "Sir Keir", "Lady Casey" when spaCy missed the name: an honorific before capitalised words."""
    for i, token in enumerate(doc[:-1]):
        if i in covered or token.text.lower().rstrip(".") not in HONORIFIC_GENDER or not token.is_title:
            continue
        end = i + 1
        while end < len(doc) and doc[end].is_title and doc[end].pos_ == "PROPN" and end - i <= 3:
            end += 1
        if end > i + 1 and not any(j in covered for j in range(i, end)):
            name, gender, _ = split_honorifics(clean_name(doc[i:end].text))
            if _plausible_name(name):
                yield Mention(name, "person", sentence, order + i, gender, True)


def article_mentions(title_doc: "Doc", docs: Sequence["Doc"]) -> list[Mention]:
    mentions: list[Mention] = []
    for sentence, doc in enumerate([title_doc, *docs], start=TITLE_SENTENCE):
        base = (sentence + 1) * 10_000
        covered: set[int] = set()
        for span in doc.ents:
            mention = _span_mention(span, sentence, base + span.start)
            if mention is not None:
                mentions.append(mention)
                covered.update(range(span.start, span.end))
        mentions.extend(_title_person_mentions(doc, sentence, base, covered))
    return mentions


# --- merging -------------------------------------------------------------------------------------------------


def _defined_acronyms(text: str) -> dict[str, str]:
    """ "National Crime Agency (NCA)" defines NCA even when the initials don't spell it."""
    pattern = re.compile(r"((?:[A-Z][\w&-]*\s+(?:(?:of|and|for|the)\s+)?){1,6})\(([A-Z]{2,6})\)")
    return {m.group(2): clean_name(m.group(1)) for m in pattern.finditer(text)}


def _merge(mentions: Sequence[Mention], defined: dict[str, str]) -> list[_Entity]:
    """Group mentions into entities, longest names first so that short forms find their full name."""
    by_name: dict[str, list[Mention]] = {}
    for mention in mentions:
        name = known_alias(mention.name) or defined.get(mention.name, mention.name)
        by_name.setdefault(name, []).append(mention)
    entities: list[_Entity] = []
    index: dict[str, _Entity] = {}
    for name in sorted(by_name, key=lambda n: (-len(n.split()), -len(n), n)):
        group = by_name[name]
        entity = index.get(name.lower()) or _find_full_form(name, group, entities)
        if entity is None:
            entity = _Entity()
            entities.append(entity)
        index[name.lower()] = entity
        entity.names[name] += len(group)
        entity.kinds.update(m.kind for m in group)
        entity.mentions.extend(group)
    return entities


def _find_full_form(name: str, group: Sequence[Mention], entities: Sequence[_Entity]) -> _Entity | None:
    """The one entity this name is a short form of; ambiguous short forms ("Rachel") stay apart."""
    kind = Counter(m.kind for m in group).most_common(1)[0][0]
    candidates = [
        entity
        for entity in entities
        if any(is_alias_of(name, full) for full in entity.names) and _kinds_compatible(name, kind, entity)
    ]
    return candidates[0] if len(candidates) == 1 else None


def _kinds_compatible(name: str, kind: str, entity: _Entity) -> bool:
    """Acronyms name organisations and places alike; spaCy's small model mislabels lone surnames."""
    other = majority_kind(entity.kinds)
    return is_acronym(name) or kind == other or (len(name.split()) == 1 and "person" in (kind, other))


def _keep(entity: _Entity, docs: Sequence["Doc"]) -> bool:
    """Drop single dictionary words that only ever open a sentence ("Adult abusers"), where capitals mean
    nothing, and lone surnames used as modifiers of a common noun ("the Jay inquiry")."""
    name = entity.name
    if len(name.split()) > 1 or is_acronym(name) or name in CURATED_KINDS or any(c.isdigit() for c in name):
        return True
    if name.lower() in _common_words() and all(_opens_sentence(m, docs) for m in entity.mentions):
        return False
    return not (entity.kind == "person" and all(_is_modifier(m, docs) for m in entity.mentions))


def _mention_tokens(mention: Mention, docs: Sequence["Doc"]) -> list["Token"]:
    return [token for token in docs[mention.sentence + 1] if token.text == mention.name.split()[0]]


def _opens_sentence(mention: Mention, docs: Sequence["Doc"]) -> bool:
    return any(t.is_sent_start or (t.i > 0 and t.nbor(-1).is_quote) for t in _mention_tokens(mention, docs))


def _is_modifier(mention: Mention, docs: Sequence["Doc"]) -> bool:
    return any(t.dep_ == "compound" and t.head.pos_ == "NOUN" for t in _mention_tokens(mention, docs))


def _hashtag(entity: _Entity) -> Hashtag:
    body = sorted({m.sentence for m in entity.mentions if m.sentence != TITLE_SENTENCE})
    return Hashtag(entity.name, entity.kind, slugify(entity.name), len(entity.mentions), body)


def _prominence(entity: _Entity) -> tuple[int, int, int]:
    in_title = any(m.sentence == TITLE_SENTENCE for m in entity.mentions)
    return (-len(entity.mentions), 0 if in_title else 1, min(m.order for m in entity.mentions))


def extract_hashtags(article: Article) -> list[Hashtag]:
    found = entity_docs(article)
    if found is None:
        return known_name_hashtags(article)
    title_doc, docs = found
    all_docs = [title_doc, *docs]
    defined = _defined_acronyms(" ".join([article.title, *article.sentences]))
    mentions = article_mentions(title_doc, docs)
    entities = [e for e in _merge(mentions, defined) if _keep(e, all_docs) and slugify(e.name)]
    tags = [_hashtag(entity) for entity in sorted(entities, key=_prominence)]
    topics = extract_topics(title_doc, docs) if nlp.primary_language(article.language) == "en" else []
    return unique_hashtags(tags + topics)


def reads_known_names_only(language: str | None) -> bool:
    """Whether no entity pipeline reads ``language``'s text, so that its hashtags are the known names it spells
    out (``known_name_hashtags``)."""
    primary = nlp.primary_language(language)
    return primary != "en" and primary in aliases.LANGUAGES and primary not in nlp.ENTITY_PIPELINES


def known_name_hashtags(article: Article, stored: Mapping[str, tuple[str, str]] | None = None) -> list[Hashtag]:
    """For an article in a language no entity pipeline reads but the alias table does (German): the countries,
    unions of countries and names of the table (``aliases.known``) it writes, in English, and the names of
    ``stored`` (slug -> (name, kind): entities other coverage found, ``spelled_slugs`` looked up) it writes as
    they are stored. Nothing else can be told from its capitalised words: German capitalises every noun
    ("Der Fall", "Meinungsfreiheit")."""
    language = nlp.primary_language(article.language)
    if language not in aliases.LANGUAGES:
        return []
    tags = []
    for sentence, text in [(TITLE_SENTENCE, article.title), *enumerate(article.sentences)]:
        for run in capitalised_runs(text):
            tags.extend(
                Hashtag(name, kind, slugify(name), 1, [sentence] if sentence != TITLE_SENTENCE else [])
                for name, kind in _known_names_in(run, language, stored or {})
            )
    return unique_hashtags(tags)


def spelled_slugs(article: Article) -> set[str]:
    """The slug of every name ``known_name_hashtags`` could find in ``article``'s title and sentences: every
    inner run of its runs of capitalised words, as written and with a genitive "s" read off."""
    slugs = set()
    for text in [article.title, *article.sentences]:
        for run in capitalised_runs(text):
            for size in range(1, min(MAX_KNOWN_WORDS, len(run)) + 1):
                for start in range(len(run) - size + 1):
                    name = " ".join(run[start : start + size])
                    slugs.update(slugify(spelling) for spelling in _spellings(name))
    slugs.discard("")
    return slugs


def _spellings(name: str) -> list[str]:
    """``name`` and, when it ends in "s", the name a genitive "s" was added to ("Deutschlands", "Caseys")."""
    return [name, name[:-1]] if name.endswith("s") else [name]


def _known_names_in(
    run: Sequence[str], language: str, stored: Mapping[str, tuple[str, str]]
) -> Iterable[tuple[str, str]]:
    """The known names a run of capitalised words holds, longest first and not overlapping ("Weißen Haus", not
    also "Haus"; "Yvette Cooper", not also "Cooper"): the alias table's, then ``stored``'s."""
    start = 0
    while start < len(run):
        for end in range(min(len(run), start + MAX_KNOWN_WORDS), start, -1):
            found = _known_name(" ".join(run[start:end]), language, stored)
            if found is not None:
                yield found
                start = end
                break
        else:
            start += 1


def _known_name(name: str, language: str, stored: Mapping[str, tuple[str, str]]) -> tuple[str, str] | None:
    for spelling in _spellings(name):
        found = aliases.known(spelling, language) or stored.get(slugify(spelling))
        if found is not None:
            return found
    return None


def capitalised_runs(text: str) -> list[list[str]]:
    """The runs of capitalised words ("Joe Biden", "Weißen Haus"), where a name may be in any language that
    capitalises names; punctuation ends a run."""
    runs: list[list[str]] = [[]]
    for word in re.findall(r"[^\W_]+(?:[.'’-][^\W_]+)*|[^\w\s]", text):
        if word[:1].isupper():
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def unique_hashtags(tags: Iterable[Hashtag]) -> list[Hashtag]:
    """One hashtag a slug, in first-seen order, mentions added up and sentences joined.

    Names that differ only in case or accents share a slug ("Venture Capital" the organisation and "venture
    capital" the topic), and a hashtag page is one per slug, so they are one hashtag. Which name and kind it
    keeps: a named entity over a topic (a name is the more specific reading), then the more often mentioned,
    then person over organisation over place, as ``majority_kind`` breaks ties.
    """
    return list(merge_hashtags({}, tags).values())


def merge_hashtags(merged: dict[str, Hashtag], tags: Iterable[Hashtag]) -> dict[str, Hashtag]:
    """``unique_hashtags`` carried on: adds ``tags`` into ``merged`` (slug -> hashtag, first seen first), so a
    story's hashtags can be merged article by article; returns ``merged``."""
    for tag in tags:
        kept = merged.get(tag.slug)
        if kept is None:
            merged[tag.slug] = Hashtag(tag.name, tag.kind, tag.slug, tag.mentions, sorted(set(tag.sentences)))
            continue
        if _naming_strength(tag) > _naming_strength(kept):
            kept.name, kept.kind = tag.name, tag.kind
        kept.mentions += tag.mentions
        kept.sentences = sorted(set(kept.sentences) | set(tag.sentences))
    return merged


def _naming_strength(tag: Hashtag) -> tuple[bool, int, int]:
    return (tag.kind != "topic", tag.mentions, KIND_PRIORITY.get(tag.kind, 0))


# --- topics --------------------------------------------------------------------------------------------------

TOPIC_FILLER = frozenset(
    "new other many more most some such same own whole further former latest recent previous certain "
    "several various major full last first next few".split()
)


def _topic_terms(doc: "Doc") -> Iterable[tuple[str, str]]:
    """(lemma key, surface) for 2-3 word common-noun phrases inside the doc's noun chunks."""
    for chunk in doc.noun_chunks:
        words = [t for t in chunk if _topic_word(t)]
        for size in (3, 2):
            for i in range(len(words) - size + 1):
                gram = words[i : i + size]
                if gram[-1].pos_ != "NOUN" or any(b.i != a.i + 1 for a, b in zip(gram, gram[1:], strict=False)):
                    continue
                key = " ".join(t.lemma_.lower() if t.pos_ == "NOUN" else t.lower_ for t in gram)
                yield key, " ".join(t.lower_ for t in gram)


def _topic_word(token: "Token") -> bool:
    modifier = token.pos_ == "ADJ" or (token.pos_ == "VERB" and token.dep_ in ("amod", "compound"))
    return (
        (token.pos_ == "NOUN" or modifier)
        and not token.ent_type_
        and token.is_alpha
        and token.lower_ not in TOPIC_FILLER
    )


def extract_topics(title_doc: "Doc", docs: Sequence["Doc"]) -> list[Hashtag]:
    counts: Counter[str] = Counter()
    surfaces: dict[str, Counter[str]] = {}
    sentences: dict[str, set[int]] = {}
    for sentence, doc in enumerate([title_doc, *docs], start=TITLE_SENTENCE):
        for key, surface in set(_topic_terms(doc)):
            counts[key] += 2 if sentence == TITLE_SENTENCE else 1
            surfaces.setdefault(key, Counter())[surface] += 1
            sentences.setdefault(key, set()).add(sentence)
    chosen: list[str] = []
    best = counts.most_common(1)[0][1] if counts else 0
    for key, count in counts.most_common():
        if len(chosen) == MAX_TOPICS or count < max(MIN_TOPIC_MENTIONS, best / 2):
            break
        key = _fullest_topic(key, counts)
        if not any(key in other or other in key for other in chosen):
            chosen.append(key)
    tags = []
    for key in chosen:
        name = surfaces[key].most_common(1)[0][0]
        body = sorted(s for s in sentences[key] if s != TITLE_SENTENCE)
        tags.append(Hashtag(name, "topic", slugify(key), counts[key], body))  # the lemma key: same slug everywhere
    return tags


def _fullest_topic(key: str, counts: Counter[str]) -> str:
    """ "child sexual exploitation" over "sexual exploitation" when the longer form is written often enough."""
    longer = [other for other in counts if key in other and other != key and counts[other] * 2 >= counts[key]]
    return max(longer, key=lambda other: counts[other]) if longer else key


# --- story ---------------------------------------------------------------------------------------------------


def resolve_story(per_article: list[list[Hashtag]], renames: dict[str, Hashtag] | None = None) -> list[list[Hashtag]]:
    """Resolve short forms against full names found anywhere in the story (``story_renames``, computed here
    unless the caller already has it), then dedupe each list."""
    renames = story_renames(per_article) if renames is None else renames
    resolved: list[list[Hashtag]] = []
    for tags in per_article:
        renamed = []
        for tag in tags:
            target = renames.get(tag.slug, tag)
            renamed.append(Hashtag(target.name, target.kind, target.slug, tag.mentions, list(tag.sentences)))
        resolved.append(unique_hashtags(renamed))
    return resolved


def story_renames(per_article: Sequence[Sequence[Hashtag]]) -> dict[str, Hashtag]:
    """Article slug -> the story-wide entity it names ("casey" -> Louise Casey when another outlet gives the
    full name), for hashtags and for quote speakers alike."""
    named = [tag for tags in per_article for tag in tags if tag.kind != "topic"]
    mentions = [Mention(tag.name, tag.kind, 0, 0) for tag in named for _ in range(max(tag.mentions, 1))]
    entities = _merge(mentions, {})
    by_name = {name.lower(): entity for entity in entities for name in entity.names}
    renames: dict[str, Hashtag] = {}
    for tag in named:
        entity = by_name.get((known_alias(tag.name) or tag.name).lower())
        if entity is not None:
            renames[tag.slug] = Hashtag(entity.name, entity.kind, slugify(entity.name))
    return renames


def match_hashtag(name: str, hashtags: Sequence[Hashtag], kinds: Iterable[str] = ("person", "org")) -> Hashtag | None:
    """The hashtag a written name refers to ("Ms Cooper" -> Yvette Cooper), or None when unknown or ambiguous."""
    wanted = set(kinds)
    cleaned, _, _ = split_honorifics(clean_name(name))
    cleaned = known_alias(cleaned) or cleaned
    candidates = [tag for tag in hashtags if tag.kind in wanted]
    exact = [tag for tag in candidates if tag.name.lower() == cleaned.lower()]
    if exact:
        return exact[0]
    partial = [tag for tag in candidates if cleaned and is_alias_of(cleaned, tag.name)]
    return partial[0] if len(partial) == 1 else None
