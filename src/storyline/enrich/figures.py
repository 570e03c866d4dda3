"""Key figures: the numbers an article gives and what each one counts, and where outlets disagree on them.

spaCy finds the number spans (its CARDINAL, MONEY, PERCENT and QUANTITY entities) and the noun each one
modifies; dates, times, ages, page counts and numbers inside names never qualify, because a key figure must
count something. Across a story, figures counting the same thing (same head noun, similar phrase) are
grouped and flagged when their values differ.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from storyline import nlp
from storyline.domain import Article, Figure
from storyline.enrich.entities import article_docs

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

NUMBER_LABELS = frozenset({"CARDINAL", "MONEY", "PERCENT", "QUANTITY"})
NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "PRODUCT", "WORK_OF_ART", "LAW", "EVENT"})
QUALIFIERS = re.compile(
    r"^(?:(?:more|fewer|less|greater|higher|lower|other)\s+than|almost|nearly|about|around|approximately|roughly|"
    r"at\s+least|at\s+most|as\s+(?:few|many|much|little)\s+as|up\s+to|over|under|some|just|only|a\s+record|"
    r"an\s+estimated|well\s+over|close\s+to)\s+",
    re.IGNORECASE,
)
UNITS_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "a": 1, "an": 1,
}  # fmt: skip
SCALES = {
    "hundred": 100, "thousand": 1_000, "k": 1_000, "million": 1_000_000, "m": 1_000_000, "mn": 1_000_000,
    "billion": 1_000_000_000, "bn": 1_000_000_000, "trillion": 1_000_000_000_000, "tn": 1_000_000_000_000,
    "dozen": 12,
}  # fmt: skip
FRACTIONS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fifth": 5, "fifths": 5}
CURRENCIES = {"£": "GBP", "$": "USD", "€": "EUR", "¥": "JPY", "pounds": "GBP", "dollars": "USD", "euros": "EUR"}
PERCENT_MARKERS = re.compile(r"%|\bper\s*cent\b|\bpercent\b", re.IGNORECASE)
VAGUE = frozenset({"hundreds", "thousands", "millions", "billions", "dozens", "tens", "scores"})
POINTER_NOUNS = frozenset({"number", "total", "figure", "tally", "count", "proportion", "share", "rate"})
MODIFIER_DEPS = frozenset({"compound", "amod", "nmod"})
MAX_COUNTS_WORDS = 7
SAME_THING = 0.6  # cosine similarity of two "counts" phrases that name the same thing differently
SAME_SCALE = 2.0
AGREE_TOLERANCE = 0.02


def parse_number(text: str) -> tuple[float, str | None] | None:
    """("more than £3bn") -> (3e9, "GBP"); None when the text holds no number."""
    unit = next((code for mark, code in CURRENCIES.items() if mark in text.lower()), None)
    if PERCENT_MARKERS.search(text):
        unit = "%"
    words = PERCENT_MARKERS.sub(" ", text).lower()
    for mark in CURRENCIES:
        words = words.replace(mark, " ")
    words = QUALIFIERS.sub("", words.strip())
    words = re.sub(r"(\d)(bn|m|mn|k|tn)\b", r"\1 \2", words).replace("-", " ")
    split = words.replace(" and ", " ").split()
    if any(word in FRACTIONS for word in split[1:]):
        unit = "%"
    value = _words_value(split)
    return None if value is None else (value, unit)


def _words_value(words: Sequence[str]) -> float | None:
    total, current, seen = 0.0, 0.0, False
    for i, word in enumerate(words):
        number = _digits(word)
        if number is None and word in FRACTIONS and seen:
            return 100 * (total + current) / FRACTIONS[word]  # "two-thirds" as a percentage
        if number is None:
            number = UNITS_WORDS.get(word)
        if number is not None:
            current += number
            seen = True
        elif word in SCALES and (seen or i == 0):
            current = (current or 1) * SCALES[word]
            if SCALES[word] >= 1_000:
                total, current = total + current, 0.0
            seen = True
        elif seen:
            break
    return total + current if seen else None


def _digits(word: str) -> float | None:
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+", word):
        return float(word.replace(",", ""))
    return None


def extract_figures(article: Article) -> list[Figure]:
    _, docs = article_docs(article)
    figures: list[Figure] = []
    for sentence, doc in enumerate(docs):
        figures.extend(_sentence_figures(doc, sentence))
    return figures


def _sentence_figures(doc: "Doc", sentence: int) -> list[Figure]:
    found: list[Figure] = []
    for span in _number_spans(doc):
        if _not_a_figure(span):
            continue
        parsed = parse_number(span.text)
        if parsed is None:
            continue
        value, unit = parsed
        noun = _counted_noun(span)
        counts = _counts_phrase(noun) if noun is not None else _pointer_counts(doc)
        if not counts and found:
            counts = found[-1].counts  # "800 cold cases ..., a number she expected to rise to 1,000"
        if not counts and unit is not None:
            counts = _subject_counts(span)  # "The scheme will cost £3bn": an amount needs no counted noun
        elif not counts:
            continue
        text = doc[span.start : noun.i + 1].text if noun is not None and 0 <= noun.i - span.end < 4 else span.text
        found.append(Figure(value, text, counts, sentence, unit))
    return found


def _number_spans(doc: "Doc") -> Iterable["Span"]:
    """spaCy's number entities, lone numerals it left untagged, each with a trailing "per cent" attached."""
    covered: set[int] = set()
    spans = []
    for span in doc.ents:
        covered.update(range(span.start, span.end))
        if span.label_ in NUMBER_LABELS:
            spans.append(span)
    spans.extend(doc[t.i : t.i + 1] for t in doc if t.pos_ == "NUM" and t.like_num and t.i not in covered)
    for span in sorted(spans, key=lambda s: s.start):
        end = span.end
        while end < len(doc) and doc[end].lower_ in ("per", "cent", "percent", "%") and end - span.end < 2:
            end += 1
        start = span.start - 1 if span.start > 0 and doc[span.start - 1].text in CURRENCIES else span.start
        yield doc[start:end]


