"""teams: conversation references and people, for proactive Teams messages

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "teams_conversations",
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("service_url", sa.String(512), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=True),
        sa.Column("team_id", sa.String(255), nullable=True),
        sa.Column("team_group_id", sa.String(64), nullable=True),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("user_id", sa.String(255), nullable=True),
        sa.Column("installed", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_teams_conversations")),
    )
    op.create_index(op.f("ix_teams_conversations_user_id"), "teams_conversations", ["user_id"])
    op.create_table(
        "teams_people",
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("teams_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("tenant_id", sa.String(64), nullable=True),
        sa.Column("service_url", sa.String(512), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_teams_people")),
    )


def downgrade() -> None:
    op.drop_table("teams_people")
    op.drop_index(op.f("ix_teams_conversations_user_id"), table_name="teams_conversations")
    op.drop_table("teams_conversations")
