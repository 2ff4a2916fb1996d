"""Escalation rows as the escalation capability stores them, for tests that read them (the report,
the CLI, the digest): one factory, so a new column is added in one place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from storage.models.escalation import Escalation

OPENED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def escalation(
    number: int,
    *,
    opened: datetime = OPENED,
    ack: float | None = None,
    resolve: float | None = None,
    **fields: Any,  # noqa: ANN401
) -> Escalation:
    """Acknowledged `ack` and resolved `resolve` minutes after it was opened; the status follows
    unless `fields` say otherwise, as they may for any column."""
    acked = opened + timedelta(minutes=ack) if ack is not None else None
    resolved = opened + timedelta(minutes=resolve) if resolve is not None else None
    vendor = fields.get("vendor", "northwind")
    row: dict[str, Any] = dict(
        number=number, opened_key=f"test-{number}", queue="hate-en", vendor=vendor,
        site="lisbon" if vendor == "northwind" else None, platform="labelling-tool", severity="SEV2",
        title="Images do not load in the review tool", description="Thumbnails stay grey for every item.",
        impact="Labelers skip items.", reporter="U0QALEAD1",
        status="resolved" if resolved else "acknowledged" if acked else "open",
        generation=0, opened_at=opened, since_at=opened, first_acknowledged_at=acked,
        acknowledged_at=acked, resolved_at=resolved, updates=0, channel="C0ESCAL01",
    )  # fmt: skip
    row.update(fields)
    return Escalation(**row)
