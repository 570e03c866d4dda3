"""Savepoints inside ``transaction``: a rolled-back one undoes only its own rows, and the transaction around them is
real, on SQLite (where the driver's own transaction handling would break them) and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storyline.store import transaction
from storyline.store.models import Outlet


def add_outlet(session: Session, name: str, slug: str | None = None) -> None:
    session.add(Outlet(name=name, slug=slug or name))
    session.flush()


def outlet_names(sessions: sessionmaker[Session]) -> set[str]:
    with transaction(sessions) as session:
        return set(session.scalars(select(Outlet.name)))


# Each savepoint below opens its transaction: before any other statement is where pysqlite's legacy handling
# issued no BEGIN, so the savepoint was the outermost transaction and releasing it committed.


def test_a_rolled_back_savepoint_undoes_only_its_own_rows(sessions):
    with transaction(sessions) as session:
        with pytest.raises(IntegrityError), session.begin_nested():
            add_outlet(session, "dropped")
            add_outlet(session, "dropped", slug="dropped-again")  # the name is unique
        add_outlet(session, "kept")
        with session.begin_nested():
            add_outlet(session, "kept in a savepoint")
    assert outlet_names(sessions) == {"kept", "kept in a savepoint"}


def test_an_error_after_a_released_savepoint_rolls_back_the_whole_transaction(sessions):
    with pytest.raises(RuntimeError), transaction(sessions) as session:
        with session.begin_nested():
            add_outlet(session, "released")
        add_outlet(session, "after the savepoint")
        raise RuntimeError("the unit of work fails")
    assert outlet_names(sessions) == set()
