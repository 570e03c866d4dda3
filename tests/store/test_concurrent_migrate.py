"""Processes started at the same moment on an empty database (a server and its workers under a service manager):
one migrates, the others wait for it and find the schema at head, on SQLite and PostgreSQL. A migration that cannot
run says so as a ``StoreError``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

import storyline
from storyline.errors import StoreError
from storyline.store import make_engine, migrate
from storyline.store.db import MIGRATION_LOCK_KEY, MIGRATIONS_DIR
from storyline.workers.tasks import WRITER_LOCK_KEY

PROCESSES = 3
TIMEOUT_S = 120
# Each child gets ready (imports done, a connection open), says so, and migrates when the parent writes a line:
# the parent releases all of them at once, so their migrations start within a millisecond of each other.
MIGRATE_ON_SIGNAL = """
import sys
import alembic.command
from storyline.store.db import make_engine, migrate
engine = make_engine(sys.argv[1])
engine.connect().close()
print("ready", flush=True)
sys.stdin.readline()
migrate(engine)
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'storyline.db'}"
    return request.getfixturevalue("postgres_url")


def child_environment(**extra: str) -> dict[str, str]:
    """The parent's environment, with the storyline package under test first on the path."""
    return {**os.environ, "PYTHONPATH": str(Path(storyline.__file__).parents[1]), **extra}


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def assert_migrated_once(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    finally:
        engine.dispose()
    assert versions == [head_revision()]


def assert_all_succeeded(processes: list[subprocess.Popen]) -> None:
    errors = [process.communicate(timeout=TIMEOUT_S)[1] for process in processes]
    failures = [stderr for process, stderr in zip(processes, errors, strict=True) if process.returncode != 0]
    assert not failures, "\n\n".join(failures)


def test_the_migration_lock_is_not_the_writer_lock():
    assert MIGRATION_LOCK_KEY != WRITER_LOCK_KEY
    assert -(2**63) <= MIGRATION_LOCK_KEY < 2**63


def test_a_migration_that_cannot_reach_the_database_raises_a_store_error():
    with pytest.raises(StoreError, match="cannot migrate the schema to head") as raised:
        migrate(make_engine("postgresql+psycopg://postgres:secret@127.0.0.1:1/storyline"))
    assert "secret" not in str(raised.value)


CONNECT_ON_SIGNAL = """
import sys
from storyline.store.db import make_engine
engine = make_engine(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
engine.connect().close()
"""
OPENERS = 8  # processes opening one new SQLite database at once, in each round
OPENING_ROUNDS = 4  # one opener in about 15 failed before the retry: most rounds had a failure


def run_released_at_once(script: str, database_url: str, count: int) -> None:
    """Runs ``script`` in ``count`` processes, each released once all are ready, and asserts that all succeed."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, database_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_environment(),
        )
        for _ in range(count)
    ]
    try:
        for process in processes:
            assert process.stdout.readline() == "ready\n", process.communicate(timeout=TIMEOUT_S)[1]
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        assert_all_succeeded(processes)
    finally:
        for process in processes:
            process.kill()


def test_processes_opening_a_new_sqlite_database_at_once_all_connect(tmp_path):
    """Each connection switches the database to WAL, which SQLite refuses at once to all but one of several
    processes trying together ("database is locked"), whatever the busy timeout."""
    for round_number in range(OPENING_ROUNDS):
        run_released_at_once(CONNECT_ON_SIGNAL, f"sqlite:///{tmp_path / f'opened-{round_number}.db'}", OPENERS)


def test_processes_migrating_at_once_all_succeed_and_migrate_once(empty_database_url):
    run_released_at_once(MIGRATE_ON_SIGNAL, empty_database_url, PROCESSES)
    assert_migrated_once(empty_database_url)


@pytest.mark.postgres
def test_cli_commands_started_at_once_on_an_empty_postgres_database_all_succeed(postgres_url, tmp_path):
    environment = child_environment(STORYLINE_DATABASE_URL=postgres_url, STORYLINE_SECRET_KEY="test-secret")
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "storyline.cli", "init-db"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env=environment,
        )
        for _ in range(PROCESSES)
    ]
    try:
        assert_all_succeeded(processes)
    finally:
        for process in processes:
            process.kill()
    assert_migrated_once(postgres_url)
