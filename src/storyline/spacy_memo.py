"""Memoised stand-ins for two of ``en_core_web_sm``'s components, with the same output as the originals.

The attribute ruler (part of speech and morphology from the tagger's tags, through 179 token patterns) and the
rule lemmatizer spent about a quarter of the pipeline's time, each token through spaCy's Python: the matcher
walking every pattern, a lemma looked up anew. Both are functions of a handful of a token's attributes, so each
answer is remembered by those attributes and a token whose attributes were seen before gets it at once. Tokens
never seen go through the original component (the ruler's with just their neighbours), whose answer is then
remembered: the output is the original's, token for token (``tests/test_spacy_memo.py`` compares them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from spacy.attrs import DEP, IS_SPACE, LOWER, TAG
from spacy.language import Language

if TYPE_CHECKING:
    from spacy.tokens import Doc, MorphAnalysis

# Answers kept per component; past it the memory starts over (a few hundred bytes an answer).
MEMO_SIZE = 200_000
_OTHER = -1  # any value no pattern names
# What the attribute ruler's patterns may test, and how; anything else would make a token's answer depend on
# more than its key holds.
_RULER_ATTRIBUTES = {"TAG": TAG, "LOWER": LOWER, "DEP": DEP, "IS_SPACE": IS_SPACE}
_LISTS = ("IN", "NOT_IN")


class _Seen:
    """What patterns can tell apart in a token's attributes: a value some pattern names stays itself; any other
    value is known only by which of the patterns' regular expressions it matches."""

    def __init__(self, patterns: Iterable[list[dict[str, Any]]], strings: Any) -> None:
        self._strings = strings
        self._named: dict[int, set] = {}
        self._regexes: dict[int, list[re.Pattern]] = {}
        for pattern in patterns:
            for token in pattern:
                for name, wanted in token.items():
                    self._add(name, wanted)
        self.attributes = sorted(set(self._named) | set(self._regexes))
        self._classes: dict[int, dict[int, Any]] = {attribute: {} for attribute in self.attributes}

    def _add(self, name: str, wanted: Any) -> None:
        if name not in _RULER_ATTRIBUTES:
            raise ValueError(f"attribute ruler pattern tests {name}, which the memo does not key on")
        attribute = _RULER_ATTRIBUTES[name]
        if isinstance(wanted, dict):
            if set(wanted) - {*_LISTS, "REGEX"}:
                raise ValueError(f"attribute ruler pattern uses {sorted(wanted)}: only {_LISTS} and REGEX")
            if "REGEX" in wanted:
                self._regexes.setdefault(attribute, []).append(re.compile(wanted["REGEX"]))
            values = [value for operator in _LISTS for value in wanted.get(operator, [])]
        else:
            values = [wanted]
        # As a Doc's arrays hold them: spaCy's symbol for a built-in label ("nsubj"), else the string's hash; 0 for "".
        hashed = {value if isinstance(value, bool) else self._strings[value] for value in values}
        self._named.setdefault(attribute, set()).update(hashed)

    def _value(self, attribute: int, value: int) -> Any:
        classes = self._classes[attribute]
        seen = classes.get(value)
        if seen is None:
            if value in self._named.get(attribute, ()):
                seen = value
            else:
                text = "" if attribute == IS_SPACE else self._strings[value]
                seen = (_OTHER, *(regex.search(text) is not None for regex in self._regexes.get(attribute, [])))
            classes[value] = seen
        return seen

    def key(self, row: list, columns: dict[int, int]) -> tuple:
        return tuple(self._value(attribute, row[columns[attribute]]) for attribute in self.attributes)


