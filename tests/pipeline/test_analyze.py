"""``storyline analyze --json``: the whole pipeline in memory, in the documented shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyline.cli import app

SAMPLE = Path(__file__).parents[2] / "src" / "storyline" / "data" / "sample.jsonl"


@pytest.fixture(scope="module")
def analysis():
    result = CliRunner().invoke(app, ["analyze", str(SAMPLE), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_shape(analysis):
    assert {"articles", "stories"} <= set(analysis)
    for article in analysis["articles"]:
        assert {"id", "story", "section", "summary", "hashtags", "quotes", "figures"} <= set(article)
        for tag in article["hashtags"]:
            assert {"name", "kind", "slug"} <= set(tag)
        for quote in article["quotes"]:
            assert {"text", "speaker", "article_id"} <= set(quote)
        for figure in article["figures"]:
            assert {"value", "text"} <= set(figure)
    for story in analysis["stories"]:
        assert {"id", "article_ids", "summary", "hashtags", "quotes", "figures"} <= set(story)


def test_seed_is_one_story_keyed_by_line_ids(analysis):
    ids = [article["id"] for article in analysis["articles"]]
    assert ids == ["seed-lead", "seed-guardian", "seed-sky", "seed-telegraph"]
    assert len({article["story"] for article in analysis["articles"]}) == 1
    assert len(analysis["stories"]) == 1
    assert sorted(analysis["stories"][0]["article_ids"]) == sorted(ids)


def test_story_level_fields_are_filled(analysis):
    story = analysis["stories"][0]
    slugs = {tag["slug"] for tag in story["hashtags"]}
    assert {"louise-casey", "yvette-cooper", "keir-starmer"} <= slugs
    assert story["summary"]
    assert any(quote["speaker"] == "Louise Casey" for quote in story["quotes"])
    # Speakers carry the story-wide name, never one outlet's short form ("Casey", "Lady Casey").
    names = {tag["name"] for tag in story["hashtags"]}
    assert {quote["speaker"] for quote in story["quotes"] if quote["speaker"]} <= names
