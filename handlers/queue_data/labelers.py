"""Who a chat user is in the queue data: their labeler ID, from the quiz roster (`tsqa quiz roster
import`) and the training cohorts' members (`labeler_id` column, roster files).

Read by training (nesting quality) and appeals (a labeler's own audited decisions). A labeler ID that the
two sources give to different people is ambiguous and belongs to nobody here: showing one person another's
audits, or letting them appeal them, is worse than asking a QA lead to fix the roster.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select

from storage.engine import Database
from storage.models.quiz import QuizRosterEntry
from storage.models.training import TrainingMember


async def _pairs(
    db: Database, *, users: Iterable[str] = (), labeler_ids: Iterable[str] = ()
) -> set[tuple[str, str]]:
    """(user, labeler ID) pairs either source holds for these users or these labeler IDs."""
    users, labeler_ids = list(users), list(labeler_ids)
    found: set[tuple[str, str]] = set()
    async with db.transaction() as session:
        for model in (QuizRosterEntry, TrainingMember):
            user, ids = model.user_id, model.labeler_id  # type: ignore[attr-defined]
            query = select(user, ids).where(ids.is_not(None), ids != "")
            wanted = [(user, users), (ids, labeler_ids)]
            for column, values in wanted:
                if values:
                    rows = (await session.execute(query.where(column.in_(values)))).all()
                    found |= {(row[0], row[1]) for row in rows}
    return found


async def owners(db: Database, labeler_ids: Iterable[str]) -> dict[str, str]:
    """labeler ID → the one chat user it belongs to; IDs held by nobody or by several people are left out."""
    held: dict[str, set[str]] = defaultdict(set)
    for user, labeler_id in await _pairs(db, labeler_ids=labeler_ids):
        held[labeler_id].add(user)
    return {labeler_id: next(iter(users)) for labeler_id, users in held.items() if len(users) == 1}


async def labeler_ids_of(db: Database, user: str) -> tuple[set[str], set[str]]:
    """(this person's labeler IDs, those of them someone else also holds): only the first set minus the
    second is theirs to see."""
    mine = {labeler_id for _, labeler_id in await _pairs(db, users=[user])}
    if not mine:
        return set(), set()
    owned = await owners(db, mine)
    return mine, {labeler_id for labeler_id in mine if owned.get(labeler_id) != user}
