"""Engines, sessions and migrations. SQLite (WAL, busy timeout) by default; PostgreSQL by URL.

On SQLite, SQLAlchemy rather than the driver begins transactions (SQLAlchemy's recipe for pysqlite), so that
SAVEPOINTs nest in a real transaction and DDL is transactional. Migrations are safe when processes start at once:
on PostgreSQL an advisory lock, on SQLite the database's write lock taken by ``BEGIN IMMEDIATE``, lets one process
migrate while the others wait, then find the schema at head.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from storyline.errors import ConfigError, StoreError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
WAL_ATTEMPTS = 20  # tries at switching a new database to WAL, waiting WAL_RETRY_S longer each time (10 s in all)
WAL_RETRY_S = 0.05
# The transaction-level advisory lock a migration holds on PostgreSQL; any fixed 64-bit key no other lock uses
# (the story writer's is ``storyline.workers.tasks.WRITER_LOCK_KEY``).
MIGRATION_LOCK_KEY = int.from_bytes(hashlib.sha256(b"storyline.migrate").digest()[:8], "big", signed=True)
# The execution option naming the statement that begins a transaction on SQLite.
SQLITE_BEGIN_OPTION = "storyline_sqlite_begin"


def _configure_sqlite(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling emits no BEGIN before a SAVEPOINT (releasing the outermost one then
    # commits) and none before DDL; with it off, ``_begin_sqlite`` begins every transaction.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    _enter_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _enter_wal(cursor) -> None:
    """Puts the database in WAL mode. Processes opening a new database at once (a server and its workers started
    together) each try to switch it, which takes the file alone; SQLite answers the others "database is locked"
    at once rather than wait on the busy timeout, which could deadlock. The mode is the file's once one has set
    it, so a short wait and another try find it done (one connection in 15 failed when eight opened at once)."""
    for attempt in range(1, WAL_ATTEMPTS + 1):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_ATTEMPTS:
                raise
            time.sleep(WAL_RETRY_S * attempt)


def _begin_sqlite(connection: Connection) -> None:
    connection.exec_driver_sql(connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "BEGIN"))


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigError(f"invalid database URL {url!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def begin_writing(session: Session) -> None:
    """Begins ``session``'s transaction as a writer's. On SQLite (WAL) that takes the write lock at once, waiting
    up to the busy timeout while another writer holds it. A transaction begun deferred reads from a snapshot, and
    when it then writes after another connection has committed, SQLite refuses at once ("database is locked",
    SQLITE_BUSY_SNAPSHOT), whatever the busy timeout: under a busy poller many feed polls and story analyses
    failed so. Nothing changes on PostgreSQL, whose rows lock as they are written."""
    session.connection(execution_options={SQLITE_BEGIN_OPTION: "BEGIN IMMEDIATE"})


def writing(session: Session) -> None:
    """Makes ``session`` a writer's from here on, before its first write: what it read is let go (the objects it
    loaded are read again, under the write lock, when next used) and its transaction begins again as a writer's
    (``begin_writing``). A unit of work that read in a deferred transaction, as a web request does, and then
    writes is otherwise refused on SQLite when another writer commits between the two. Anything added and not
    yet written would be lost, hence "before its first write"; pending changes are refused."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("store.writing: the session has changes not yet written; call it before the first")
    if session.in_transaction():
        session.rollback()
    begin_writing(session)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A short unit of work that may write (``begin_writing``): commit on success, roll back on any error."""
    session = factory()
    try:
        begin_writing(session)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work that only reads: on SQLite it never takes the write lock, so it neither waits for a writer
    nor holds one up (WAL readers see the last commit); what it read is let go at the end."""
    with factory() as session:
        yield session


def _lock_for_migration(connection: Connection) -> None:
    """Waits until no other process migrates, before Alembic reads ``alembic_version``; held to the end of the
    transaction, which the upgrade commits. SQLite's lock is already held: the transaction began immediate."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic (the only way the schema changes), in one transaction."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    try:
        with engine.execution_options(**{SQLITE_BEGIN_OPTION: "BEGIN IMMEDIATE"}).begin() as connection:
            _lock_for_migration(connection)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except SQLAlchemyError as exc:  # e.g. no server, or SQLite still locked by another process after the busy timeout
        raise StoreError(f"cannot migrate the schema to {revision}", subject=engine.url.render_as_string()) from exc
