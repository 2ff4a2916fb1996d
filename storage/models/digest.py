"""Queue data: raw decisions (kept for retention_days), daily building blocks (kept for good),
backlog snapshots, posted digests and ingested files.

Times are UTC epoch microseconds: exact, portable between SQLite and PostgreSQL, and cheap to bulk
load; a digest's day boundaries are applied in its own timezone when aggregating.
"""

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, Float, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class Decision(Base):
    """One labeler's completed review; (queue, item_id, completed_us) identifies it across re-ingests.

    The key leads with completed_us: one index serves both de-duplication and day-range reads, and
    time-ordered loads append to it."""

    __tablename__ = "decisions"

    completed_us: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    queue: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    enqueued_us: Mapped[int] = mapped_column(BigInteger)
    labeler_id: Mapped[str] = mapped_column(String(128))
    vendor: Mapped[str] = mapped_column(String(64))
    site: Mapped[str] = mapped_column(String(64))
    handle_seconds: Mapped[float] = mapped_column(Float)
    decision: Mapped[str | None] = mapped_column(String(128))
    qa_decision: Mapped[str | None] = mapped_column(String(128))
    qa_auditor: Mapped[str | None] = mapped_column(String(128))  # an appeal's reviewer must be someone else
    # When the audit was stored (epoch µs): an appeal's window runs from it.
    audited_us: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        # Audited rows only: a labeler's recent audits are a range scan (migration 0016).
        Index(
            "ix_decisions_labeler_audited",
            "labeler_id",
            "audited_us",
            postgresql_where=text("audited_us IS NOT NULL"),
            sqlite_where=text("audited_us IS NOT NULL"),
        ),
        {"sqlite_with_rowid": False},
    )


class _DayKey:
    """The key both daily tables start with: the local day in a timezone, per queue, vendor and site."""

    timezone: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    queue: Mapped[str] = mapped_column(String(64), primary_key=True)
    vendor: Mapped[str] = mapped_column(String(64), primary_key=True)
    site: Mapped[str] = mapped_column(String(64), primary_key=True)


class DailyLabelerOutput(_DayKey, Base):
    """Additive per-day figures per (queue, vendor, site, labeler): every roll-up, distinct labelers
    included, can be rebuilt from these after the raw decisions expire."""

    __tablename__ = "daily_labeler_output"

    labeler_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    output: Mapped[int] = mapped_column(Integer)
    sla_met: Mapped[int] = mapped_column(Integer)
    handle_sum: Mapped[float] = mapped_column(Float)
    audited: Mapped[int] = mapped_column(Integer)
    agreed: Mapped[int] = mapped_column(Integer)


class DailyErrorPair(_DayKey, Base):
    """Audited disagreements per day: (decision given, QA's decision) and how often."""

    __tablename__ = "daily_error_pairs"

    decision: Mapped[str] = mapped_column(String(128), primary_key=True)
    qa_decision: Mapped[str] = mapped_column(String(128), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class BacklogSnapshot(Base):
    __tablename__ = "backlog_snapshots"

    queue: Mapped[str] = mapped_column(String(64), primary_key=True)
    at_us: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    backlog: Mapped[int] = mapped_column(Integer)
    oldest_age_seconds: Mapped[float | None] = mapped_column(Float)


class IngestedFile(Base):
    """A file taken in (or refused) once, by content hash, so a watched folder is not read twice."""

    __tablename__ = "ingested_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(Text)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
