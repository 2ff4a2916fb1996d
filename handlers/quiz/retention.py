"""Retention: how much of what labelers missed in a topic they likely remember now, overall and per
vendor, from their spaced-review cards (the FSRS scheduler's own retrievability formula). Shown in
the quiz report; a vendor lead's report counts only their vendor's people."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from fsrs import Card
from sqlalchemy import select

from handlers.quiz.review import SCHEDULER
from storage.engine import Database
from storage.models import QuizReviewCard

if TYPE_CHECKING:
    from handlers.quiz.report import Placements

UNKNOWN = "unknown"


@dataclass(frozen=True)
class RetentionGroup:
    cards: int
    people: int
    mean: float  # FSRS retrievability now, averaged over the cards


@dataclass(frozen=True)
class Retention:
    topic_id: str
    overall: RetentionGroup | None  # None: nobody (in scope) has missed anything in this topic
    vendors: dict[str, RetentionGroup]

    def as_dict(self) -> dict:
        return {
            "topic": self.topic_id,
            "overall": asdict(self.overall) if self.overall else None,
            "vendors": {v: asdict(g) for v, g in sorted(self.vendors.items())},
        }


def _group(values: list[tuple[str, float]]) -> RetentionGroup:
    return RetentionGroup(len(values), len({u for u, _ in values}), sum(r for _, r in values) / len(values))


async def retention(
    db: Database,
    topic_id: str,
    *,
    now: datetime,
    placement: Placements | None = None,
    vendor: str | None = None,
) -> Retention:
    """Each card's retrievability at `now`, averaged per topic and per vendor (people with no known
    vendor under "unknown"). With `vendor`, only that vendor's people count, overall too."""
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(QuizReviewCard.user_id, QuizReviewCard.card).where(QuizReviewCard.topic_id == topic_id)
            )
        ).all()
    now = now.astimezone(UTC)
    users = sorted({r.user_id for r in rows})
    placed = await placement(users) if placement else {}
    vendor_of = {u: (placed.get(u) or (None, None))[0] or UNKNOWN for u in users}
    values = [
        (r.user_id, SCHEDULER.get_card_retrievability(Card.from_json(r.card), now))
        for r in rows
        if vendor is None or vendor_of[r.user_id] == vendor
    ]
    per_vendor: dict[str, list[tuple[str, float]]] = {}
    for user, value in values:
        per_vendor.setdefault(vendor_of[user], []).append((user, value))
    return Retention(
        topic_id, _group(values) if values else None, {v: _group(g) for v, g in per_vendor.items()}
    )
