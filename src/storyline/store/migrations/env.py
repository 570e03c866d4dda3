"""Alembic environment: runs on the connection handed over by ``storyline.store.db.migrate``,
or on ``STORYLINE_DATABASE_URL`` when Alembic is run from the command line."""

from alembic import context
from sqlalchemy import create_engine

from storyline.config import get_settings
from storyline.store.models import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(get_settings().database_url)
    with engine.connect() as own_connection:
        context.configure(connection=own_connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
