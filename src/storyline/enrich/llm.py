"""An optional OpenAI-compatible chat endpoint that rewrites retrieved sentences into a short answer.

The model only ever sees numbered source sentences, and nothing it writes is trusted: a synthesized sentence is
kept only when every ``[n]`` it cites is one of the given sentences and it is close in meaning (MiniLM cosine) to
a sentence it cites. Anything else is dropped, so the answer never says more than the sources do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
import numpy as np

from storyline import nlp
from storyline.config import Settings
from storyline.domain import Citation
from storyline.errors import FetchError
from storyline.logs import get_logger

log = get_logger("llm")

TIMEOUT_S = 15.0  # an answer page waits on this; past it the extractive answer is shown
MAX_TOKENS = 300
SUPPORT_THRESHOLD = 0.55  # MiniLM cosine between a synthesized sentence and a source it cites
_MARKER = re.compile(r"\[(\d+)\]")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+\])+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?])")
SYSTEM_PROMPT = (
    "You answer questions about news articles using only the numbered source sentences given. "
    "Write at most three short sentences. End every sentence with the numbers of the sources it rests on, "
    "like [1] or [2][3]. Never add a fact that is not in the cited sources. "
    "If the sources do not answer the question, say so."
)


@dataclass(slots=True)
class Synthesis:
    text: str  # kept sentences, markers renumbered to index ``citations`` from 1
    citations: list[Citation]


def chat(settings: Settings, messages: list[dict[str, str]]) -> str:
    """One chat completion; any transport, status or shape problem is a ``FetchError``."""
    if not settings.llm_url:
        raise FetchError("no LLM endpoint configured")
    url = settings.llm_url.rstrip("/") + "/chat/completions"
    headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
    payload = {"model": settings.llm_model, "messages": messages, "temperature": 0, "max_tokens": MAX_TOKENS}
    try:
        response = httpx.post(url, json=payload, headers=headers, timeout=TIMEOUT_S)
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise FetchError(f"LLM request failed: {exc.__class__.__name__}", subject=url) from exc
    if not isinstance(content, str) or not content.strip():
        raise FetchError("LLM returned no text", subject=url)
    return content


def prompt(question: str, evidence: Sequence[Citation]) -> list[dict[str, str]]:
    numbered = "\n".join(f"[{n}] ({c.source}) {c.text}" for n, c in enumerate(evidence, start=1))
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"Sources:\n{numbered}\n\nQuestion: {question}"},
    ]


def synthesize(question: str, evidence: Sequence[Citation], settings: Settings) -> Synthesis | None:
    """A grounded synthesis of ``evidence``, or None when no synthesized sentence survives the checks.

    Raises ``FetchError`` when the endpoint fails; the caller falls back to the extractive answer."""
    reply = chat(settings, prompt(question, evidence))
    kept = supported_sentences(reply, evidence)
    dropped = len(_cited_sentences(reply)) - len(kept)
    if dropped:
        log.info("unsupported sentences dropped", dropped=dropped, kept=len(kept))
    if not kept:
        return None
    return _renumber(kept, evidence)


def supported_sentences(reply: str, evidence: Sequence[Citation]) -> list[tuple[str, list[int]]]:
    """The reply's sentences that cite only given sources and are close in meaning to one they cite, each with
    its cited source positions (0-based), marker-free text."""
    candidates = [
        (text, cited)
        for text, cited in _cited_sentences(reply)
        if cited and text and all(0 <= n < len(evidence) for n in cited)
    ]
    if not candidates:
        return []
    vectors = nlp.embed([text for text, _ in candidates])
    sources = nlp.embed([citation.text for citation in evidence])
    return [
        (text, cited)
        for (text, cited), vector in zip(candidates, vectors, strict=True)
        if float(np.max(sources[cited] @ vector)) >= SUPPORT_THRESHOLD
    ]


def _cited_sentences(reply: str) -> list[tuple[str, list[int]]]:
    """Each reply sentence without its ``[n]`` markers, with the 0-based positions it cites; markers a splitter
    puts at the start of the next sentence ("... cases. [1] Then ...") stay with the sentence they close."""
    parsed: list[tuple[str, list[int]]] = []
    for sentence in nlp.split_sentences(reply):
        leading = _LEADING_MARKERS.match(sentence)
        if leading and parsed:
            parsed[-1][1].extend(int(n) - 1 for n in _MARKER.findall(leading.group()))
            sentence = sentence[leading.end() :]
        cited = [int(n) - 1 for n in _MARKER.findall(sentence)]
        text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", " ".join(_MARKER.sub("", sentence).split()))
        parsed.append((text, cited))
    return [(text, sorted(set(cited))) for text, cited in parsed if text]


def _renumber(kept: Sequence[tuple[str, list[int]]], evidence: Sequence[Citation]) -> Synthesis:
    order: list[int] = []
    for _, cited in kept:
        order.extend(n for n in cited if n not in order)
    position = {n: i + 1 for i, n in enumerate(order)}
    sentences = []
    for text, cited in kept:
        markers = "".join(f"[{position[n]}]" for n in cited)
        body, end = (text[:-1], text[-1]) if text[-1] in ".!?" else (text, "")
        sentences.append(f"{body} {markers}{end}")
    return Synthesis(" ".join(sentences), [evidence[n] for n in order])
