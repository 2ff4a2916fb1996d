"""Escalations: a system or platform problem raised to R&D and the BPO contacts, followed until fixed.

`number` is the ESC number people quote. `opened_key` is what the raising means (the form that was
opened), so a double submit or a retry opens one escalation. `generation` counts reopenings: an
acknowledgement, a resolution and the reminders belong to one generation, so a reopened escalation
is acknowledged and chased afresh. Every change is also a row of `escalation_events`, the timeline
that the detail view and the MTTA/MTTR report read.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class Escalation(Base):
    __tablename__ = "escalations"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    opened_key: Mapped[str] = mapped_column(String(255), unique=True)
    queue: Mapped[str | None] = mapped_column(String(64), index=True)
    vendor: Mapped[str | None] = mapped_column(String(64))
    site: Mapped[str | None] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    impact: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(1000))
    reporter: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), index=True)  # open, acknowledged, resolved
    generation: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    since_at: Mapped[datetime] = mapped_column(UTCDateTime)  # opened or last reopened: the chase starts
    first_acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    owner: Mapped[str | None] = mapped_column(String(255))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(255))
    resolution: Mapped[str | None] = mapped_column(Text)
    cause: Mapped[str | None] = mapped_column(String(32))
    updates: Mapped[int] = mapped_column(Integer, default=0)
    # The timeline event whose reminders are current: a reminder scheduled by an earlier change
    # (before a severity change, an update, a reopening) finds it moved on and does nothing.
    chased_by: Mapped[int | None] = mapped_column(Integer)
    last_update: Mapped[str | None] = mapped_column(Text)
    last_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_update_by: Mapped[str | None] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(255))
    ts: Mapped[str | None] = mapped_column(String(255))  # the top message, once posted
    source_channel: Mapped[str | None] = mapped_column(String(255))  # "Escalate this message"
    source_ts: Mapped[str | None] = mapped_column(String(255))


class EscalationEvent(Base):
    """One step of an escalation's timeline: opened, acknowledged, update, severity, resolved,
    reopened, reminded, paged, nudged."""

    __tablename__ = "escalation_events"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[int] = mapped_column(ForeignKey("escalations.number"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    user: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[str] = mapped_column(Text, default="")


class DirectoryContact(Base):
    """People for one role of one platform or vendor, imported by `tsqa contacts import`: where a row
    exists it replaces the workspace file's list for that role. `people` is a JSON list of references."""

    __tablename__ = "directory_contacts"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)  # platform, vendor
    scope_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    people: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(255))
