"""The words and names an article shares with a story, weighted by how rare they are (TF-IDF overlap).

Two events on one subject read alike to a sentence encoder ("Senate passes infrastructure bill", "Senate
blocks voting rights bill"); what tells them apart is the rarer vocabulary each event brings: the names, the
numbers, the specific nouns. Document frequencies are counted online over every article placed, so a word
is rare by what this deployment has seen, and the count grows with the vocabulary, not with the corpus.
"""

from __future__ import annotations

import importlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

import numpy as np
from spacy.lang.en.stop_words import STOP_WORDS

from storyline.enrich.entities import capitalised_runs, known_alias, slugify

# Letters and digits, with inner apostrophes, dots and hyphens kept ("o'brien", "covid-19", "u.s").
WORD = re.compile(r"[^\W_]+(?:[.'’-][^\W_]+)*", re.UNICODE)
# Of the body, after the title: the lead, as much as the embedding reads. The lead carries the event, and the
# placement model is fitted on title-and-lead sets: a full text's many more words would lower every share.
LEXICAL_CHARS = 400


def terms(title: str, text: str, language: str = "en") -> frozenset[str]:
    """The distinct content words of the title and the start of the body: three letters or more, or a
    number, never a stop word of English or of ``language``."""
    words = WORD.findall(f"{title} {text[:LEXICAL_CHARS]}".casefold())
    stop = stop_words(language)
    return frozenset(word for word in words if (len(word) >= 3 or word.isdigit()) and word not in stop)


@lru_cache(maxsize=None)
def stop_words(language: str) -> frozenset[str]:
    """spaCy's stop words of ``language`` (a primary tag) with English's, casefolded; English's alone for a
    language spaCy has none for. In a mostly English stream, "der", "les" or "que" would otherwise be rare
    words that every article of their language shares."""
    english = frozenset(word.casefold() for word in STOP_WORDS)
    if language == "en" or not language.isalpha():
        return english
    try:
        own = importlib.import_module(f"spacy.lang.{language}.stop_words").STOP_WORDS
    except (ImportError, AttributeError):
        return english
    return english | frozenset(word.casefold() for word in own)


MAX_NAME_WORDS = 4


def names_and_numbers(title: str, text: str, language: str = "en") -> frozenset[str]:
    """Of ``terms``, those written capitalised or in digits: names and numbers, which most languages write
    alike ("Biden", "Kaboul" aside), where a translated article shares little else of its vocabulary."""
    window = f"{title} {text[:LEXICAL_CHARS]}"
    spelled = {word.casefold() for run in capitalised_runs(window) for word in run}
    return frozenset(term for term in terms(title, text, language) if term in spelled or term.isdigit())


def known_names(title: str, text: str, known: Mapping[str, int]) -> frozenset[str]:
    """The entity slugs ``known`` (slug -> how many placed articles name it) that the title and lead spell out:
    each run of capitalised words and its inner runs of up to ``MAX_NAME_WORDS`` words, read as the alias table
    names them in English ("Weißen Haus" is the White House) or as written ("Joe Biden"). For articles whose
    language no entity pipeline reads (German): the names other coverage has already found, nothing new."""
    found = set()
    for words in capitalised_runs(f"{title}\n{text[:LEXICAL_CHARS]}"):
        for size in range(1, min(MAX_NAME_WORDS, len(words)) + 1):
            for start in range(len(words) - size + 1):
                name = " ".join(words[start : start + size])
                slug = slugify(known_alias(name) or name)
                if known.get(slug, 0) > 0:
                    found.add(slug)
    return frozenset(found)


class DocumentFrequencies:
    """How many of the documents seen so far hold each term."""

    def __init__(self) -> None:
        self.documents = 0
        self.counts: Counter[str] = Counter()

    def add(self, document: Iterable[str]) -> None:
        self.documents += 1
        self.counts.update(set(document))

    def add_to_counted(self, terms: Iterable[str]) -> None:
        """Counts ``terms`` in a document already counted (its entities, learned after it was placed)."""
        self.counts.update(set(terms))

    def idf(self, term: str) -> float:
        """Smoothed inverse document frequency, as scikit-learn's TfidfVectorizer computes it."""
        return math.log((1 + self.documents) / (1 + self.counts[term])) + 1


def overlap(document: frozenset[str], story: Mapping[str, int], size: int, frequencies: DocumentFrequencies):
    """(share, presence): of the document's idf mass, the part the story carries weighted by the share of its
    members holding each term, and the part any member holds. The first does not grow with the story's size."""
    if not document or not size:
        return 0.0, 0.0
    total = shared = present = 0.0
    for term in document:
        weight = frequencies.idf(term)
        total += weight
        members = story.get(term, 0)
        if members:
            shared += weight * members / size
            present += weight
    return shared / total, present / total


def rarest_shared(document: frozenset[str], story: Mapping[str, int], frequencies: DocumentFrequencies, count: int):
    """The ``count`` rarest terms the document shares with the story, rarest first: why the two belong together."""
    shared = [term for term in document if story.get(term)]
    return sorted(shared, key=lambda term: (-frequencies.idf(term), term))[:count]


def incidence(sets: Sequence[frozenset[str]], vocabulary: Mapping[str, int]) -> np.ndarray:
    """A row for each set, a column for each word of ``vocabulary``: 1 where the set holds the word. Comparing
    many sets at once as matrix products keeps pairwise comparisons out of Python loops."""
    matrix = np.zeros((len(sets), len(vocabulary)), dtype=np.float64)
    for row, words in enumerate(sets):
        matrix[row, [vocabulary[word] for word in words]] = 1.0
    return matrix
