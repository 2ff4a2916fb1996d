"""Knowledge checks: topics, versioned questions, attempts and their answers, assignments, review cards.

A question is never changed in place: a new import of the same id adds a version, and attempts keep
the version they were asked. Every answer row is keyed by attempt and position, the attempt's state
(which question is next, its deadline) lives here, so a restart or another replica carries on.
"""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class QuizTopic(Base):
    __tablename__ = "quiz_topics"

    topic_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    pass_mark: Mapped[float] = mapped_column(Float)
    time_limit_seconds: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class QuizQuestion(Base):
    """One version of one question; `active` marks the version new attempts ask."""

    __tablename__ = "quiz_questions"

    version_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic_id: Mapped[str] = mapped_column(ForeignKey("quiz_topics.topic_id"), index=True)
    question_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)  # order within the topic
    content: Mapped[str] = mapped_column(Text)  # the Question as JSON
    content_hash: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("topic_id", "question_id", "version"),)


class QuizAttempt(Base):
    """One person taking one topic (or a review session). `plan` lists the question versions in the
    order asked with each one's option order; `position` is the next one to ask."""

    __tablename__ = "quiz_attempts"

    attempt_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    topic_id: Mapped[str] = mapped_column(ForeignKey("quiz_topics.topic_id"), index=True)
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="quiz")  # quiz, review
    plan: Mapped[str] = mapped_column(Text)  # JSON: [{"version": id, "order": [option indexes]}]
    position: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    credit: Mapped[float | None] = mapped_column(Float)  # share of the attempt's credit, 0..1
    passed: Mapped[bool | None] = mapped_column(Boolean)
    channel: Mapped[str | None] = mapped_column(String(255))  # where it is taken (the DM)
    assignment_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_quiz_attempts_open", "user_id", "finished_at"),)


class QuizAnswer(Base):
    """The answer to one question of one attempt, recorded once."""

    __tablename__ = "quiz_answers"

    attempt_id: Mapped[str] = mapped_column(ForeignKey("quiz_attempts.attempt_id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.version_id"), index=True)
    answer: Mapped[str] = mapped_column(Text)  # JSON: chosen (original option indexes), text, matches
    credit: Mapped[float] = mapped_column(Float)
    right: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class QuizAssignment(Base):
    """A topic assigned to a person, with an optional due day; done when they pass it."""

    __tablename__ = "quiz_assignments"

    assignment_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic_id: Mapped[str] = mapped_column(ForeignKey("quiz_topics.topic_id"), index=True)
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    due: Mapped[date | None] = mapped_column(Date)
    assigned_by: Mapped[str] = mapped_column(String(255))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("topic_id", "user_id"),)


class QuizReviewCard(Base):
    """A missed question's place in a person's spaced review (an FSRS card, as JSON)."""

    __tablename__ = "quiz_review_cards"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    topic_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    card: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    lapses: Mapped[int] = mapped_column(Integer, default=0)


class QuizRosterEntry(Base):
    """Who works for which vendor at which site, from an imported roster CSV; it wins over the
    workspace file and channel membership when results are split by vendor and site."""

    __tablename__ = "quiz_roster"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    vendor: Mapped[str] = mapped_column(String(64))
    site: Mapped[str | None] = mapped_column(String(64))
    labeler_id: Mapped[str | None] = mapped_column(String(255))  # their ID in the queue data
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
