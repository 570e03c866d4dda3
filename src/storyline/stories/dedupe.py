"""Syndicated-copy detection: MinHash LSH over word shingles of article bodies.

Wire copy reappears across outlets with small edits (a changed intro, a trimmed last paragraph), so copies are
found by the Jaccard similarity of their word 5-gram sets, estimated with MinHash and looked up through LSH,
which keeps each lookup independent of how many bodies are indexed. Too short a text has too few shingles for
that estimate to mean anything (two headlines on one event can share most words and still be different
articles), so short texts count as copies only when their normalised words are identical.

Entries are retired by item time (``published``), never wall clock, so replays of old data behave as live ones.
"""

from __future__ import annotations

import hashlib
import heapq
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from datasketch import MinHash, MinHashLSH

WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class DedupeConfig:
    threshold: float = 0.6  # estimated Jaccard of shingle sets at or above which a body is a copy
    # ... or the share of the shorter body's shingles found in the longer one: outlets trim wire copy, which
    # lowers the Jaccard similarity without making the text any less a copy
    containment: float = 0.8
    lsh_threshold: float = 0.45  # recall of the LSH lookup, below both tests above
    shingle_words: int = 5
    min_words: int = 40  # below this a text is compared as a whole, exactly
    num_perm: int = 128
    window: timedelta = timedelta(days=3)


def words(text: str) -> list[str]:
    return WORD.findall(text.casefold())


def shingles(tokens: list[str], size: int) -> set[str]:
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def containment(jaccard: float, size_a: int, size_b: int) -> float:
    """Share of the smaller set inside the larger, from their Jaccard similarity and sizes."""
    if not size_a or not size_b:
        return 0.0
    return min(1.0, jaccard * (size_a + size_b) / ((1 + jaccard) * min(size_a, size_b)))


def exact_fingerprint(tokens: list[str]) -> str:
    return hashlib.blake2b(" ".join(tokens).encode("utf-8"), digest_size=16).hexdigest()


class DuplicateFinder:
    """Remembers recent bodies; ``check_and_add`` names the original an incoming body copies, if any."""

    def __init__(self, config: DedupeConfig | None = None) -> None:
        self.config = config or DedupeConfig()
        self._template = MinHash(num_perm=self.config.num_perm)
        self._lsh = MinHashLSH(threshold=self.config.lsh_threshold, num_perm=self.config.num_perm)
        self._signatures: dict[str, tuple[MinHash, int]] = {}  # key -> signature, number of shingles
        self._exact: dict[str, str] = {}  # fingerprint -> key of its first article
        self._fingerprint_of: dict[str, str] = {}
        self._original_of: dict[str, str] = {}  # key -> key of the first article of its copy chain
        self._expiry: list[tuple[datetime, str]] = []

    def __len__(self) -> int:
        return len(self._original_of)

    def check_and_add(self, key: str, text: str, published: datetime) -> str | None:
        """The key of the earliest known article ``text`` copies (following copy chains), else None."""
        self.retire(published - self.config.window)
        if key in self._original_of:
            original = self._original_of[key]
            return None if original == key else original
        tokens = words(text)
        long_enough = len(tokens) >= self.config.min_words
        match = self._match_long(key, tokens) if long_enough else self._match_short(key, tokens)
        original = self._original_of.get(match, match) if match else key
        self._original_of[key] = original
        heapq.heappush(self._expiry, (published, key))
        return None if original == key else original

    def retire(self, before: datetime) -> int:
        """Forgets bodies published before ``before``; returns how many."""
        retired = 0
        while self._expiry and self._expiry[0][0] < before:
            _, key = heapq.heappop(self._expiry)
            self.forget(key)
            retired += 1
        return retired

    def _match_long(self, key: str, tokens: list[str]) -> str | None:
        grams = shingles(tokens, self.config.shingle_words)
        signature = self._template.copy()
        signature.clear()
        signature.update_batch([gram.encode("utf-8") for gram in grams])
        best: tuple[float, str] | None = None
        for candidate in self._lsh.query(signature):
            other, other_size = self._signatures[candidate]
            similarity = signature.jaccard(other)
            is_copy = (
                similarity >= self.config.threshold
                or containment(similarity, len(grams), other_size) >= self.config.containment
            )
            if is_copy and (best is None or similarity > best[0]):
                best = (similarity, candidate)
        self._lsh.insert(key, signature)
        self._signatures[key] = (signature, len(grams))
        return best[1] if best else None

    def _match_short(self, key: str, tokens: list[str]) -> str | None:
        fingerprint = exact_fingerprint(tokens)
        self._fingerprint_of[key] = fingerprint
        first = self._exact.setdefault(fingerprint, key)
        return None if first == key else first

    def forget(self, key: str) -> None:
        """Drops one body, as when it retires or when its article could not be stored."""
        self._original_of.pop(key, None)
        if self._signatures.pop(key, None) is not None:
            self._lsh.remove(key)
        fingerprint = self._fingerprint_of.pop(key, None)
        if fingerprint is not None and self._exact.get(fingerprint) == key:
            del self._exact[fingerprint]
