"""articles: derived titles, feed excerpts waiting for their page, why each joined its story

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not a batch: SQLite adds these columns in place, while a batch's copy of the table would
# drop the triggers that keep the search index (0002) in step.
def upgrade() -> None:
    op.add_column("articles", sa.Column("title_derived", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("articles", sa.Column("excerpt_only", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("articles", sa.Column("refetch_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("articles", sa.Column("refetch_attempts", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_articles_refetch_at", "articles", ["refetch_at"], unique=False)
    op.add_column("articles", sa.Column("placement", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_index("ix_articles_refetch_at", table_name="articles")
    for column in ("placement", "refetch_attempts", "refetch_at", "excerpt_only", "title_derived"):
        op.drop_column("articles", column)
