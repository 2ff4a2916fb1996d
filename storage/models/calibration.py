"""Calibration sessions: labelers and QA rate the same items blind, then the votes are revealed with
agreement statistics.

`opened_key` is what the creating means (the opened form), so a double submit makes one session.
`labels` is the queue's label set as it was when the session was made (JSON list, least to most
severe): votes are checked against it even if the workspace file changes later. Votes are one row per
participant and item, replaced when changed, frozen once the session is revealed. A result row per
revealed session keeps the figures `/calibrate trend` compares.
"""

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class CalibrationSession(Base):
    __tablename__ = "calibration_sessions"

    session_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    opened_key: Mapped[str] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    queue: Mapped[str] = mapped_column(String(64), index=True)
    vendor: Mapped[str] = mapped_column(String(64))
    labels: Mapped[str] = mapped_column(Text)  # JSON list, least to most severe
    facilitator: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(255))  # where the reveal goes (where it was created)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    threshold: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), index=True)  # open, revealed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revealed_by: Mapped[str | None] = mapped_column(String(255))  # None: the due time
    progress_channel: Mapped[str | None] = mapped_column(String(255))  # the facilitator's progress DM
    progress_ts: Mapped[str | None] = mapped_column(String(255))
    reveal_ts: Mapped[str | None] = mapped_column(String(255))  # the results in `channel`


class CalibrationItem(Base):
    """An item to rate, by ID, link and neutral note only: the bot never shows its content."""

    __tablename__ = "calibration_items"

    session_id: Mapped[int] = mapped_column(ForeignKey("calibration_sessions.session_id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1-based, as shown
    item_id: Mapped[str] = mapped_column(String(128))
    link: Mapped[str | None] = mapped_column(String(1000))
    note: Mapped[str | None] = mapped_column(String(500))
    reference: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (UniqueConstraint("session_id", "item_id"),)


class CalibrationParticipant(Base):
    """Someone invited to rate; `dm_channel`/`dm_ts` is their ballot message, updated in place."""

    __tablename__ = "calibration_participants"

    session_id: Mapped[int] = mapped_column(ForeignKey("calibration_sessions.session_id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dm_channel: Mapped[str | None] = mapped_column(String(255))
    dm_ts: Mapped[str | None] = mapped_column(String(255))


class CalibrationVote(Base):
    """One participant's label for one item; a changed vote replaces the row."""

    __tablename__ = "calibration_votes"

    session_id: Mapped[int] = mapped_column(ForeignKey("calibration_sessions.session_id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    label: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(Text)
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CalibrationResult(Base):
    """The figures of one revealed session, kept for the trend per vendor and queue."""

    __tablename__ = "calibration_results"

    session_id: Mapped[int] = mapped_column(ForeignKey("calibration_sessions.session_id"), primary_key=True)
    vendor: Mapped[str] = mapped_column(String(64), index=True)
    queue: Mapped[str] = mapped_column(String(64), index=True)
    alpha: Mapped[float | None] = mapped_column(Float)
    fleiss: Mapped[float | None] = mapped_column(Float)
    mean_accuracy: Mapped[float | None] = mapped_column(Float)
    items: Mapped[int] = mapped_column(Integer)
    participants: Mapped[int] = mapped_column(Integer)
    revealed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CalibrationDraft(Base):
    """Items read from a CSV file someone sent the bot, kept until they open the form with them: the
    file names no queue, so the references are checked against the queue chosen on submit."""

    __tablename__ = "calibration_drafts"

    draft_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(255), index=True)  # who sent it: only they may use it
    file_name: Mapped[str] = mapped_column(String(255))
    items: Mapped[str] = mapped_column(Text)  # JSON list of {item_id, link, note, reference}
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
