"""policy answers: questions asked, feedback, questions to owners, verified answers

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _question_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["question_id"],
        ["policy_questions.question_id"],
        name=op.f(f"fk_{table}_question_id_policy_questions"),
    )


def upgrade() -> None:
    op.create_table(
        "policy_questions",
        sa.Column("question_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("confident", sa.Boolean(), nullable=False),
        sa.Column("top_key", sa.String(length=255), nullable=True),
        sa.Column("top_policy_id", sa.String(length=64), nullable=True),
        sa.Column("answered_by_owner", sa.String(length=64), nullable=True),
        sa.Column("owner_ask_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("question_id", name=op.f("pk_policy_questions")),
    )
    op.create_index(op.f("ix_policy_questions_asked_at"), "policy_questions", ["asked_at"], unique=False)
    op.create_index(
        op.f("ix_policy_questions_owner_ask_id"), "policy_questions", ["owner_ask_id"], unique=False
    )
    op.create_table(
        "policy_feedback",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _question_fk("policy_feedback"),
        sa.PrimaryKeyConstraint("question_id", "user", name=op.f("pk_policy_feedback")),
    )
    op.create_table(
        "policy_owner_asks",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("meaning", sa.String(length=64), nullable=False),
        sa.Column("policy_id", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=255), nullable=False),
        sa.Column("ts", sa.String(length=255), nullable=True),
        sa.Column("asked_by", sa.String(length=64), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        _question_fk("policy_owner_asks"),
        sa.PrimaryKeyConstraint("question_id", name=op.f("pk_policy_owner_asks")),
        sa.UniqueConstraint("meaning", name=op.f("uq_policy_owner_asks_meaning")),
    )
    op.create_table(
        "policy_owner_answers",
        sa.Column("answer_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("meaning", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("policy_id", sa.String(length=64), nullable=False),
        sa.Column("anchor", sa.String(length=255), nullable=False),
        sa.Column("review_by", sa.Date(), nullable=False),
        sa.Column("answered_by", sa.String(length=64), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reply_ts", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["policy_owner_asks.question_id"],
            name=op.f("fk_policy_owner_answers_question_id_policy_owner_asks"),
        ),
        sa.PrimaryKeyConstraint("answer_id", name=op.f("pk_policy_owner_answers")),
        sa.UniqueConstraint("meaning", name=op.f("uq_policy_owner_answers_meaning")),
    )
    op.create_index(
        op.f("ix_policy_owner_answers_question_id"), "policy_owner_answers", ["question_id"], unique=False
    )
    op.create_table(
        "policy_verified_answers",
        sa.Column("answer_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("policy_id", sa.String(length=64), nullable=False),
        sa.Column("anchor", sa.String(length=255), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("saved_by", sa.String(length=64), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_by", sa.Date(), nullable=False),
        sa.Column("source_channel", sa.String(length=255), nullable=True),
        sa.Column("source_ts", sa.String(length=255), nullable=True),
        sa.Column("owner_answer_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _question_fk("policy_verified_answers"),
        sa.PrimaryKeyConstraint("answer_id", name=op.f("pk_policy_verified_answers")),
        sa.UniqueConstraint("question_id", name=op.f("uq_policy_verified_answers_question_id")),
    )


def downgrade() -> None:
    op.drop_table("policy_verified_answers")
    op.drop_index(op.f("ix_policy_owner_answers_question_id"), table_name="policy_owner_answers")
    op.drop_table("policy_owner_answers")
    op.drop_table("policy_owner_asks")
    op.drop_table("policy_feedback")
    op.drop_index(op.f("ix_policy_questions_owner_ask_id"), table_name="policy_questions")
    op.drop_index(op.f("ix_policy_questions_asked_at"), table_name="policy_questions")
    op.drop_table("policy_questions")
