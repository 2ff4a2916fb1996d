"""Training cohorts: a class of new labelers at one vendor site, laid out from a plan template.

`created_key` is what the creating means (the opened form's token, or the import file's cohort), so a
double submit or a second import makes one cohort. `plan` is the template as it was (JSON), so editing
the file later never reshapes a running class. Each session keeps its own times and `sequence`, which
goes up when it moves: calendar files carry it, so Outlook and Google update the event in place.
Attendance is one row per person and session: a check-in inserts it once, a trainer's mark replaces it.
"""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class TrainingCohort(Base):
    __tablename__ = "training_cohorts"

    cohort_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_key: Mapped[str] = mapped_column(String(255), unique=True)
    vendor: Mapped[str] = mapped_column(String(64), index=True)
    site: Mapped[str] = mapped_column(String(64))
    queues: Mapped[str] = mapped_column(Text)  # JSON list of queue ids
    plan_name: Mapped[str] = mapped_column(String(200))
    plan: Mapped[str] = mapped_column(Text)  # the Plan as JSON, as it was when the cohort was made
    start: Mapped[date] = mapped_column(Date)
    target: Mapped[date] = mapped_column(Date)
    channel: Mapped[str | None] = mapped_column(String(255))
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), index=True)  # active, closed
    moves: Mapped[int] = mapped_column(Integer, default=0)  # how many moves so far: names each move's notices


class TrainingSession(Base):
    __tablename__ = "training_sessions"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("training_cohorts.cohort_id"), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(80), primary_key=True)  # module id + occurrence
    position: Mapped[int] = mapped_column(Integer)  # order in the plan
    module_id: Mapped[str] = mapped_column(String(64))
    occurrence: Mapped[int] = mapped_column(Integer)
    parts: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sequence: Mapped[int] = mapped_column(Integer, default=0)


class TrainingMember(Base):
    __tablename__ = "training_members"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("training_cohorts.cohort_id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # trainer, labeler
    labeler_id: Mapped[str | None] = mapped_column(String(255))  # their ID in the queue data
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TrainingAttendance(Base):
    __tablename__ = "training_attendance"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("training_cohorts.cohort_id"), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # present, absent, excused
    marked_by: Mapped[str] = mapped_column(String(255))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(500))
