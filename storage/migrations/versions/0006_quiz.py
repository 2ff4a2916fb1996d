"""quiz: topics, versioned questions, attempts and answers, assignments, review cards

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quiz_topics",
        sa.Column("topic_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("pass_mark", sa.Float(), nullable=False),
        sa.Column("time_limit_seconds", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("topic_id", name=op.f("pk_quiz_topics")),
    )
    op.create_table(
        "quiz_review_cards",
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("topic_id", sa.String(length=64), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("card", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.Column("lapses", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "topic_id", "question_id", name=op.f("pk_quiz_review_cards")),
    )
    op.create_index(op.f("ix_quiz_review_cards_due_at"), "quiz_review_cards", ["due_at"], unique=False)
    op.create_table(
        "quiz_assignments",
        sa.Column("assignment_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("topic_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("assigned_by", sa.String(length=255), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("passed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["quiz_topics.topic_id"], name=op.f("fk_quiz_assignments_topic_id_quiz_topics")
        ),
        sa.PrimaryKeyConstraint("assignment_id", name=op.f("pk_quiz_assignments")),
        sa.UniqueConstraint("topic_id", "user_id", name=op.f("uq_quiz_assignments_topic_id")),
    )
    op.create_index(op.f("ix_quiz_assignments_topic_id"), "quiz_assignments", ["topic_id"], unique=False)
    op.create_index(op.f("ix_quiz_assignments_user_id"), "quiz_assignments", ["user_id"], unique=False)
    op.create_table(
        "quiz_attempts",
        sa.Column("attempt_id", sa.String(length=32), nullable=False),
        sa.Column("topic_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("credit", sa.Float(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("channel", sa.String(length=255), nullable=True),
        sa.Column("assignment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["quiz_topics.topic_id"], name=op.f("fk_quiz_attempts_topic_id_quiz_topics")
        ),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_quiz_attempts")),
    )
    op.create_index("ix_quiz_attempts_open", "quiz_attempts", ["user_id", "finished_at"], unique=False)
    op.create_index(op.f("ix_quiz_attempts_topic_id"), "quiz_attempts", ["topic_id"], unique=False)
    op.create_index(op.f("ix_quiz_attempts_user_id"), "quiz_attempts", ["user_id"], unique=False)
    op.create_table(
        "quiz_questions",
        sa.Column("version_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("topic_id", sa.String(length=64), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["quiz_topics.topic_id"], name=op.f("fk_quiz_questions_topic_id_quiz_topics")
        ),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_quiz_questions")),
        sa.UniqueConstraint("topic_id", "question_id", "version", name=op.f("uq_quiz_questions_topic_id")),
    )
    op.create_index(op.f("ix_quiz_questions_topic_id"), "quiz_questions", ["topic_id"], unique=False)
    op.create_table(
        "quiz_answers",
        sa.Column("attempt_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("credit", sa.Float(), nullable=False),
        sa.Column("right", sa.Boolean(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["quiz_attempts.attempt_id"],
            name=op.f("fk_quiz_answers_attempt_id_quiz_attempts"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["quiz_questions.version_id"],
            name=op.f("fk_quiz_answers_version_id_quiz_questions"),
        ),
        sa.PrimaryKeyConstraint("attempt_id", "position", name=op.f("pk_quiz_answers")),
    )
    op.create_index(op.f("ix_quiz_answers_version_id"), "quiz_answers", ["version_id"], unique=False)


def downgrade() -> None:
    for table in (
        "quiz_answers",
        "quiz_questions",
        "quiz_attempts",
        "quiz_assignments",
        "quiz_topics",
        "quiz_review_cards",
    ):
        op.drop_table(table)
