"""escalations: the escalation, its timeline, and imported directory contacts

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("number", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("opened_key", sa.String(length=255), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("vendor", sa.String(length=64), nullable=True),
        sa.Column("site", sa.String(length=64), nullable=True),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("impact", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=1000), nullable=True),
        sa.Column("reporter", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("since_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("owner", sa.String(length=255), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=255), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("cause", sa.String(length=32), nullable=True),
        sa.Column("updates", sa.Integer(), nullable=False),
        sa.Column("chased_by", sa.Integer(), nullable=True),
        sa.Column("last_update", sa.Text(), nullable=True),
        sa.Column("last_update_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_update_by", sa.String(length=255), nullable=True),
        sa.Column("channel", sa.String(length=255), nullable=False),
        sa.Column("ts", sa.String(length=255), nullable=True),
        sa.Column("source_channel", sa.String(length=255), nullable=True),
        sa.Column("source_ts", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_escalations")),
        sa.UniqueConstraint("opened_key", name=op.f("uq_escalations_opened_key")),
    )
    op.create_index(op.f("ix_escalations_queue"), "escalations", ["queue"], unique=False)
    op.create_index(op.f("ix_escalations_status"), "escalations", ["status"], unique=False)
    op.create_table(
        "escalation_events",
        sa.Column("event_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user", sa.String(length=255), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["number"], ["escalations.number"], name=op.f("fk_escalation_events_number_escalations")
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_escalation_events")),
    )
    op.create_index(op.f("ix_escalation_events_number"), "escalation_events", ["number"], unique=False)
    op.create_table(
        "directory_contacts",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("people", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("scope", "scope_id", "role", name=op.f("pk_directory_contacts")),
    )


def downgrade() -> None:
    op.drop_table("directory_contacts")
    op.drop_index(op.f("ix_escalation_events_number"), table_name="escalation_events")
    op.drop_table("escalation_events")
    op.drop_index(op.f("ix_escalations_status"), table_name="escalations")
    op.drop_index(op.f("ix_escalations_queue"), table_name="escalations")
    op.drop_table("escalations")