def _not_a_figure(span: "Span") -> bool:
    """Times, vague plurals, page counts and ages written as adjectives, numbers inside names."""
    doc = span.doc
    if ":" in span.text or span.text.lower() in VAGUE or span.text.lower() in ("one", "a", "an"):
        return True
    after = doc[span.end] if span.end < len(doc) else None
    if after is not None and after.text in ("-", "–"):
        return True  # "200-page audit", "seven-year inquiry"
    if any(token.ent_type_ in NAME_LABELS for token in span):
        return True
    if any("-" in token.text and token.text[0].isdigit() for token in span):
        return True
    return bool(re.fullmatch(r"(1[89]|20)\d\d", span.text.strip()))  # a year spaCy did not call a date


def _counted_noun(span: "Span") -> "Token | None":
    """The noun the number modifies ("800 cases", "a record 84,200 applications"), or the object of its "of"
    ("two-thirds of perpetrators")."""
    number = next((t for t in reversed(span) if t.like_num or t.pos_ == "NUM"), span.root)
    noun = None
    if number.dep_ in ("nummod", "quantmod", "compound"):
        noun = number.head
        while span.start <= noun.i < span.end and noun.head.i != noun.i:
            noun = noun.head
    if noun is None or noun.pos_ != "NOUN" or span.start <= noun.i < span.end:
        noun = _of_object(span.root) or _of_object(number)
    if noun is not None and noun.lemma_.lower() in POINTER_NOUNS:
        noun = _of_object(noun)
    return noun


def _subject_counts(span: "Span") -> str:
    verb = span.root
    while verb.pos_ not in ("VERB", "AUX") and verb.head.i != verb.i:
        verb = verb.head
    subject = next((t for t in verb.children if t.dep_ in ("nsubj", "nsubjpass") and t.pos_ == "NOUN"), None)
    return _counts_phrase(subject) if subject is not None else ""


def _of_object(token: "Token") -> "Token | None":
    for child in token.children:
        if child.dep_ == "prep" and child.lower_ == "of":
            objects = [t for t in child.children if t.dep_ == "pobj" and t.pos_ == "NOUN"]
            if objects:
                return objects[0]
    return None


def _pointer_counts(doc: "Doc") -> str:
    """ "The number of cold cases ... is expected to rise to more than 1,000" counts cold cases."""
    for token in doc:
        if token.lemma_.lower() in POINTER_NOUNS:
            noun = _of_object(token)
            if noun is not None:
                return _counts_phrase(noun)
    return ""


