"""sampling: each queue's daily audit draw (once per queue and day) and its drawn decisions, the
lots judged from returned audits, and each vendor's queue in the ISO 2859-1 switching rules

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sampling_drawn_items",
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("completed_us", sa.BigInteger(), nullable=False),
        sa.Column("labeler_id", sa.String(length=128), nullable=False),
        sa.Column("decision", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint(
            "queue", "day", "item_id", "completed_us", name=op.f("pk_sampling_drawn_items")
        ),
    )
    op.create_table(
        "sampling_draws",
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("vendor", sa.String(length=64), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("inspection", sa.String(length=16), nullable=False),
        sa.Column("aql", sa.Float(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("lot_size", sa.Integer(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("accept", sa.Integer(), nullable=False),
        sa.Column("reject", sa.Integer(), nullable=False),
        sa.Column("drawn", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_ts", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("queue", "day", name=op.f("pk_sampling_draws")),
    )
    op.create_table(
        "sampling_lots",
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("vendor", sa.String(length=64), nullable=False),
        sa.Column("inspection", sa.String(length=16), nullable=False),
        sa.Column("sample", sa.Integer(), nullable=False),
        sa.Column("audited", sa.Integer(), nullable=False),
        sa.Column("nonconforming", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("change", sa.Text(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("queue", "day", name=op.f("pk_sampling_lots")),
    )
    op.create_table(
        "sampling_states",
        sa.Column("vendor", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("inspection", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("recent", sa.Text(), nullable=False),
        sa.Column("accepted_run", sa.Integer(), nullable=False),
        sa.Column("not_accepted", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("vendor", "queue", name=op.f("pk_sampling_states")),
    )


def downgrade() -> None:
    op.drop_table("sampling_states")
    op.drop_table("sampling_lots")
    op.drop_table("sampling_draws")
    op.drop_table("sampling_drawn_items")
