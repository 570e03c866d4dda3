"""``storyline create-reader``, ``follow`` and ``alerts send`` on a fresh database."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from storyline.cli import app
from storyline.config import get_settings
from storyline.runtime import Runtime
from storyline.store import transaction
from storyline.store.models import AlertChannel, Follow, FollowAlert


@pytest.fixture
def database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'storyline.db'}"
    monkeypatch.setenv("STORYLINE_DATABASE_URL", url)
    monkeypatch.setenv("STORYLINE_SECRET_KEY", "test-secret")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("page", "kind", "target"),
    [("/en/hashtag/louise-casey", "hashtag", "louise-casey"), ("/en/source/the-guardian", "outlet", "the-guardian")],
)
def test_a_reader_is_set_up_from_the_command_line(database, page, kind, target):
    runner = CliRunner()
    made = runner.invoke(app, ["create-reader", "ann", "--email", "ann@example.org"])
    assert made.exit_code == 0, made.output
    assert runner.invoke(app, ["follow", "ann", page, "--alert", "instant"]).exit_code == 0
    assert runner.invoke(app, ["follow", "ann", "/en/nowhere/x"]).exit_code == 1
    assert runner.invoke(app, ["follow", "ann", page, "--alert", "loud"]).exit_code == 1
    sent = runner.invoke(app, ["alerts", "send"])
    assert sent.exit_code == 0 and "0 messages sent" in sent.output
    runtime = Runtime.open(get_settings())
    with transaction(runtime.sessions) as session:
        (channel,) = session.scalars(select(AlertChannel))
        (follow,) = session.scalars(select(Follow))
        (choice,) = session.scalars(select(FollowAlert))
    runtime.close()
    assert (channel.kind, channel.target) == ("email", "ann@example.org")
    assert (follow.kind, follow.target, choice.mode) == (kind, target, "instant")
