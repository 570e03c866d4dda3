"""The benchmark scorer on hand-made cases with known answers, and the eval run end to end on tiny pages."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from storyline.errors import InputError
from storyline.evals.extraction import Counts, page_counts, run, score, shingles

ARTICLE = (
    "<html><head><title>Library extends opening hours</title></head><body><article>"
    "<p>The central library will open until ten in the evening from next month, the city council said on Friday.</p>"
    "<p>Students had asked for longer hours during the exam period, when every desk is taken by nine.</p>"
    "<p>The extra staff will be paid from the culture budget, which grew by four per cent this year.</p>"
    "</article></body></html>"
)


def test_shingles_are_four_word_windows_and_short_texts_one_shingle() -> None:
    assert shingles("a b c d e") == {("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1}
    assert shingles("Hello, world!") == {("Hello", "world"): 1}
    assert shingles("") == {}
    assert shingles(None) == {}


@pytest.mark.parametrize(
    ("true", "pred", "expected"),
    [
        ("a b c d e", "a b c d e", Counts(1.0, 0.0, 0.0)),
        # 2 true shingles, 1 predicted and right: tp=1, fn=1
        ("a b c d e", "a b c d", Counts(0.5, 0.0, 0.5)),
        # 2 predicted, 1 right: tp=1, fp=1
        ("a b c d", "a b c d e", Counts(0.5, 0.5, 0.0)),
        ("a b c d", "", Counts(0.0, 0.0, 1.0)),
        ("", "a b c d", Counts(0.0, 1.0, 0.0)),
        ("", "", Counts(0.0, 0.0, 0.0)),
        # repeated shingles count as a multiset: 2 true copies, 1 predicted
        ("a b c d a b c d", "a b c d", Counts(1 / 5, 0.0, 4 / 5)),
    ],
)
def test_page_counts_are_normalised_per_page(true: str, pred: str, expected: Counts) -> None:
    assert page_counts(true, pred) == pytest.approx(expected)


def test_score_averages_pages_then_takes_f1_of_means() -> None:
    pages = [
        page_counts("a b c d e", "a b c d e"),  # P=1, R=1
        page_counts("a b c d e", "a b c d"),  # P=1, R=0.5
        page_counts("a b c d", ""),  # empty prediction: no precision, R=0
    ]
    result = score(pages)
    assert result["precision"] == pytest.approx(1.0)
    assert result["recall"] == pytest.approx(0.5)
    assert result["f1"] == pytest.approx(2 * 1.0 * 0.5 / 1.5)


def test_score_of_nothing_is_zero_not_an_error() -> None:
    assert score([]) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def _write_page(directory: Path, page_id: str, content: bytes) -> None:
    (directory / f"{page_id}.html.gz").write_bytes(gzip.compress(content))


def test_run_writes_predictions_and_scores_failed_pages_as_empty(tmp_path: Path) -> None:
    html_dir = tmp_path / "html"
    html_dir.mkdir()
    _write_page(html_dir, "good", ARTICLE.encode("utf-8"))
    _write_page(html_dir, "empty", b"<html><body><script>render()</script></body></html>")
    (html_dir / "corrupt.html.gz").write_bytes(b"not gzip at all")
    truth_body = "The central library will open until ten in the evening from next month, the city council said."
    truth = {page_id: {"articleBody": truth_body, "url": "https://x.example"} for page_id in ("good", "empty")}
    truth["corrupt"] = {"articleBody": truth_body}
    truth["missing"] = {"articleBody": truth_body}
    truth_file = tmp_path / "truth.json"
    truth_file.write_text(json.dumps(truth), encoding="utf-8")
    calls: list[tuple[int, int]] = []

    result = run(html_dir, tmp_path / "pred.json", truth_file, progress=lambda done, total: calls.append((done, total)))

    predictions = json.loads((tmp_path / "pred.json").read_text(encoding="utf-8"))
    assert set(predictions) == {"good", "empty", "corrupt"}
    assert "open until ten in the evening" in predictions["good"]["articleBody"]
    assert predictions["empty"] == {"articleBody": ""}
    assert predictions["corrupt"] == {"articleBody": ""}
    assert calls[-1] == (3, 3)
    assert result["pages"] == 3 and result["scored_pages"] == 4 and result["empty_predictions"] == 2
    good = page_counts(truth_body, predictions["good"]["articleBody"])
    # recall is averaged over all four true pages, three of which were predicted empty
    assert result["recall"] == pytest.approx(good.tp / (good.tp + good.fn) / 4)
    assert 0 < result["precision"] < 1
    assert result["f1_std"] >= 0


def test_run_without_truth_only_predicts(tmp_path: Path) -> None:
    _write_page(tmp_path, "one", ARTICLE.encode("utf-8"))
    result = run(tmp_path, tmp_path / "pred.json", None)
    assert result["pages"] == 1 and "f1" not in result


def test_run_on_empty_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        run(tmp_path, tmp_path / "pred.json", None)
