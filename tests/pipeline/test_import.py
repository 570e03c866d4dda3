"""The JSON Lines import, end to end through the real pipeline into a real database."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from storyline.cli import app
from storyline.store import queries, transaction
from storyline.web.app import create_app

runner = CliRunner()


def _write_jsonl(path, records):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def _invoke(runtime, *args):
    return runner.invoke(app, list(args), env={"STORYLINE_DATABASE_URL": runtime.settings.database_url})


FRENCH = Path(__file__).parents[1] / "stories" / "testdata" / "french.jsonl"
GERMAN = Path(__file__).parents[1] / "stories" / "testdata" / "german.jsonl"


def french_report() -> dict:
    """The seed event in French, as a feed that does not say its language would give it."""
    record = json.loads(FRENCH.read_text(encoding="utf-8").splitlines()[0])
    del record["language"]
    return record | {"url": "https://www.lemonde.example/international/casey-enquete-nationale"}


def german_report() -> dict:
    """The seed event in German, which no entity pipeline reads."""
    record = json.loads(GERMAN.read_text(encoding="utf-8"))
    return record | {"url": "https://www.spiegel.example/ausland/casey-untersuchung"}


def test_seed_import_is_one_story_and_idempotent_and_french_and_german_reports_join_it(
    sqlite_runtime, seed_records, tmp_path, monkeypatch
):
    monkeypatch.setenv("STORYLINE_DATABASE_URL", sqlite_runtime.settings.database_url)
    from storyline import config

    config.get_settings.cache_clear()
    source = _write_jsonl(tmp_path / "seed.jsonl", seed_records)
    first = _invoke(sqlite_runtime, "import", str(source))
    assert first.exit_code == 0, first.output
    assert "imported 4" in first.output
    assert "1 story analyses brought up to date" in first.output
    with transaction(sqlite_runtime.sessions) as session:
        assert queries.stale_story_ids(session) == []  # the story page need not compute anything for a reader
        # The Telegraph writes only "Casey": once the story is analysed, every page files it under Louise Casey.
        (story_id,) = {row.story_id for row in queries.latest_articles(session, limit=10)}
        slugs = [entity.slug for entity, _ in queries.story_entities(session, story_id, limit=100)]
        assert "louise-casey" in slugs and "casey" not in slugs
        casey = queries.get_entity(session, "casey")
        assert casey is None or queries.entity_articles(session, casey.id) == []
        # And its article page names the speaker of its quotes so too.
        speakers = {
            (quote["speaker"], quote["speaker_slug"])
            for row in queries.latest_articles(session, limit=10)
            for quote in row.quotes
        }
        assert ("Louise Casey", "louise-casey") in speakers
        assert not {slug for _, slug in speakers} & {"casey", "lady-casey", "baroness-casey"}
        # The lead starts the story; the Telegraph's report, two and a half hours later, made a story of its own
        # until the refinement pass that fell due before the next report merged it in, which it says, with the
        # names the two shared (the Telegraph writes only "Casey"); the next two joined the merged story.
        placements = [row.placement for row in queries.latest_articles(session, limit=10)]
        assert placements.count(None) == 1
        (merged,) = [placement for placement in placements if placement and placement.get("merged")]
        assert {"Keir Starmer", "National Crime Agency", "Rotherham"} <= set(merged["entities"])
    more = seed_records + [french_report(), german_report()]
    second = _invoke(sqlite_runtime, "import", str(_write_jsonl(tmp_path / "more.jsonl", more)))
    assert second.exit_code == 0, second.output
    assert "imported 2, already present 4" in second.output
    with transaction(sqlite_runtime.sessions) as session:
        assert queries.count_articles(session) == 6
        rows = queries.latest_articles(session, limit=10)
        assert {row.story_id for row in rows} == {story_id}  # the French and German reports joined the seed story
        french = next(row for row in rows if row.external_id == "seed-le-monde")
        assert french.language == "fr"  # told by its text
        # Sections of the reports in other languages are read through the multilingual bridge: MiniLM alone,
        # an English model, filed the German one under Entertainment
        assert {row.section for row in rows if row.language != "en"} == {"Politics"}
        french_slugs = {tag.entity.slug for tag in french.hashtags}
        assert {"louise-casey", "yvette-cooper"} <= french_slugs
        # No pipeline reads German: its hashtags are the countries it names and the names it writes that English
        # coverage found (not German nouns), also shown by name on why it joined
        german = next(row for row in rows if row.external_id == "seed-spiegel")
        german_tags = {tag.entity.slug: tag.entity.kind for tag in german.hashtags}
        assert german_tags == {
            "united-kingdom": "place",
            "louise-casey": "person",
            "yvette-cooper": "person",
            "keir-starmer": "person",
        }
        assert {"Louise Casey", "Yvette Cooper"} <= set(german.placement["entities"])
        # "sagte Cooper": the quote's own sentence names her by surname alone; the story knows her, and its
        # analysis says so
        (quote,) = german.quotes
        assert (quote["speaker"], quote["speaker_hint"]) == ("Yvette Cooper", "Cooper")
    config.get_settings.cache_clear()


def test_a_german_report_that_came_first_names_the_people_its_story_s_english_coverage_brings_later(
    sqlite_runtime, seed_records, tmp_path, monkeypatch
):
    monkeypatch.setenv("STORYLINE_DATABASE_URL", sqlite_runtime.settings.database_url)
    from storyline import config

    config.get_settings.cache_clear()
    # Published before the English coverage, as when a German outlet breaks the news
    german = german_report() | {"published": "2025-06-16T14:30:00+00:00"}
    first = _invoke(sqlite_runtime, "import", str(_write_jsonl(tmp_path / "german.jsonl", [german])))
    assert first.exit_code == 0, first.output

    def german_tags() -> tuple[int, set[str]]:
        with transaction(sqlite_runtime.sessions) as session:
            rows = queries.latest_articles(session, limit=10)
            german = next(row for row in rows if row.external_id == "seed-spiegel")
            return german.story_id, {tag.entity.slug for tag in german.hashtags}

    story_id, alone = german_tags()
    assert alone == {"united-kingdom"}  # nothing stored names anyone yet
    later = _invoke(sqlite_runtime, "import", str(_write_jsonl(tmp_path / "seed.jsonl", seed_records)))
    assert later.exit_code == 0, later.output
    joined, tags = german_tags()
    assert joined == story_id
    assert {"louise-casey", "yvette-cooper", "keir-starmer", "united-kingdom"} <= tags
    # The story's title is the German report's headline; an English page heads it with an English one
    with TestClient(create_app(sqlite_runtime)) as client:
        english, german = (client.get(f"/{lang}/story/{story_id}").text for lang in ("en", "de"))
    assert "<h1>Yvette Cooper declares there WILL be a national inquiry" in english
    assert "<h1>Großbritannien: Nationale Untersuchung" in german
    config.get_settings.cache_clear()


def test_bad_lines_are_reported_and_good_lines_imported(sqlite_runtime, tmp_path, monkeypatch):
    monkeypatch.setenv("STORYLINE_DATABASE_URL", sqlite_runtime.settings.database_url)
    from storyline import config

    config.get_settings.cache_clear()
    good = {
        "url": "https://news.example.com/a",
        "title": "Council approves new library",
        "source": "Example",
        "text": "The city council approved a new library on Tuesday. Building starts next spring.",
    }
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({"url": "javascript:alert(1)", "title": "x", "text": "y"}),
        json.dumps({"title": "no url"}),
        json.dumps(dict(good, url="https://news.example.com/b", published="not a date")),
    ]
    result = _invoke(sqlite_runtime, "import", str(_write_jsonl(tmp_path / "mixed.jsonl", lines)))
    assert result.exit_code == 0, result.output
    for line_number in (2, 3, 4, 5):
        assert f"line {line_number}:" in result.output
    assert "imported 1," in result.output
    with transaction(sqlite_runtime.sessions) as session:
        assert queries.get_article_by_url(session, "https://news.example.com/a") is not None
    config.get_settings.cache_clear()
