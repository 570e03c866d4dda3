"""Reader-app fixtures: a small world written straight into the database (three outlets, two stories, eight
articles from testdata/world.json, no models loaded), a reader who follows a hashtag, an outlet and a section,
and an API password for them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from storyline.runtime import Runtime
from storyline.store import community, transaction
from storyline.store import readers as reader_store
from storyline.store.models import Article, ArticleEntity, Entity, Feed, Outlet, Story
from storyline.web import accounts
from storyline.web.app import create_app
from storyline.web.apps.keys import create_api_password

WORLD = json.loads((Path(__file__).parent / "testdata" / "world.json").read_text(encoding="utf-8"))
USERNAME = "ann"
LOGIN_PASSWORD = "correct horse battery"
# The reader follows #louise-casey, BBC News and the Health section: that reaches a1, a2, a4, a5, a7 and a8.
FOLLOWS = [("hashtag", "louise-casey"), ("outlet", "bbc-news"), ("section", "Health")]
REACHED = [
    "a0000000000000a1",
    "a0000000000000a2",
    "a0000000000000a4",
    "a0000000000000a5",
    "a0000000000000a7",
    "a0000000000000a8",
]
# a8 is older than the week unread reaches back, so it counts as read.
UNREAD = REACHED[:5]


@dataclass
class World:
    runtime: Runtime
    password: str
    user_id: int
    ids: dict[str, int]  # public id -> article id
    follows: dict[tuple[str, str], int]

    def read_ids(self) -> set[int]:
        with transaction(self.runtime.sessions) as session:
            return reader_store.read_among(session, self.user_id, list(self.ids.values()))


def build_world(runtime: Runtime) -> World:
    with transaction(runtime.sessions) as session:
        outlets = {}
        for row in WORLD["outlets"]:
            outlets[row["slug"]] = Outlet(**row)
            session.add(outlets[row["slug"]])
        entities = {row["slug"]: Entity(**row) for row in WORLD["entities"]}
        session.add_all(entities.values())
        session.flush()
        for row in WORLD["feeds"]:
            session.add(Feed(url=row["url"], outlet_id=outlets[row["outlet"]].id))
        for row in WORLD["stories"]:
            updated = datetime.fromisoformat(row["updated_at"])
            analysis = {"summary_citations": row["summary_citations"]}
            session.add(
                Story(
                    id=row["id"],
                    title=row["title"],
                    created_at=updated,
                    updated_at=updated,
                    article_count=0,
                    outlet_count=0,
                    analysis=analysis,
                )
            )
        session.flush()
        ids = {}
        for row in WORLD["articles"]:
            article = Article(
                public_id=row["public_id"],
                url=f"https://{row['outlet']}.example/{row['public_id']}",
                title=row["title"],
                text=row["text"],
                sentences=row["text"].split("\n"),
                language="en",
                published_at=datetime.fromisoformat(row["published"]),
                outlet_id=outlets[row["outlet"]].id,
                story_id=row["story"],
                section=row["section"],
            )
            session.add(article)
            session.flush()
            ids[row["public_id"]] = article.id
            for rank, slug in enumerate(row["hashtags"]):
                session.add(ArticleEntity(article_id=article.id, entity_id=entities[slug].id, rank=rank))
        user = accounts.register(session, USERNAME, LOGIN_PASSWORD)
        for kind, target in FOLLOWS:
            reader_store.add_follow(session, user.id, kind, target, f"token-{kind}")
        follows = {(f.kind, f.target): f.id for f in reader_store.user_follows(session, user.id)}
        password = create_api_password(session, user, "tests")
        return World(runtime, password, user.id, ids, follows)


@pytest.fixture
def world(sqlite_runtime) -> World:
    return build_world(sqlite_runtime)


@pytest.fixture
def api(world) -> Iterator[TestClient]:
    with TestClient(create_app(world.runtime)) as client:
        yield client


def user_id_of(runtime: Runtime, username: str) -> int:
    with transaction(runtime.sessions) as session:
        user = community.get_user_by_name(session, username)
        assert user is not None
        return user.id
