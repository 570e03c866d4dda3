"""articles: derived titles, feed excerpts waiting for their page

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("title_derived", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("excerpt_only", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("refetch_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("refetch_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.create_index("ix_articles_refetch_at", ["refetch_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_index("ix_articles_refetch_at")
        batch.drop_column("refetch_attempts")
        batch.drop_column("refetch_at")
        batch.drop_column("excerpt_only")
        batch.drop_column("title_derived")
