"""The policy library: every loaded version of every policy, and its sections.

A version is never changed in place: a changed file becomes a new version row, so answers, diffs and
cascades can name exactly what was in effect. `digest` makes reloading an unchanged file a no-op.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class PolicyVersion(Base):
    """One version of one policy as read from its file; `version_id` grows in load order."""

    __tablename__ = "policy_versions"

    version_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    effective: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(Text)
    owners: Mapped[list[Any]] = mapped_column(JSON)  # people or group:<id>
    applies_to: Mapped[list[Any]] = mapped_column(JSON)  # queue or vendor ids; empty: everywhere
    link: Mapped[str | None] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the file's bytes
    source: Mapped[str] = mapped_column(Text)  # the file name it was loaded from
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("policy_id", "version"),)


class PolicySection(Base):
    """One section of one version, in file order."""

    __tablename__ = "policy_sections"

    version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.version_id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    anchor: Mapped[str] = mapped_column(Text)
    heading: Mapped[str] = mapped_column(Text)
    level: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    line: Mapped[int] = mapped_column(Integer)
