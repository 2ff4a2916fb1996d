"""Appeals: a labeler disputes one audited verdict; someone other than the auditor upholds or overturns it.

One appeal per decision, ever (the unique key is the decision's own key), so a double submit, a retry or
a second replica files it once. The decision's labels and auditor are copied in at filing: the report and
the review thread read them without the raw rows, which expire. An overturn never rewrites the ingested
row: readers join `final_label` over `qa_decision` (storage/queue_data.py), and the daily blocks take the
difference once, in the transaction that decides (handlers/queue_data/corrections.py).
"""

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime

OPEN, UPHELD, OVERTURNED = "open", "upheld", "overturned"


class Appeal(Base):
    __tablename__ = "appeals"

    appeal_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The decision appealed, by its key in `decisions`.
    completed_us: Mapped[int] = mapped_column(BigInteger)
    queue: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str] = mapped_column(String(128))
    labeler_id: Mapped[str] = mapped_column(String(128))
    vendor: Mapped[str] = mapped_column(String(64))
    site: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(String(128))  # the labeler's label
    qa_decision: Mapped[str] = mapped_column(String(128))  # the audit's label, as appealed
    qa_auditor: Mapped[str | None] = mapped_column(String(128))
    audited_at: Mapped[datetime] = mapped_column(UTCDateTime)  # where the appeal window started
    # The filing.
    user_id: Mapped[str] = mapped_column(String(255))  # the labeler's chat user
    reason: Mapped[str] = mapped_column(Text)
    policy_section: Mapped[str] = mapped_column(String(200))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the review-time target
    thread_channel: Mapped[str | None] = mapped_column(String(255))
    thread_ts: Mapped[str | None] = mapped_column(String(255))
    # The review.
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    reviewer: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    final_label: Mapped[str | None] = mapped_column(String(128))  # set on overturn: the reviewer's label
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the daily figures took the overturn

    __table_args__ = (
        UniqueConstraint("completed_us", "queue", "item_id"),
        Index("ix_appeals_status", "status"),
        Index("ix_appeals_filed_at", "filed_at"),
    )
