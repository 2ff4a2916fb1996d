"""policy cascades: the update posted to each target channel, and each member's acknowledgement

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_cascades",
        sa.Column("cascade_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("policy_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("ack_by", sa.Date(), nullable=False),
        sa.Column("quiz_topic", sa.String(length=64), nullable=True),
        sa.Column("published_by", sa.String(length=255), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cascade_id", name=op.f("pk_policy_cascades")),
        sa.UniqueConstraint("policy_id", "version", name=op.f("uq_policy_cascades_policy_id")),
    )
    op.create_table(
        "policy_cascade_targets",
        sa.Column("cascade_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=255), nullable=False),
        sa.Column("vendor", sa.String(length=64), nullable=True),
        sa.Column("message_channel", sa.String(length=255), nullable=True),
        sa.Column("message_ts", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["cascade_id"],
            ["policy_cascades.cascade_id"],
            name=op.f("fk_policy_cascade_targets_cascade_id_policy_cascades"),
        ),
        sa.PrimaryKeyConstraint("cascade_id", "channel", name=op.f("pk_policy_cascade_targets")),
    )
    op.create_table(
        "policy_cascade_members",
        sa.Column("cascade_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("passed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cascade_id"],
            ["policy_cascades.cascade_id"],
            name=op.f("fk_policy_cascade_members_cascade_id_policy_cascades"),
        ),
        sa.PrimaryKeyConstraint("cascade_id", "channel", "user_id", name=op.f("pk_policy_cascade_members")),
    )
    op.create_index(
        op.f("ix_policy_cascade_members_user_id"), "policy_cascade_members", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_policy_cascade_members_user_id"), table_name="policy_cascade_members")
    op.drop_table("policy_cascade_members")
    op.drop_table("policy_cascade_targets")
    op.drop_table("policy_cascades")
