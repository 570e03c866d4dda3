"""alerts: readers' alert settings and channels, each follow's alert choice, the story snapshots developments
are measured against, the developments, the alerts they raise and their deliveries

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _user() -> sa.Column:
    return sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "alert_settings",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("digest_hour", sa.Integer(), nullable=False),
        sa.Column("digest_weekly", sa.Boolean(), nullable=False),
        sa.Column("quiet_start", sa.Integer(), nullable=True),
        sa.Column("quiet_end", sa.Integer(), nullable=True),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column("daily_cap", sa.Integer(), nullable=False),
        _when("last_digest_at", nullable=True),
    )
    op.create_table(
        "alert_channels",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("target", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(64), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        _when("created_at"),
        sa.UniqueConstraint("user_id", "kind", "target"),
    )
    op.create_table(
        "follow_alerts",
        sa.Column("follow_id", sa.Integer(), sa.ForeignKey("follows.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
    )
    op.create_table(
        "story_snapshots",
        sa.Column("story_id", sa.Integer(), sa.ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("state", sa.JSON(), nullable=False),
        _when("taken_at"),
    )
    op.create_table(
        "developments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("story_id", sa.Integer(), sa.ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("headline", sa.String(1000), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        _when("created_at"),
    )
    op.create_index("ix_developments_story_created", "developments", ["story_id", "created_at"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user(),
        sa.Column("development_id", sa.Integer(), sa.ForeignKey("developments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("follow_id", sa.Integer(), sa.ForeignKey("follows.id", ondelete="SET NULL"), nullable=True),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        _when("created_at"),
        _when("decided_at", nullable=True),
        sa.UniqueConstraint("user_id", "development_id"),
    )
    op.create_index("ix_alerts_status_user", "alerts", ["status", "user_id"])
    op.create_index("ix_alerts_follow", "alerts", ["follow_id"])
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("alert_channels.id", ondelete="CASCADE"), nullable=False),
        sa.Column("alert_ids", sa.JSON(), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_try_at"),
        _when("leased_until", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _when("sent_at", nullable=True),
        _when("created_at"),
    )
    op.create_index("ix_alert_deliveries_status_next", "alert_deliveries", ["status", "next_try_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_deliveries_status_next", table_name="alert_deliveries")
    op.drop_index("ix_alerts_follow", table_name="alerts")
    op.drop_index("ix_alerts_status_user", table_name="alerts")
    op.drop_index("ix_developments_story_created", table_name="developments")
    for table in (
        "alert_deliveries",
        "alerts",
        "developments",
        "story_snapshots",
        "follow_alerts",
        "alert_channels",
        "alert_settings",
    ):
        op.drop_table(table)
