"""Two writers at once on one database: a unit of work that read before another writer committed still writes.

On SQLite (WAL) a transaction begun deferred that reads, then writes after another connection committed, is
refused at once ("database is locked") whatever the busy timeout; the poller, the backlog and the web's forms
write at the same time in ``serve --poll``. PostgreSQL runs the same test as the reference."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from storyline.store import queries, reading, transaction, writing
from storyline.store.models import Outlet

OTHER_WRITER_WAIT_S = 1.0  # long enough for the other writer to commit, when nothing holds it back


def outlet_names(sessions) -> set[str]:
    with reading(sessions) as session:
        return set(session.scalars(select(Outlet.name)))


def test_a_unit_that_read_first_writes_after_another_writer_commits(sessions):
    committed = threading.Event()
    errors: list[BaseException] = []

    def other_writer() -> None:
        try:
            with transaction(sessions) as session:
                queries.get_or_create_outlet(session, "Other writer")
            committed.set()
        except BaseException as exc:  # reported by the test's thread
            errors.append(exc)

    with transaction(sessions) as session:
        outlets_before = session.scalar(select(func.count(Outlet.id)))
        thread = threading.Thread(target=other_writer)
        thread.start()
        # On SQLite the other writer waits for this unit's write lock; a deferred unit would let it commit here.
        committed.wait(OTHER_WRITER_WAIT_S)
        queries.get_or_create_outlet(session, f"Outlet number {outlets_before + 1}")
    thread.join()
    assert not errors
    assert outlet_names(sessions) == {"Outlet number 1", "Other writer"}


def test_reading_never_waits_for_a_writer(sessions):
    with transaction(sessions) as session:
        queries.get_or_create_outlet(session, "Not committed yet")
        assert outlet_names(sessions) == set()  # read beside the open writer, without waiting for it
    assert outlet_names(sessions) == {"Not committed yet"}


def test_a_session_becomes_a_writer_only_before_its_first_write(sessions):
    """``store.writing`` rolls back what the session read; changes it holds would be lost with it, so it refuses."""
    with sessions() as session:
        session.scalar(select(func.count(Outlet.id)))
        writing(session)  # a read only: let go, and the transaction begun again as a writer's
        session.add(Outlet(slug="pending", name="Pending"))
        with pytest.raises(RuntimeError, match="not yet written"):
            writing(session)
        session.commit()
    assert "Pending" in outlet_names(sessions)
