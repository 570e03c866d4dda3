"""Real Celery workers in subprocesses, against local Redis and a fresh PostgreSQL database per test."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("STORYLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
# Short, so messages of a killed worker come back within seconds instead of the production hour.
TEST_VISIBILITY_TIMEOUT_S = 3
WAIT_LIMIT_S = 300
_TASK_LINE = re.compile(r"Task (?P<name>[\w.]+)\[(?P<id>[0-9a-f-]+)\] (?P<event>received|succeeded|retry|raised)")


def _redis_reason() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # any failure to answer means: no Redis here
        return f"Redis not reachable at {REDIS_URL}: {exc.__class__.__name__}"
    return None


@pytest.fixture
def broker_url() -> Iterator[str]:
    """The test Redis database, emptied before and after (its number is reserved for these tests)."""
    import redis

    reason = _redis_reason()
    if reason:
        pytest.skip(reason)
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    try:
        yield REDIS_URL
    finally:
        client.flushdb()


class WorkerProcess:
    """``run_worker`` in its own process group, so SIGKILL takes the pool children down with it, like a
    machine that loses power."""

    def __init__(self, env: dict[str, str], queues: list[str], log_path: Path) -> None:
        self.log_path = log_path
        code = (
            "import sys; from storyline import logs; from storyline.runtime import Runtime;"
            " from storyline.workers.tasks import run_worker;"
            " logs.configure('INFO'); run_worker(Runtime.open(), sys.argv[1].split(','), 1)"
        )
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", code, ",".join(queues)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def task_events(self) -> list[tuple[str, str, str]]:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return [(m["name"], m["id"], m["event"]) for m in _TASK_LINE.finditer(text)]

    def in_flight(self, task_name: str) -> set[str]:
        """Tasks received and not finished, as far as the worker's own log tells."""
        received, finished = set(), set()
        for name, task_id, event in self.task_events():
            if name == task_name:
                (received if event == "received" else finished).add(task_id)
        return received - finished

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def start_worker(broker_url, postgres_url, tmp_path) -> Iterator[Callable[[list[str]], WorkerProcess]]:
    overrides = tmp_path / "celery_test_overrides.py"
    overrides.write_text(f"broker_transport_options = {{'visibility_timeout': {TEST_VISIBILITY_TIMEOUT_S}}}\n")
    env = dict(
        os.environ,
        STORYLINE_DATABASE_URL=postgres_url,
        STORYLINE_BROKER_URL=broker_url,
        STORYLINE_CELERY_CONFIG="celery_test_overrides",
        PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
        HF_HUB_OFFLINE="1",
    )
    started: list[WorkerProcess] = []

    def start(queues: list[str]) -> WorkerProcess:
        worker = WorkerProcess(env, queues, tmp_path / f"worker-{len(started)}-{'+'.join(queues)}.log")
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()


def _wait_for(condition: Callable[[], bool], what: str, workers: list[WorkerProcess] = ()) -> None:
    """Polls until ``condition`` holds; fails (with the workers' logs) if it never does."""
    deadline = time.monotonic() + WAIT_LIMIT_S
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(w.log_path.read_text(errors="replace")[-3000:] for w in workers)
            pytest.fail(f"gave up waiting for {what}\n{logs}")
        time.sleep(0.5)


@pytest.fixture
def wait_for() -> Callable[..., None]:
    return _wait_for
