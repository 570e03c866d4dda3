"""The Celery configuration that delivery guarantees rest on, and the worker command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyline.config import Settings
from storyline.errors import ConfigError
from storyline.workers.app import make_celery

BROKER = "redis://127.0.0.1:6379/11"


def test_delivery_is_at_least_once_and_placement_has_its_own_queue():
    conf = make_celery(Settings(broker_url=BROKER)).conf
    assert conf.broker_url == BROKER
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_routes["storyline.place_and_store"] == {"queue": "stories"}
    assert {entry["task"] for entry in conf.beat_schedule.values()} == {
        "storyline.dispatch_due",
        "storyline.refresh_stories",
        "storyline.send_alerts",
        "storyline.sweep_backlog",
        "storyline.refetch_excerpts",
    }


def test_no_broker_is_a_config_error():
    with pytest.raises(ConfigError, match="STORYLINE_BROKER_URL"):
        make_celery(Settings(broker_url=None))


def test_overrides_module_wins(tmp_path, monkeypatch):
    (tmp_path / "storyline_celery_overrides.py").write_text("broker_transport_options = {'visibility_timeout': 9}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("STORYLINE_CELERY_CONFIG", "storyline_celery_overrides")
    assert make_celery(Settings(broker_url=BROKER)).conf.broker_transport_options == {"visibility_timeout": 9}


@pytest.mark.parametrize(
    ("queues", "concurrency", "beat", "expected"),
    [
        (["storyline"], 2, False, ["--queues=storyline", "--concurrency=2"]),
        (["stories"], 1, False, ["--queues=stories", "--concurrency=1"]),
        (["storyline", "stories"], 1, True, ["--queues=storyline,stories", "--beat"]),
    ],
)
def test_worker_argv(queues, concurrency, beat, expected):
    from storyline.workers.tasks import worker_argv

    argv = worker_argv(queues, concurrency, beat, Path("data/celerybeat-schedule"))
    assert argv[0] == "worker"
    assert set(expected) <= set(argv)
    assert ("--beat" in argv) == beat


@pytest.mark.parametrize(
    ("queues", "concurrency", "message"),
    [
        (["stories"], 2, "concurrency 1"),
        (["storyline", "stories"], 4, "concurrency 1"),
        (["elsewhere"], 1, "queues must be"),
        ([], 1, "queues must be"),
    ],
)
def test_worker_argv_refuses_a_second_writer_and_unknown_queues(queues, concurrency, message):
    from storyline.workers.tasks import worker_argv

    with pytest.raises(ConfigError, match=message):
        worker_argv(queues, concurrency, False, Path("data/celerybeat-schedule"))
