"""Audit sampling: each queue's daily draw (once per queue and day), the decisions it drew, the lots
judged from the audits that came back, and where each vendor's queue stands in the switching rules.

A draw is stored with the plan it used (inspection, AQL, level, Ac/Re), so the lot is judged by the
plan it was drawn under even after the settings or the inspection change. Drawn items keep the decision
as it was drawn, so a second run writes the same auditor file. Lots are recorded once per (queue, day)
and applied to the state in order of day.
"""

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class SamplingDraw(Base):
    __tablename__ = "sampling_draws"

    queue: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # workspace-local day of the decisions
    vendor: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(BigInteger)
    inspection: Mapped[str] = mapped_column(String(16))  # normal, tightened, reduced
    aql: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(8))
    lot_size: Mapped[int] = mapped_column(Integer)  # the day's decisions on the queue
    sample_size: Mapped[int] = mapped_column(Integer)  # the plan's
    accept: Mapped[int] = mapped_column(Integer)
    reject: Mapped[int] = mapped_column(Integer)
    drawn: Mapped[int] = mapped_column(Integer)  # how many decisions were drawn (minimums may add)
    summary: Mapped[str] = mapped_column(
        Text
    )  # JSON: the plan's note, the draw's notes, each labeler's share
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    posted_ts: Mapped[str | None] = mapped_column(String(255))  # the summary in the sampling channel


class SamplingDrawnItem(Base):
    """One decision in a day's sample, by its key; who decided and what, never the item's content."""

    __tablename__ = "sampling_drawn_items"

    queue: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    item_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    completed_us: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    labeler_id: Mapped[str] = mapped_column(String(128))
    decision: Mapped[str | None] = mapped_column(String(128))


class SamplingLot(Base):
    """A drawn day judged once its audits came back: nonconforming = audited and disagreeing."""

    __tablename__ = "sampling_lots"

    queue: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    vendor: Mapped[str] = mapped_column(String(64))
    inspection: Mapped[str] = mapped_column(String(16))  # the plan the lot was drawn under
    sample: Mapped[int] = mapped_column(Integer)
    audited: Mapped[int] = mapped_column(Integer)
    nonconforming: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[bool] = mapped_column(Boolean)
    change: Mapped[str | None] = mapped_column(Text)  # JSON Change when this lot switched the inspection
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SamplingState(Base):
    """Where one vendor's queue stands in ISO 2859-1's switching rules (switching.SwitchState)."""

    __tablename__ = "sampling_states"

    vendor: Mapped[str] = mapped_column(String(64), primary_key=True)
    queue: Mapped[str] = mapped_column(String(64), primary_key=True)
    inspection: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)
    recent: Mapped[str] = mapped_column(Text)  # JSON [[lot, accepted], …]
    accepted_run: Mapped[int] = mapped_column(Integer)
    not_accepted: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
