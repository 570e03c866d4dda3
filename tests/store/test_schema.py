"""The migrations build exactly the schema the models describe, and keep the search index's triggers."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storyline.store import make_engine, migrate
from storyline.store.models import Base

# Kept by hand-written SQL in migration 0002, outside the models: the search index.
SEARCH_INDEX = ("articles_fts", "search_vector", "ix_articles_search_vector")


def _outside_search_index(diff) -> bool:
    return not any(name in repr(diff) for name in SEARCH_INDEX)


def test_migrations_match_the_models(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert [diff for diff in diffs if _outside_search_index(diff)] == []


def test_the_latest_migration_keeps_the_search_triggers_on_sqlite(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    migrate(engine)
    migrate(engine, "0004")
    migrate(engine)
    with engine.connect() as connection:
        triggers = {row[0] for row in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='trigger'")}
    engine.dispose()
    assert triggers == {"articles_fts_insert", "articles_fts_delete", "articles_fts_update"}


def test_articles_stored_before_place_first_count_as_enriched(database_url):
    """Migration 0010: every article stored before it was enriched when stored, so the backlog leaves it alone."""
    engine = make_engine(database_url)
    migrate(engine, "0009")
    stored_at = "2025-06-02 08:00:00+00:00"
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO outlets (id, name, slug) VALUES (1, 'Gazette', 'gazette')")
        connection.exec_driver_sql(
            "INSERT INTO articles (id, public_id, url, title, text, sentences, language, published_at, created_at, "
            "outlet_id, summary, quotes, figures) VALUES (1, 'a1', 'https://gazette.example/1', 'Title', 'Text', "
            f"'[]', 'en', '{stored_at}', '{stored_at}', 1, '[]', '[]', '[]')"
        )
    migrate(engine)
    with engine.connect() as connection:
        enriched, created = connection.exec_driver_sql("SELECT enriched_at, created_at FROM articles").one()
    engine.dispose()
    assert enriched is not None and enriched == created
