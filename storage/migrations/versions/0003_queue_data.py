"""queue data: decisions, daily building blocks, backlog snapshots, digest posts, ingested files

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DAY_KEYS = ("timezone", "day", "queue", "vendor", "site")


def _day_columns() -> list[sa.Column]:
    return [
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("vendor", sa.String(64), nullable=False),
        sa.Column("site", sa.String(64), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "decisions",
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("item_id", sa.String(128), nullable=False),
        sa.Column("completed_us", sa.BigInteger(), nullable=False),
        sa.Column("enqueued_us", sa.BigInteger(), nullable=False),
        sa.Column("labeler_id", sa.String(128), nullable=False),
        sa.Column("vendor", sa.String(64), nullable=False),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("handle_seconds", sa.Float(), nullable=False),
        sa.Column("decision", sa.String(128), nullable=True),
        sa.Column("qa_decision", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("completed_us", "queue", "item_id", name=op.f("pk_decisions")),
        sqlite_with_rowid=False,  # SQLite: the key is the table, one B-tree to fill instead of two
    )
    op.create_table(
        "daily_labeler_output",
        *_day_columns(),
        sa.Column("labeler_id", sa.String(128), nullable=False),
        sa.Column("output", sa.Integer(), nullable=False),
        sa.Column("sla_met", sa.Integer(), nullable=False),
        sa.Column("handle_sum", sa.Float(), nullable=False),
        sa.Column("audited", sa.Integer(), nullable=False),
        sa.Column("agreed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*DAY_KEYS, "labeler_id", name=op.f("pk_daily_labeler_output")),
    )
    op.create_table(
        "daily_error_pairs",
        *_day_columns(),
        sa.Column("decision", sa.String(128), nullable=False),
        sa.Column("qa_decision", sa.String(128), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*DAY_KEYS, "decision", "qa_decision", name=op.f("pk_daily_error_pairs")),
    )
    op.create_table(
        "backlog_snapshots",
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("backlog", sa.Integer(), nullable=False),
        sa.Column("oldest_age_seconds", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("queue", "at_us", name=op.f("pk_backlog_snapshots")),
    )
    op.create_table(
        "digest_posts",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(255), nullable=False),
        sa.Column("ts", sa.String(32), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "day", name=op.f("pk_digest_posts")),
    )
    op.create_table(
        "ingested_files",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_ingested_files")),
    )


def downgrade() -> None:
    for table in (
        "ingested_files",
        "digest_posts",
        "backlog_snapshots",
        "daily_error_pairs",
        "daily_labeler_output",
    ):
        op.drop_table(table)
    op.drop_table("decisions")
