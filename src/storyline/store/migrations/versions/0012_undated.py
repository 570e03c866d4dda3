"""undated: the item came with no date, so its ``published_at`` is when it arrived

Placement reads the time between such an article and a story as unknown rather than as the few seconds between
two entries of one poll; a restarted writer replays the flag. Articles stored before this revision are read as
dated, as they were placed.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("undated", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("articles", "undated")
