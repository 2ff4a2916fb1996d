"""Who a chat user is in the queue data: their labeler ID at a vendor, from the quiz roster (`tsqa quiz
roster import`) and the training cohorts' members (`labeler_id` column, roster files; the cohort's vendor).

Read by appeals (a labeler's own audited decisions). An identity is the pair (labeler ID, vendor): two
vendors may number their labelers alike, and one vendor's audits are never another's. A pair the sources
give to different people is ambiguous and belongs to nobody here: showing one person another's audits,
or letting them appeal them, is worse than asking a QA lead to fix the roster.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select

from storage.engine import Database
from storage.models.quiz import QuizRosterEntry
from storage.models.training import TrainingCohort, TrainingMember

Identity = tuple[str, str]  # (labeler ID, vendor)


async def _held(
    db: Database, users: Iterable[str] | None = None, labeler_ids: Iterable[str] | None = None
) -> set[tuple[str, Identity]]:
    """(user, identity) pairs the rosters hold, for these users and/or labeler IDs (None: everyone)."""
    roster = select(QuizRosterEntry.user_id, QuizRosterEntry.labeler_id, QuizRosterEntry.vendor)
    cohorts = select(TrainingMember.user_id, TrainingMember.labeler_id, TrainingCohort.vendor).join(
        TrainingCohort, TrainingCohort.cohort_id == TrainingMember.cohort_id
    )
    roster = roster.where(QuizRosterEntry.labeler_id.is_not(None), QuizRosterEntry.labeler_id != "")
    cohorts = cohorts.where(TrainingMember.labeler_id.is_not(None), TrainingMember.labeler_id != "")
    if users is not None:
        wanted = list(users)
        roster = roster.where(QuizRosterEntry.user_id.in_(wanted))
        cohorts = cohorts.where(TrainingMember.user_id.in_(wanted))
    if labeler_ids is not None:
        ids = list(labeler_ids)
        roster = roster.where(QuizRosterEntry.labeler_id.in_(ids))
        cohorts = cohorts.where(TrainingMember.labeler_id.in_(ids))
    found: set[tuple[str, Identity]] = set()
    async with db.transaction() as session:
        for query in (roster, cohorts):
            found |= {
                (user, (labeler_id, vendor))
                for user, labeler_id, vendor in (await session.execute(query)).all()
            }
    return found


async def _holders(db: Database, identities: Iterable[Identity]) -> dict[Identity, set[str]]:
    wanted = set(identities)
    held: dict[Identity, set[str]] = defaultdict(set)
    # Only the rows of these IDs: a home tab opened must not read the whole roster.
    for user, identity in await _held(db, labeler_ids={labeler_id for labeler_id, _ in wanted}):
        if identity in wanted:
            held[identity].add(user)
    return held


async def owners(db: Database) -> dict[str, set[Identity]]:
    """Every user → the identities only they hold (the weekly DM's recipients)."""
    held: dict[Identity, set[str]] = defaultdict(set)
    for user, identity in await _held(db):
        held[identity].add(user)
    mine: dict[str, set[Identity]] = defaultdict(set)
    for identity, users in held.items():
        if len(users) == 1:
            mine[next(iter(users))].add(identity)
    return dict(mine)


async def identities_of(db: Database, user: str) -> tuple[set[Identity], set[Identity]]:
    """(this person's identities, those of them someone else also holds): only the first set minus the
    second is theirs to see."""
    mine = {identity for _, identity in await _held(db, [user])}
    if not mine:
        return set(), set()
    holders = await _holders(db, mine)
    return mine, {identity for identity in mine if holders.get(identity, set()) != {user}}
