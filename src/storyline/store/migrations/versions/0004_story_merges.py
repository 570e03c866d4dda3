"""index stories by the story they were merged into

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


# The refinement pass repoints earlier merges at the new survivor (``WHERE merged_into = :absorbed``) so a
# redirect is one hop, and every story listing filters on ``merged_into IS NULL``.
def upgrade() -> None:
    with op.batch_alter_table("stories") as batch:
        batch.create_index("ix_stories_merged_into", ["merged_into"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stories") as batch:
        batch.drop_index("ix_stories_merged_into")
