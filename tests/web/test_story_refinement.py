"""End to end: the seed story stored as two stories is merged by the writer's refinement pass, and the
younger story's addresses lead to the older one."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from storyline.pipeline import Processor, rebuild_engine, refine_stories, refresh_counts, store_processed
from storyline.runtime import Runtime
from storyline.store import queries, transaction
from storyline.stories.refine import Merge
from storyline.web.app import create_app

OLDER, YOUNGER = 3, 4


@pytest.fixture
def refined(runtime, seed_batch) -> Runtime:
    """The seed story stored as an online pass that missed the link would leave it, then the writer's
    refinement run on the engine rebuilt from the database, as after a restart."""
    ordered = sorted(seed_batch.processed, key=lambda processed: processed.article.published)
    with transaction(runtime.sessions) as session:
        for number, processed in enumerate(ordered):
            store_processed(session, replace(processed, story_id=OLDER if number < 2 else YOUNGER))
        refresh_counts(session, (OLDER, YOUNGER))
    with transaction(runtime.sessions) as session:
        refinement = refine_stories(session, Processor(rebuild_engine(session)))
    assert refinement.merges == [Merge(OLDER, YOUNGER)]
    return runtime


@pytest.fixture
def refined_client(refined) -> TestClient:
    with TestClient(create_app(refined)) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "location"),
    [
        (f"/en/story/{YOUNGER}", f"/en/story/{OLDER}"),
        (f"/en/story/{OLDER}", None),
    ],
)
def test_the_merged_story_page_redirects_permanently_to_the_survivor(refined_client, path, location):
    response = refined_client.get(path, follow_redirects=False)
    if location is None:
        assert response.status_code == 200
        # one headline from each of the two stored halves
        assert "Asylum seekers behind new grooming gang cases" in response.text
        assert "Grooming gangs report author reveals" in response.text
    else:
        assert (response.status_code, response.headers["location"]) == (301, location)


@pytest.mark.parametrize("story_id", [OLDER, YOUNGER])
def test_the_api_answers_for_either_id_with_the_survivor(refined_client, story_id):
    story = refined_client.get(f"/api/stories/{story_id}").json()
    assert story["id"] == OLDER and len(story["articles"]) == 4


def test_a_restart_rebuilds_one_story_under_the_older_id(refined):
    with transaction(refined.sessions) as session:
        engine = rebuild_engine(session)
        assert [(story.id, story.size) for story in engine.stories()] == [(OLDER, 4)]
        assert queries.stale_story_ids(session) == [OLDER]
