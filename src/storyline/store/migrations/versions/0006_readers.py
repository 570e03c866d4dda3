"""readers: follows, mutes, read articles, saved articles, read-up-to marks, opened stories; indexes for a
hashtag's, an outlet's and a section's newest articles

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _user() -> sa.Column:
    return sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


def _article() -> sa.Column:
    return sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False)


# New tables and indexes; plain CREATE INDEX, not a batch, so SQLite keeps the search index's triggers (0002).
def upgrade() -> None:
    op.create_index("ix_article_entities_entity_article", "article_entities", ["entity_id", "article_id"])
    op.create_index("ix_articles_outlet_published", "articles", ["outlet_id", "published_at"])
    op.create_index("ix_articles_section_published", "articles", ["section", "published_at"])
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("feed_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "kind", "target"),
    )
    op.create_table(
        "mutes",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "kind", "target"),
    )
    op.create_table(
        "article_reads",
        _user(),
        _article(),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "article_id"),
    )
    op.create_table(
        "saved_articles",
        _user(),
        _article(),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "article_id"),
    )
    op.create_table(
        "read_marks",
        _user(),
        sa.Column("scope", sa.String(320), nullable=False),
        sa.Column("read_up_to", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "scope"),
    )
    op.create_table(
        "story_visits",
        _user(),
        sa.Column("story_id", sa.Integer(), sa.ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.Column("outlet_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "story_id"),
    )


def downgrade() -> None:
    op.drop_index("ix_articles_section_published", table_name="articles")
    op.drop_index("ix_articles_outlet_published", table_name="articles")
    op.drop_index("ix_article_entities_entity_article", table_name="article_entities")
    for table in ("story_visits", "read_marks", "saved_articles", "article_reads", "mutes", "follows"):
        op.drop_table(table)
