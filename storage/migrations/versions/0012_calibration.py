"""calibration: blind calibration sessions, their items, participants, votes and kept results, and
the items of uploaded CSV files waiting for their form

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calibration_sessions",
        sa.Column("session_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("opened_key", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("vendor", sa.String(length=64), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("facilitator", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=255), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revealed_by", sa.String(length=255), nullable=True),
        sa.Column("progress_channel", sa.String(length=255), nullable=True),
        sa.Column("progress_ts", sa.String(length=255), nullable=True),
        sa.Column("reveal_ts", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_calibration_sessions")),
        sa.UniqueConstraint("opened_key", name=op.f("uq_calibration_sessions_opened_key")),
    )
    op.create_index(op.f("ix_calibration_sessions_queue"), "calibration_sessions", ["queue"], unique=False)
    op.create_index(op.f("ix_calibration_sessions_status"), "calibration_sessions", ["status"], unique=False)
    op.create_table(
        "calibration_items",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("link", sa.String(length=1000), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["calibration_sessions.session_id"],
            name=op.f("fk_calibration_items_session_id_calibration_sessions"),
        ),
        sa.PrimaryKeyConstraint("session_id", "position", name=op.f("pk_calibration_items")),
        sa.UniqueConstraint("session_id", "item_id", name=op.f("uq_calibration_items_session_id")),
    )
    op.create_table(
        "calibration_participants",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dm_channel", sa.String(length=255), nullable=True),
        sa.Column("dm_ts", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["calibration_sessions.session_id"],
            name=op.f("fk_calibration_participants_session_id_calibration_sessions"),
        ),
        sa.PrimaryKeyConstraint("session_id", "user_id", name=op.f("pk_calibration_participants")),
    )
    op.create_index(
        op.f("ix_calibration_participants_user_id"), "calibration_participants", ["user_id"], unique=False
    )
    op.create_table(
        "calibration_results",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("alpha", sa.Float(), nullable=True),
        sa.Column("fleiss", sa.Float(), nullable=True),
        sa.Column("mean_accuracy", sa.Float(), nullable=True),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["calibration_sessions.session_id"],
            name=op.f("fk_calibration_results_session_id_calibration_sessions"),
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_calibration_results")),
    )
    op.create_index(op.f("ix_calibration_results_queue"), "calibration_results", ["queue"], unique=False)
    op.create_index(op.f("ix_calibration_results_vendor"), "calibration_results", ["vendor"], unique=False)
    op.create_table(
        "calibration_votes",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["calibration_sessions.session_id"],
            name=op.f("fk_calibration_votes_session_id_calibration_sessions"),
        ),
        sa.PrimaryKeyConstraint("session_id", "position", "user_id", name=op.f("pk_calibration_votes")),
    )
    op.create_table(
        "calibration_drafts",
        sa.Column("draft_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("draft_id", name=op.f("pk_calibration_drafts")),
    )
    op.create_index(op.f("ix_calibration_drafts_user_id"), "calibration_drafts", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_calibration_drafts_user_id"), table_name="calibration_drafts")
    op.drop_table("calibration_drafts")
    op.drop_table("calibration_votes")
    op.drop_index(op.f("ix_calibration_results_vendor"), table_name="calibration_results")
    op.drop_index(op.f("ix_calibration_results_queue"), table_name="calibration_results")
    op.drop_table("calibration_results")
    op.drop_index(op.f("ix_calibration_participants_user_id"), table_name="calibration_participants")
    op.drop_table("calibration_participants")
    op.drop_table("calibration_items")
    op.drop_index(op.f("ix_calibration_sessions_status"), table_name="calibration_sessions")
    op.drop_index(op.f("ix_calibration_sessions_queue"), table_name="calibration_sessions")
    op.drop_table("calibration_sessions")
