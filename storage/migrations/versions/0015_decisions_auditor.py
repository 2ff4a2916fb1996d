"""decisions: who audited each decision (an optional qa_auditor in the queue data), so an appeal's
reviewer can be someone other than the auditor. A nullable column: no rewrite of stored rows.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("qa_auditor", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("qa_auditor")
