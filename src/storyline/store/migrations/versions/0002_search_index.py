"""full-text search index

SQLite gets an FTS5 table kept in step with ``articles`` by triggers; PostgreSQL a ``tsvector`` column
with a GIN index, filled by a trigger.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='id',"
    " tokenize='porter unicode61')",
    "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN"
    " INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN"
    " INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN"
    " INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);"
    " INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER articles_fts_update",
    "DROP TRIGGER articles_fts_delete",
    "DROP TRIGGER articles_fts_insert",
    "DROP TABLE articles_fts",
]
POSTGRES_UP = [
    "ALTER TABLE articles ADD COLUMN search_vector tsvector",
    "CREATE INDEX ix_articles_search_vector ON articles USING GIN (search_vector)",
    "CREATE FUNCTION articles_search_vector_update() RETURNS trigger AS $$ BEGIN"
    " NEW.search_vector := setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A')"
    " || setweight(to_tsvector('english', coalesce(NEW.text, '')), 'B'); RETURN NEW; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER articles_search_vector BEFORE INSERT OR UPDATE OF title, text ON articles"
    " FOR EACH ROW EXECUTE FUNCTION articles_search_vector_update()",
]
POSTGRES_DOWN = [
    "DROP TRIGGER articles_search_vector ON articles",
    "DROP FUNCTION articles_search_vector_update()",
    "DROP INDEX ix_articles_search_vector",
    "ALTER TABLE articles DROP COLUMN search_vector",
]


def _statements(up: bool) -> list[str]:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    if dialect == "postgresql":
        return POSTGRES_UP if up else POSTGRES_DOWN
    return []


def upgrade() -> None:
    for statement in _statements(up=True):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(up=False):
        op.execute(statement)
