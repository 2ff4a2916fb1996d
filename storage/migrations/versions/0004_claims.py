"""claims: one table for once-only side effects, leases and durable timers

Replaces processed_events (event de-duplication) and digest_posts (a digest per channel and day).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_claims")),
    )
    op.create_index(op.f("ix_claims_created_at"), "claims", ["created_at"])
    op.create_index("ix_claims_open_due", "claims", ["done_at", "due_at"])
    # What was already claimed stays claimed: events as done, digests under their new key (all queues).
    op.execute(
        "INSERT INTO claims (key, kind, created_at, due_at, attempts, done_at) "
        "SELECT key, kind, created_at, created_at, 1, created_at FROM processed_events"
    )
    op.execute(
        sa.text(
            "INSERT INTO claims (key, kind, created_at, due_at, attempts, done_at, result) "
            "SELECT :prefix || channel || :sep || CAST(day AS VARCHAR(10)) || :scope, 'digest', "
            "claimed_at, claimed_at, 1, claimed_at, ts FROM digest_posts WHERE ts IS NOT NULL"
        ).bindparams(prefix="digest:", sep=":", scope=":all")
    )
    op.drop_index(op.f("ix_processed_events_created_at"), table_name="processed_events")
    op.drop_table("processed_events")
    op.drop_table("digest_posts")


def downgrade() -> None:
    op.create_table(
        "processed_events",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_processed_events")),
    )
    op.create_index(op.f("ix_processed_events_created_at"), "processed_events", ["created_at"])
    op.create_table(
        "digest_posts",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(255), nullable=False),
        sa.Column("ts", sa.String(32), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "day", name=op.f("pk_digest_posts")),
    )
    op.execute(
        "INSERT INTO processed_events (key, kind, created_at) SELECT key, kind, created_at FROM claims "
        "WHERE done_at IS NOT NULL AND kind IN ('event', 'action')"
    )
    op.drop_index("ix_claims_open_due", table_name="claims")
    op.drop_index(op.f("ix_claims_created_at"), table_name="claims")
    op.drop_table("claims")
