"""Place first, enrich behind (issue 20): an article is in its story, on its pages and in the API, before its
enrichment runs; the backlog completes it, teaches the story engine its entities, and resumes after a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from storyline.backlog import Backlog
from storyline.domain import ArticleInput
from storyline.pipeline import ingest, public_id_for
from storyline.store import queries, transaction
from storyline.web.app import create_app

PENDING = "Analysis in progress"
SRC = Path(__file__).parents[2] / "src"
START = datetime(2025, 6, 2, 8, tzinfo=timezone.utc)
# Two events, three outlets each, so that placement groups them and enrichment finds names, quotes and figures.
EVENTS = [
    (
        "bridge",
        "Leeds City Council approved the new Aire river bridge on Monday.",
        '"This bridge will connect two communities," said council leader James Lewthwaite. '
        "The project will cost 42 million pounds and open in 2027, according to Yorkshire Water.",
    ),
    (
        "vaccine",
        "Health minister Karin Smyth announced a national measles vaccine campaign in Bristol.",
        '"Every child deserves protection," Smyth told reporters at Southmead Hospital. '
        "Cases rose by 35 per cent last year, the NHS said, with 2,900 confirmed infections.",
    ),
]
OUTLETS = ["Northern Echo", "Daily Courier", "Evening Post"]


def event_inputs() -> list[ArticleInput]:
    items = []
    for number, (outlet, (slug, lead, body)) in enumerate((o, e) for e in EVENTS for o in OUTLETS):
        items.append(
            ArticleInput(
                url=f"https://{outlet.lower().replace(' ', '')}.example/{slug}",
                title=lead.rstrip("."),
                text=f"{lead}\n{body}\nResidents will be able to comment on the plans until the end of the month.",
                source=outlet,
                published=START + timedelta(minutes=20 * number),
            )
        )
    return items


@pytest.fixture
def placed(sqlite_runtime):
    """The events stored as the poller stores them: placed, not enriched."""
    items = event_inputs()
    report = ingest(sqlite_runtime.sessions, sqlite_runtime.processor, items, enrich=False)
    assert report.imported == len(items) and not report.failed
    return sqlite_runtime, items


def _article(client: TestClient, url: str) -> dict:
    return client.get("/api/articles", params={"url": url}).json()["items"][0]


def test_an_article_is_in_its_story_before_its_enrichment_and_complete_after(placed):
    runtime, items = placed
    with TestClient(create_app(runtime)) as client:
        article = _article(client, items[0].url)
        story = client.get(f"/api/stories/{article['story_id']}").json()
        assert article["enriched"] is False
        assert article["id"] in [member["id"] for member in story["articles"]]
        assert story["analysis_pending"] is True and story["analysis"] is None
        # Only the names its title and lead give, read for placement (``lead_hashtags``); the body's come later.
        lead_names = {tag["slug"] for tag in client.get(f"/api/articles/{article['id']}").json()["hashtags"]}
        assert lead_names == {"leeds-city-council", "james-lewthwaite", "yorkshire-water"}
        for path in (f"/en/story/{article['story_id']}", f"/en/article/{article['id']}", "/en/"):
            assert PENDING in client.get(path).text, path

        assert Backlog(runtime).drain() == len(items)

        article = _article(client, items[0].url)
        story = client.get(f"/api/stories/{article['story_id']}").json()
        assert article["enriched"] is True
        assert story["analysis_pending"] is False and story["analysis"]["summary"]
        names = {tag["slug"] for tag in client.get(f"/api/articles/{article['id']}").json()["hashtags"]}
        assert lead_names <= names  # the whole of this short body is its lead
        for path in (f"/en/story/{article['story_id']}", f"/en/article/{article['id']}", "/en/"):
            assert PENDING not in client.get(path).text, path


def test_the_story_engine_learns_the_entities_enrichment_found(placed):
    runtime, _ = placed
    engine = runtime.processor.engine

    def members_carry_their_stored_names() -> None:
        with transaction(runtime.sessions) as session:
            for story in engine.stories():
                for member in story.members:
                    links = queries.get_article(session, member.key).hashtags
                    assert member.entities == {link.entity.slug for link in links if link.entity.kind != "topic"}

    members_carry_their_stored_names()  # placed with its lead's names, stored with them
    assert all(story.entities for story in engine.stories())
    Backlog(runtime).drain()
    members_carry_their_stored_names()  # the enrichment's, learned by the engine


def test_a_german_report_enriched_behind_carries_the_names_earlier_coverage_found(placed):
    runtime, items = placed
    Backlog(runtime).drain()
    german = ArticleInput(
        url="https://zeitung.example/leeds-bruecke",
        title="Stadtrat von Leeds genehmigt neue Brücke über die Aire",
        text="Der Stadtrat von Leeds hat am Montag die neue Brücke genehmigt. „Diese Brücke verbindet zwei "
        "Gemeinden“, sagte Ratschef James Lewthwaite. Das Projekt kostet 42 Millionen Pfund.",
        source="Zeitung",
        published=START + timedelta(hours=2),
    )
    assert ingest(runtime.sessions, runtime.processor, [german], enrich=False).imported == 1
    Backlog(runtime).drain()
    with transaction(runtime.sessions) as session:
        row = queries.get_article(session, public_id_for(german.url))
        slugs = {link.entity.slug for link in row.hashtags}
    # No pipeline reads German: the stored names it writes (not its nouns: "Stadtrat", "Brücke", "Ratschef")
    assert row.language == "de" and "james-lewthwaite" in slugs
    assert not slugs & {"stadtrat", "brucke", "ratschef", "der-stadtrat", "gemeinden"}


def _waiting(runtime) -> int:
    with transaction(runtime.sessions) as session:
        return queries.unenriched_count(session)


def _backlog_process(runtime) -> subprocess.Popen:
    env = dict(
        os.environ,
        PYTHONPATH=str(SRC),
        STORYLINE_DATABASE_URL=runtime.settings.database_url,
        STORYLINE_BACKLOG_BATCH="1",
        HF_HUB_OFFLINE="1",
    )
    command = [sys.executable, "-m", "storyline.cli", "backlog"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_backlog_killed_with_enrichment_pending_finishes_it_on_restart(placed):
    runtime, items = placed
    first = _backlog_process(runtime)
    deadline = time.monotonic() + 180
    while _waiting(runtime) == len(items) and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    left = _waiting(runtime)
    assert 0 < left < len(items), "killed before its first or after its last article: nothing to resume"

    second = _backlog_process(runtime)
    assert second.wait(timeout=300) == 0
    assert _waiting(runtime) == 0
    with transaction(runtime.sessions) as session:
        stories = {queries.get_article(session, key).story_id for key in _keys(session, items)}
        assert all(queries.get_story(session, story_id).analysis for story_id in stories)
        assert queries.stale_story_ids(session) == []


def _keys(session, items) -> list[str]:
    return [queries.get_article_by_url(session, item.url).public_id for item in items]


def test_placement_reads_the_names_of_the_title_and_lead_only():
    """Before its enrichment an article is placed by the names its title and lead give (``lead_hashtags``):
    the embedding's text, cut at a word's end; a name further down waits for the enrichment, and no sentence of
    the stored body is cited by them."""
    from storyline import nlp
    from storyline.domain import Article
    from storyline.pipeline import lead_hashtags

    lead = "Health minister Karin Smyth announced a national measles vaccine campaign in Bristol on Monday. "
    filler = "Officials said the campaign would run for six months across every region of the country. " * 5
    text = lead + filler + "Later, Wes Streeting praised the staff of Southmead Hospital."
    article = Article("k", "https://news.example/measles", "Measles vaccine campaign launched", text, "Courier")
    (hashtags,) = lead_hashtags([article])

    assert {tag.slug for tag in hashtags} == {"karin-smyth", "bristol"}
    assert all(tag.sentences == [] and tag.kind != "topic" for tag in hashtags)
    body = nlp.lead_body(text)
    assert text.startswith(body) and len(body) <= nlp.LEAD_CHARS and text[len(body)] == " "
    assert nlp.lead_body("Short lead.") == "Short lead."
