"""enriched at: when an article's enrichment (entities, quotes, figures, summary) was stored; NULL while it waits

Articles are now placed in their story as soon as they are extracted and embedded, and enriched behind
(``storyline.backlog``). Every article stored before this revision was enriched when it was stored, so it is
marked enriched then, and nothing old is enriched again.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("enriched_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_articles_enriched_at", "articles", ["enriched_at"])
    op.execute("UPDATE articles SET enriched_at = created_at")


def downgrade() -> None:
    op.drop_index("ix_articles_enriched_at", table_name="articles")
    op.drop_column("articles", "enriched_at")
