"""feeds: folders, pause, custom title, user agent, page mode, title rewrite; filter rules and the URLs they dropped

Revision ID: 0007
Revises: 0006

It only adds columns to ``feeds`` and tables of its own.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("feeds", sa.Column("folder", sa.String(length=200), nullable=True))
    op.create_index("ix_feeds_folder", "feeds", ["folder"], unique=False)
    op.add_column("feeds", sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("feeds", sa.Column("custom_title", sa.String(length=500), nullable=True))
    op.add_column("feeds", sa.Column("user_agent", sa.String(length=300), nullable=True))
    op.add_column("feeds", sa.Column("page_mode", sa.String(length=10), nullable=False, server_default="auto"))
    op.add_column("feeds", sa.Column("title_pattern", sa.String(length=500), nullable=True))
    op.add_column("feeds", sa.Column("title_replacement", sa.String(length=500), nullable=True))
    op.create_table(
        "filter_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("field", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("pattern", sa.String(length=500), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_filter_rules_feed_id", "filter_rules", ["feed_id"], unique=False)
    op.create_table(
        "filtered_urls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=True),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["rule_id"], ["filter_rules.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url"),
    )
    op.create_index("ix_filtered_urls_feed_id", "filtered_urls", ["feed_id"], unique=False)
    op.create_index("ix_filtered_urls_rule_id", "filtered_urls", ["rule_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_filtered_urls_rule_id", table_name="filtered_urls")
    op.drop_index("ix_filtered_urls_feed_id", table_name="filtered_urls")
    op.drop_table("filtered_urls")
    op.drop_index("ix_filter_rules_feed_id", table_name="filter_rules")
    op.drop_table("filter_rules")
    op.drop_index("ix_feeds_folder", table_name="feeds")
    for column in ("title_replacement", "title_pattern", "page_mode", "user_agent", "custom_title", "paused", "folder"):
        op.drop_column("feeds", column)
