"""appeals: one per audited decision, with its review and whether the daily figures took an overturn;
decisions: when each audit was stored (the appeal window runs from it), with a partial (labeler, audit
time) index. Audited rows stored before this revision get their decision's time once (their audit time is
unknown; the earliest it can have been keeps old verdicts from being reopened to appeal).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audited_us", sa.BigInteger(), nullable=True))
    # Audits stored before this revision: their time is unknown, so their decision's time stands in (the
    # earliest it can have been): an old verdict is not reopened to appeal by the upgrade.
    op.execute(
        "UPDATE decisions SET audited_us = completed_us "
        "WHERE qa_decision IS NOT NULL AND qa_decision <> '' AND audited_us IS NULL"
    )
    # Partial: only audited rows are in it, so a load pays for the audited few, and a labeler's recent
    # audits (`/quality mine`, the home tab, the weekly DM) are a range scan, not a read of every decision.
    op.create_index(
        "ix_decisions_labeler_audited",
        "decisions",
        ["labeler_id", "audited_us"],
        postgresql_where=sa.text("audited_us IS NOT NULL"),
        sqlite_where=sa.text("audited_us IS NOT NULL"),
    )
    when = sa.DateTime(timezone=True)
    op.create_table(
        "appeals",
        sa.Column("appeal_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("completed_us", sa.BigInteger(), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("labeler_id", sa.String(length=128), nullable=False),
        sa.Column("vendor", sa.String(length=64), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=128), nullable=True),
        sa.Column("qa_decision", sa.String(length=128), nullable=False),
        sa.Column("qa_auditor", sa.String(length=128), nullable=True),
        sa.Column("audited_at", when, nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("policy_section", sa.String(length=200), nullable=False),
        sa.Column("filed_at", when, nullable=False),
        sa.Column("due_at", when, nullable=False),
        sa.Column("thread_channel", sa.String(length=255), nullable=True),
        sa.Column("thread_ts", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=255), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_at", when, nullable=True),
        sa.Column("final_label", sa.String(length=128), nullable=True),
        sa.Column("corrected_at", when, nullable=True),
        sa.PrimaryKeyConstraint("appeal_id", name=op.f("pk_appeals")),
        sa.UniqueConstraint("completed_us", "queue", "item_id", name=op.f("uq_appeals_completed_us")),
    )
    op.create_index("ix_appeals_status", "appeals", ["status"])
    op.create_index("ix_appeals_filed_at", "appeals", ["filed_at"])


def downgrade() -> None:
    op.drop_index("ix_appeals_filed_at", table_name="appeals")
    op.drop_index("ix_appeals_status", table_name="appeals")
    op.drop_table("appeals")
    op.drop_index("ix_decisions_labeler_audited", table_name="decisions")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("audited_us")
