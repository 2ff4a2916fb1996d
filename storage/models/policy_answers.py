"""Policy answers: every question asked, the feedback on each answer, questions sent to a policy's
owners, and the owners' answers saved as verified answers.

Questions are kept whether answered or not: the unanswered and unhelpful ones are the knowledge gaps
the weekly summary shows the owners.
"""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class PolicyQuestion(Base):
    """One question to the bot (`/policy`, a mention or a DM) and what search made of it."""

    __tablename__ = "policy_questions"

    question_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    via: Mapped[str] = mapped_column(String(16))  # command, mention or direct
    confident: Mapped[bool] = mapped_column(Boolean)
    top_key: Mapped[str | None] = mapped_column(String(255))  # the best passage's key, even if unsure
    top_policy_id: Mapped[str | None] = mapped_column(String(64))
    answered_by_owner: Mapped[str | None] = mapped_column(String(64))  # the owner who answered it
    # The owners' ask this question is attached to (that ask's first question id), once asked.
    owner_ask_id: Mapped[int | None] = mapped_column(Integer, index=True)


class PolicyFeedback(Base):
    """ "Helpful" or "Not helpful" on one answer, one row per question and person (the first counts)."""

    __tablename__ = "policy_feedback"

    question_id: Mapped[int] = mapped_column(ForeignKey("policy_questions.question_id"), primary_key=True)
    user: Mapped[str] = mapped_column(String(64), primary_key=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class PolicyOwnerAsk(Base):
    """A question posted in the owners' channel, once per meaning: the same question (normalised
    text) about the same policy is one ask, whoever asks it; later askers attach to it."""

    __tablename__ = "policy_owner_asks"

    question_id: Mapped[int] = mapped_column(ForeignKey("policy_questions.question_id"), primary_key=True)
    meaning: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of policy and normalised text
    policy_id: Mapped[str | None] = mapped_column(String(64))  # the best-matching policy when asked
    channel: Mapped[str] = mapped_column(String(255))
    ts: Mapped[str | None] = mapped_column(String(255))  # None until the post is made
    asked_by: Mapped[str] = mapped_column(String(64))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PolicyOwnerAnswer(Base):
    """One owner's answer to an ask: every answer (a correction too) is its own row, so "Save as
    answer" under it saves exactly that one."""

    __tablename__ = "policy_owner_answers"

    answer_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("policy_owner_asks.question_id"), index=True)
    # sha256 of the ask, the owner and what they submitted: the same form submitted twice is one answer.
    meaning: Mapped[str] = mapped_column(String(64), unique=True)
    answer: Mapped[str] = mapped_column(Text)
    policy_id: Mapped[str] = mapped_column(String(64))
    anchor: Mapped[str] = mapped_column(String(255))
    review_by: Mapped[date] = mapped_column(Date)
    answered_by: Mapped[str] = mapped_column(String(64))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reply_ts: Mapped[str | None] = mapped_column(String(255))  # the answer in the owners' thread


class PolicyVerifiedAnswer(Base):
    """An owner's answer saved with "Save as answer": searched beside the sections, first for its
    question and close variants, until it is deactivated; flagged to its owners after `review_by`."""

    __tablename__ = "policy_verified_answers"

    answer_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("policy_questions.question_id"), unique=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    anchor: Mapped[str] = mapped_column(String(255))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    saved_by: Mapped[str] = mapped_column(String(64))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    review_by: Mapped[date] = mapped_column(Date)
    source_channel: Mapped[str | None] = mapped_column(String(255))
    source_ts: Mapped[str | None] = mapped_column(String(255))
    owner_answer_id: Mapped[int | None] = mapped_column(Integer)  # the owner's answer saved (the latest)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
