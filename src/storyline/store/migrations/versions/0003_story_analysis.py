"""cached story-level analysis

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stories") as batch:
        batch.add_column(sa.Column("analysis", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("analysis_article_count", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("stories") as batch:
        batch.drop_column("analysis_article_count")
        batch.drop_column("analysis")
