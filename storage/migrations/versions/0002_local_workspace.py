"""local workspace: the browser workspace's state snapshot and uploaded files

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "local_workspace_snapshots",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_local_workspace_snapshots")),
    )
    op.create_table(
        "local_workspace_files",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_workspace_files")),
    )


def downgrade() -> None:
    op.drop_table("local_workspace_files")
    op.drop_table("local_workspace_snapshots")
