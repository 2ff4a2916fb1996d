"""training: cohorts laid out from a plan template, their sessions (with a sequence for calendar
files), members (trainers and labelers, with labeler IDs) and attendance

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_cohorts",
        sa.Column("cohort_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_key", sa.String(length=255), nullable=False),
        sa.Column("vendor", sa.String(length=64), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("queues", sa.Text(), nullable=False),
        sa.Column("plan_name", sa.String(length=200), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("target", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=255), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("moves", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("cohort_id", name=op.f("pk_training_cohorts")),
        sa.UniqueConstraint("created_key", name=op.f("uq_training_cohorts_created_key")),
        sa.UniqueConstraint("name", name=op.f("uq_training_cohorts_name")),
    )
    with op.batch_alter_table("training_cohorts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_cohorts_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_training_cohorts_vendor"), ["vendor"], unique=False)

    op.create_table(
        "training_attendance",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("marked_by", sa.String(length=255), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["training_cohorts.cohort_id"],
            name=op.f("fk_training_attendance_cohort_id_training_cohorts"),
        ),
        sa.PrimaryKeyConstraint("cohort_id", "session_id", "user_id", name=op.f("pk_training_attendance")),
    )
    op.create_table(
        "training_members",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("labeler_id", sa.String(length=255), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["training_cohorts.cohort_id"],
            name=op.f("fk_training_members_cohort_id_training_cohorts"),
        ),
        sa.PrimaryKeyConstraint("cohort_id", "user_id", name=op.f("pk_training_members")),
    )
    op.create_table(
        "training_sessions",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.String(length=64), nullable=False),
        sa.Column("occurrence", sa.Integer(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["training_cohorts.cohort_id"],
            name=op.f("fk_training_sessions_cohort_id_training_cohorts"),
        ),
        sa.PrimaryKeyConstraint("cohort_id", "session_id", name=op.f("pk_training_sessions")),
    )
    with op.batch_alter_table("training_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_sessions_start_at"), ["start_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("training_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_sessions_start_at"))

    op.drop_table("training_sessions")
    op.drop_table("training_members")
    op.drop_table("training_attendance")
    with op.batch_alter_table("training_cohorts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_cohorts_vendor"))
        batch_op.drop_index(batch_op.f("ix_training_cohorts_status"))

    op.drop_table("training_cohorts")
