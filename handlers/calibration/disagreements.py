"""Items picked from the audited disagreements: "the items we disagree on most".

The audited decisions of one queue over a period where the labeler's decision and QA's differ,
spread over that queue's most frequent error pairs (labeler label → QA label) so a session covers the
confusions that matter most rather than twenty cases of one. QA's decision is the reference: the
reviewer's where an appeal overturned it (a verdict overturned to agree is no disagreement). Neither
decision goes into the note: the session is blind, and the note would give the answer away.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select

from handlers.calibration.items import ITEM_ID_MAX, ItemDraft
from storage.engine import Database
from storage.models import Decision
from storage.models.appeals import OVERTURNED, Appeal

DEFAULT_COUNT = 10
DEFAULT_DAYS = 28
READ_AT_MOST = 20_000  # newest audited disagreements read per queue: plenty to spread over the pairs


@dataclass(frozen=True)
class Disagreement:
    item_id: str
    decision: str
    qa_decision: str
    completed_us: int


def pick(
    found: Sequence[Disagreement], count: int, labels: Sequence[str], focus: tuple[str, str] | None = None
) -> list[ItemDraft]:
    """`count` items, taken in turn from each error pair, the most frequent pair first and the newest
    item of each pair first; an item decided twice counts once (its newest audit). With a `focus`
    pair (a recommendation's), two thirds come from it and the rest from the other pairs, so the
    session is not one answer repeated."""
    newest: dict[str, Disagreement] = {}
    for row in sorted(found, key=lambda r: r.completed_us, reverse=True):
        if row.decision == row.qa_decision or row.qa_decision not in labels:
            continue
        if len(row.item_id) <= ITEM_ID_MAX:
            newest.setdefault(row.item_id, row)
    by_pair: dict[tuple[str, str], list[Disagreement]] = {}
    for row in newest.values():  # newest first, as inserted
        by_pair.setdefault((row.decision, row.qa_decision), []).append(row)
    picked: list[ItemDraft] = []
    if focus is not None and focus in by_pair:
        chosen = by_pair.pop(focus)[: max(1, (2 * count + 2) // 3)]
        picked += [ItemDraft(row.item_id, reference=focus[1]) for row in chosen]
    sizes = Counter({pair: len(rows) for pair, rows in by_pair.items()})
    pairs = sorted(by_pair, key=lambda pair: (-sizes[pair], pair))
    depth = 0
    while len(picked) < count and any(depth < len(by_pair[p]) for p in pairs):
        for pair in pairs:
            if depth < len(by_pair[pair]) and len(picked) < count:
                picked.append(ItemDraft(by_pair[pair][depth].item_id, reference=pair[1]))
        depth += 1
    return picked


async def audited_disagreements(db: Database, queue: str, now: datetime, days: int) -> list[Disagreement]:
    """The queue's audited decisions of the last `days` days where labeler and QA differ, newest first."""
    start_us = int((now - timedelta(days=days)).timestamp() * 1_000_000)
    end_us = int(now.timestamp() * 1_000_000)
    overturned = and_(
        Appeal.completed_us == Decision.completed_us,
        Appeal.queue == Decision.queue,
        Appeal.item_id == Decision.item_id,
        Appeal.status == OVERTURNED,
        Appeal.corrected_at.is_not(None),  # as every read of the decisions joins it
    )
    reference = func.coalesce(Appeal.final_label, Decision.qa_decision)
    query = (
        select(Decision.item_id, Decision.decision, reference.label("qa_decision"), Decision.completed_us)
        .outerjoin(Appeal, overturned)
        .where(
            Decision.queue == queue,
            Decision.completed_us >= start_us,
            Decision.completed_us < end_us,
            Decision.qa_decision.is_not(None),
            Decision.decision.is_not(None),
            Decision.decision != reference,
        )
        .order_by(Decision.completed_us.desc())
        .limit(READ_AT_MOST)
    )
    async with db.transaction() as session:
        rows = (await session.execute(query)).all()
    return [Disagreement(r.item_id, r.decision, r.qa_decision, r.completed_us) for r in rows]


async def pick_from_audits(
    db: Database,
    queue: str,
    labels: Sequence[str],
    now: datetime,
    count: int,
    days: int,
    focus: tuple[str, str] | None = None,
) -> list[ItemDraft]:
    return pick(await audited_disagreements(db, queue, now, days), count, labels, focus)
