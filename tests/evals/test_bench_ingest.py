"""``storyline bench ingest`` on a tiny BBC-layout folder: it imports everything and its figures add up."""

from __future__ import annotations

import pytest

from storyline.evals.bench import bench_ingest

ARTICLES = {
    "business/001.txt": "Shares rise as bank cuts rates\n\nShares in London rose on Thursday after the Bank of England "
    "cut interest rates by a quarter point.\n\nThe governor said inflation was falling faster than expected.",
    "sport/001.txt": "United win the derby\n\nManchester United beat City 2-1 at Old Trafford on Sunday.\n\n"
    "The manager said his players had shown great character.",
    "tech/001.txt": "Phone maker recalls batteries\n\nA phone maker is recalling 40,000 batteries after reports of "
    "overheating.\n\nCustomers will be offered a free replacement.",
}


@pytest.fixture()
def bbc_dir(tmp_path):
    for name, text in ARTICLES.items():
        path = tmp_path / "articles" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_bench_ingest_imports_every_article_and_reports_consistent_ratios(bbc_dir):
    # Five articles from three files: the cycled copies get their own URLs and are imported too.
    from storyline import nlp

    bridge_loaded_before = nlp.get_multilingual_embedder.cache_info().currsize > 0
    result = bench_ingest(bbc_dir, count=5)
    assert (result["articles"], result["imported"], result["failed"]) == (5, 5, 0)
    assert result["ratio"] == pytest.approx(result["articles_per_s"] / result["embed_limit_per_s"], rel=0.02)
    assert result["ratio_to_models"] == pytest.approx(result["articles_per_s"] / result["models_limit_per_s"], rel=0.02)
    assert result["ratio_ceiling"] == pytest.approx(result["cpu_limit_per_s"] / result["embed_limit_per_s"], rel=0.02)
    # Both models back to back can never be faster than either alone.
    assert result["models_limit_per_s"] < min(result["embed_limit_per_s"], result["parse_limit_per_s"])
    # The bridge's encoder is loaded last, so the memory with every model is at least the pipeline's own; where an
    # earlier test of this process loaded it already, nothing is added and freed memory may leave RSS lower.
    assert result["bridge_embed_per_s"] > 0 and nlp.get_multilingual_embedder.cache_info().currsize == 1
    if not bridge_loaded_before:
        assert result["rss_mb_all_models_loaded"] >= result["rss_mb_models_loaded"]