def _counts_phrase(noun: "Token") -> str:
    """The noun with its modifiers and what directly follows it: a participle ("cases reopened"), a short
    "of"/"for" complement ("cases of child sexual abuse"), or the verb it is the subject of."""
    doc = noun.doc
    left = noun.i
    while left > 0 and doc[left - 1].dep_ in MODIFIER_DEPS and doc[left - 1].head.i >= left:
        left -= 1
    words = [t.text for t in doc[left : noun.i + 1] if t.is_alpha]
    following = doc[noun.i + 1] if noun.i + 1 < len(doc) else None
    if following is None:
        pass
    elif following.head.i == noun.i and following.dep_ == "acl" and following.tag_ == "VBN":
        words.append(following.text)
    elif following.head.i == noun.i and following.dep_ == "prep" and following.lower_ in ("of", "for"):
        obj = next((t for t in following.children if t.dep_ == "pobj"), None)
        if obj is not None:
            complement = [t.text for t in obj.subtree if t.i <= obj.i and t.dep_ not in ("det", "poss") and t.is_alpha]
            words.extend([following.text, *complement])
    elif noun.head.i == following.i and noun.dep_ == "nsubj" and following.tag_ in ("VBD", "VBN"):
        words.append(following.text)
    return " ".join(words[:MAX_COUNTS_WORDS]).lower()


# --- story ---------------------------------------------------------------------------------------------------


def compare_figures(per_article: dict[str, list[Figure]], sources: dict[str, str]) -> list[dict]:
    """Figures counting the same thing in at least two articles, with whether their values disagree.

    Two figures count the same thing when they share a unit, lie within a factor of ``SAME_SCALE`` of each
    other (outlets disagree about 800 or 1,000 cases, not about a dozen) and either share the counted noun
    or phrase it alike ("five local inquiries", "five local investigations").
    """
    entries = [(key, figure) for key, figures in per_article.items() for figure in figures]
    if not entries:
        return []
    vectors = nlp.embed([figure.counts for _, figure in entries])
    heads = _head_lemmas([figure.counts for _, figure in entries])
    parent = list(range(len(entries)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(entries)):
        for j in range(i + 1, len(entries)):
            a, b = entries[i][1], entries[j][1]
            alike = heads[i] == heads[j] or float(np.dot(vectors[i], vectors[j])) >= SAME_THING
            if a.unit == b.unit and _same_scale(a.value, b.value) and alike:
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(entries)):
        groups.setdefault(root(i), []).append(i)
    return [
        _group_dict([entries[i] for i in group], sources)
        for group in groups.values()
        if _spans_articles(group, entries)
    ]


def _same_scale(a: float, b: float) -> bool:
    low, high = sorted((abs(a), abs(b)))
    return high == 0 or (low > 0 and high / low <= SAME_SCALE)


def _spans_articles(group: Iterable[int], entries: Sequence[tuple[str, Figure]]) -> bool:
    return len({entries[i][0] for i in group}) > 1


def _head_lemmas(phrases: Sequence[str]) -> list[str]:
    """The counted noun: the last noun before any complement ("cases" of "cases of child sexual abuse")."""
    heads = []
    for doc in nlp.get_spacy().pipe(phrases):
        before_complement = next((doc[: t.i] for t in doc if t.pos_ == "ADP"), doc)
        nouns = [t for t in before_complement if t.pos_ in ("NOUN", "PROPN")]
        heads.append(nouns[-1].lemma_.lower() if nouns else doc.text)
    return heads


def _group_dict(members: Sequence[tuple[str, Figure]], sources: dict[str, str]) -> dict:
    values = [figure.value for _, figure in members]
    shortest = min((figure.counts for _, figure in members), key=len)
    return {
        "counts": shortest,
        "values": [
            {
                "value": figure.value,
                "text": figure.text,
                "source": sources.get(key, key),
                "article_key": key,
                "sentence": figure.sentence,
            }
            for key, figure in members
        ],
        "disagree": max(values) - min(values) > AGREE_TOLERANCE * max(abs(v) for v in values),
    }