class MemoisedAttributeRuler:
    """The attribute ruler's part of speech, morphology, lemma, tag and dependency for each token, remembered by
    what its patterns can tell apart in the token's tag, lowercase form, dependency and spacing, and in the
    neighbours' attributes that two-token patterns test."""

    def __init__(self, ruler: Any) -> None:
        self._ruler = ruler
        patterns = [pattern for rule in ruler.patterns for pattern in rule["patterns"]]
        if any(len(pattern) > 2 for pattern in patterns):
            raise ValueError("attribute ruler patterns longer than two tokens reach past a token's neighbours")
        strings = ruler.vocab.strings
        self._own = _Seen(patterns, strings)
        self._neighbour = _Seen((pattern for pattern in patterns if len(pattern) > 1), strings)
        self._attributes = sorted(set(self._own.attributes) | set(self._neighbour.attributes))
        self._columns = {attribute: index for index, attribute in enumerate(self._attributes)}
        self._answers: dict[tuple, tuple[int, "MorphAnalysis", int, int, int]] = {}

    def _keys(self, doc: "Doc") -> list[tuple]:
        if not len(doc):
            return []
        rows = doc.to_array(self._attributes).reshape(len(doc), -1).tolist()
        own = [self._own.key(row, self._columns) for row in rows]
        near = [self._neighbour.key(row, self._columns) for row in rows]
        near.append(())  # past either end: near[-1] is then the nothing before the first token
        return [(own[i], near[i - 1], near[i + 1]) for i in range(len(rows))]

    def __call__(self, doc: "Doc") -> "Doc":
        if len(self._answers) > MEMO_SIZE:
            self._answers.clear()
        keys = self._keys(doc)
        for index, key in enumerate(keys):
            if key not in self._answers:
                self._remember(doc, index, key)
        for token, key in zip(doc, keys, strict=True):
            pos, morph, lemma, tag, dep = self._answers[key]
            token.pos = pos
            token.morph = morph
            if lemma:
                token.lemma = lemma
            if tag:  # the rare token whose tag or dependency the ruler sets (whitespace)
                token.tag = tag
            if dep:
                token.dep = dep
        return doc

    def _remember(self, doc: "Doc", index: int, key: tuple) -> None:
        """Asks the original ruler about one token, in a copy of it between its neighbours (all that any pattern
        sees of it), and remembers the answer. A tag or dependency is remembered only where the ruler changed it:
        elsewhere it is the tagger's or parser's, not the key's."""
        from spacy.tokens import Doc

        start = max(index - 1, 0)
        around = doc[start : index + 2]
        copy = Doc(doc.vocab, words=[t.text for t in around], spaces=[bool(t.whitespace_) for t in around])
        for copied, token in zip(copy, around, strict=True):
            copied.tag, copied.dep = token.tag, token.dep
        token = self._ruler(copy)[index - start]
        original = doc[index]
        changed_tag = token.tag if token.tag != original.tag else 0
        changed_dep = token.dep if token.dep != original.dep else 0
        self._answers[key] = (token.pos, token.morph, token.lemma, changed_tag, changed_dep)

    def pipe(self, docs: Iterable["Doc"], batch_size: int = 128) -> Iterator["Doc"]:
        return (self(doc) for doc in docs)


class MemoisedLemmatizer:
    """The rule lemmatizer's lemma for each token that has none yet, remembered by its form, part of speech and
    morphology: what the lemmatizer itself reads (its own cache is keyed the same)."""

    def __init__(self, lemmatizer: Any) -> None:
        if lemmatizer.mode != "rule" or lemmatizer.overwrite:
            raise ValueError("only a rule lemmatizer that keeps earlier lemmas is memoised")
        self._lemmatizer = lemmatizer
        self._lemmas: dict[tuple[int, int, int], int] = {}
        self.lookups = lemmatizer.lookups

    def __call__(self, doc: "Doc") -> "Doc":
        strings = doc.vocab.strings
        for token in doc:
            if token.lemma:
                continue
            key = (token.orth, token.pos, token.morph.key)
            lemma = self._lemmas.get(key)
            if lemma is None:
                if len(self._lemmas) > MEMO_SIZE:
                    self._lemmas.clear()
                lemma = self._lemmas[key] = strings.add(self._lemmatizer.lemmatize(token)[0])
            token.lemma = lemma
        return doc

    def pipe(self, docs: Iterable["Doc"], batch_size: int = 128) -> Iterator["Doc"]:
        return (self(doc) for doc in docs)


@Language.factory("memoised_attribute_ruler")
def make_memoised_attribute_ruler(nlp: Language, name: str, original: str) -> MemoisedAttributeRuler:
    return MemoisedAttributeRuler(nlp.get_pipe(original))


@Language.factory("memoised_lemmatizer")
def make_memoised_lemmatizer(nlp: Language, name: str, original: str) -> MemoisedLemmatizer:
    return MemoisedLemmatizer(nlp.get_pipe(original))


def memoise(nlp: Language) -> Language:
    """``nlp`` with its attribute ruler and lemmatizer answered through the memoised stand-ins; the originals
    stay in the pipeline, disabled, and answer what the stand-ins have not seen."""
    for original, factory in (("attribute_ruler", "memoised_attribute_ruler"), ("lemmatizer", "memoised_lemmatizer")):
        nlp.add_pipe(factory, name=f"memoised_{original}", after=original, config={"original": original})
        nlp.disable_pipe(original)
    return nlp
