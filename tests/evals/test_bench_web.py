"""The web benchmark's request sets: which pages each phase asks for."""

from __future__ import annotations

from collections import Counter

import pytest

from storyline.errors import InputError
from storyline.evals import bench


def test_phases_share_no_page_so_none_starts_with_another_phases_cached_copies():
    warmup, distinct, readers = bench._article_paths(100_000)
    assert len(set(distinct)) == len(distinct) == bench.DISTINCT_PAGES, "every distinct page is asked for once"
    assert not set(warmup) & set(distinct) and not set(warmup) & set(readers) and not set(distinct) & set(readers)


def test_readers_ask_for_a_few_pages_most_of_the_time():
    _, _, readers = bench._article_paths(100_000)
    counts = sorted(Counter(readers).values(), reverse=True)
    assert len(counts) <= bench.READERS_PAGES
    top_tenth = sum(counts[: bench.READERS_PAGES // 10])
    # Zipf with s = 1 over 1,000 pages: the top hundred take about 70% of requests.
    assert 0.6 < top_tenth / len(readers) < 0.8


def test_a_database_too_small_for_the_phases_is_refused():
    with pytest.raises(InputError, match="at least"):
        bench._article_paths(1_000)
