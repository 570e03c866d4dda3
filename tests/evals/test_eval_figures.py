"""``storyline eval figures`` on a tiny labelled file: per-split precision and recall of the Disagreement label,
accuracy, and a figure the extraction cannot find counted as predicted "different"."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from storyline.cli import app

TINY = Path(__file__).parent / "testdata" / "figure_pairs_tiny.jsonl"


def test_eval_figures_scores_each_split():
    done = CliRunner().invoke(app, ["eval", "figures", str(TINY)])
    assert done.exit_code == 0, done.output
    scores = json.loads(done.output)
    # dev: one true disagreement found, one pair labelled disagree that is a forecast (predicted different)
    assert scores["dev"] | {"confusions": None} == {
        "pairs": 3,
        "gold": {"disagree": 2, "agree": 1},
        "disagreement_precision": 1.0,
        "disagreement_recall": 0.5,
        "false_disagreements": 0,
        "accuracy": 0.667,
        "figures_not_extracted": 0,
        "confusions": None,
    }
    assert scores["dev"]["confusions"] == {"disagree->different": 1}
    # held out: no disagreement gold or flagged, and a sentence without the figure
    assert scores["heldout"]["disagreement_precision"] is None
    assert scores["heldout"]["disagreement_recall"] is None
    assert (scores["heldout"]["accuracy"], scores["heldout"]["figures_not_extracted"]) == (0.5, 1)
    assert scores["all"]["pairs"] == 5
    assert sorted(error["id"] for error in scores["errors"]) == ["t3", "t5"]


def test_eval_figures_refuses_an_unlabelled_pair(tmp_path):
    bad = tmp_path / "pairs.jsonl"
    bad.write_text(json.dumps({"label": "maybe", "a": {}, "b": {}}) + "\n", encoding="utf-8")
    done = CliRunner().invoke(app, ["eval", "figures", str(bad)])
    assert done.exit_code != 0
    assert "line 1 is no labelled figure pair" in done.output
