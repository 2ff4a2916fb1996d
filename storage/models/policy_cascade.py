"""Policy cascades: one update of one policy rolled out to vendor channels, and who acknowledged it.

One cascade per (policy, version): publishing it again to more channels adds targets, never a second
cascade. Members are read from each target channel when it is published and refreshed daily: a
newcomer is added, a leaver keeps their row marked `left_at`, so a figure never forgets what it was.
"""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class PolicyCascade(Base):
    __tablename__ = "policy_cascades"

    cascade_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    ack_by: Mapped[date] = mapped_column(Date)
    quiz_topic: Mapped[str | None] = mapped_column(String(64))  # acknowledging starts this quiz
    published_by: Mapped[str] = mapped_column(String(255))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("policy_id", "version"),)


class PolicyCascadeTarget(Base):
    """A channel the update was posted in; `vendor` when the channel is a vendor's."""

    __tablename__ = "policy_cascade_targets"

    cascade_id: Mapped[int] = mapped_column(ForeignKey("policy_cascades.cascade_id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(255), primary_key=True)
    vendor: Mapped[str | None] = mapped_column(String(64))
    message_channel: Mapped[str | None] = mapped_column(String(255))  # where the post is, once posted
    message_ts: Mapped[str | None] = mapped_column(String(255))


class PolicyCascadeMember(Base):
    """One member of one target channel: when they acknowledged, when they passed the quiz."""

    __tablename__ = "policy_cascade_members"

    cascade_id: Mapped[int] = mapped_column(ForeignKey("policy_cascades.cascade_id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
