"""Who has done what: the assignments a person still has, everyone's progress on a topic by vendor
and site, and `/quiz status TOPIC` (trainers and admins see everyone, a vendor lead their vendors)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from bot.chat.events import Command
from bot.chat.model import Message, command, md
from bot.context import Context
from bot.roles import Role
from bot.routing import UsageError
from handlers.quiz import assign_views, store
from handlers.quiz.people import Placement, placements_for
from storage.engine import Database
from storage.models import QuizAssignment, QuizAttempt


@dataclass(frozen=True)
class Progress:
    user: str
    assigned: bool
    due: date | None
    finished: bool
    passed: bool


async def pending(db: Database, user_id: str) -> list[tuple[str, date | None]]:
    """The topics assigned to a person they have not passed yet, soonest due first."""
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(QuizAssignment.topic_id, QuizAssignment.due).where(
                    QuizAssignment.user_id == user_id, QuizAssignment.passed_at.is_(None)
                )
            )
        ).all()
    return sorted(((topic, due) for topic, due in rows), key=lambda row: (row[1] is None, row[1] or date.max))


async def progress(db: Database, topic_id: str) -> list[Progress]:
    """Everyone assigned the topic or who has taken it: finished an attempt, passed it."""
    async with db.transaction() as session:
        assigned = (
            await session.scalars(select(QuizAssignment).where(QuizAssignment.topic_id == topic_id))
        ).all()
        tried = (
            await session.execute(
                select(QuizAttempt.user_id, QuizAttempt.passed).where(
                    QuizAttempt.topic_id == topic_id,
                    QuizAttempt.kind == "quiz",
                    QuizAttempt.finished_at.is_not(None),
                )
            )
        ).all()
    finished: dict[str, bool] = defaultdict(bool)
    for user_id, passed in tried:
        finished[user_id] |= bool(passed)
    rows = {
        a.user_id: Progress(
            a.user_id, True, a.due, a.user_id in finished, a.passed_at is not None or finished[a.user_id]
        )
        for a in assigned
    }
    for user_id, passed in finished.items():
        rows.setdefault(user_id, Progress(user_id, False, None, True, passed))
    return sorted(rows.values(), key=lambda p: p.user)


Group = tuple[str | None, str | None]


def by_placement(rows: list[Progress], placed: dict[str, Placement]) -> dict[Group, list[Progress]]:
    """Rows per (vendor, site), known vendors first, unknown last."""
    groups: dict[Group, list[Progress]] = defaultdict(list)
    for row in rows:
        where = placed.get(row.user, Placement())
        groups[(where.vendor, where.site)].append(row)
    return dict(sorted(groups.items(), key=lambda kv: (kv[0][0] is None, kv[0][0] or "", kv[0][1] or "")))


async def status_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/quiz status TOPIC`: trainers and admins see everyone, a vendor lead their own vendors."""
    roles = await ctx.roles()
    if not roles.has(Role.TRAINER, Role.ADMIN, Role.VENDOR_LEAD):
        await ctx.respond(Message.text("⛔ `/quiz status` is for trainers, admins and vendor leads."))
        return
    if len(args) != 1:
        raise UsageError(md("Name one topic: `{}`", command("quiz status TOPIC")))
    async with ctx.db.transaction() as session:
        topic = await store.topic(session, args[0].lower())
    if topic is None:
        await ctx.respond(Message.text(md("⛔ I know no quiz `{}`. `/quiz` lists them.", args[0])))
        return
    rows = [r for r in await progress(ctx.db, topic.id) if r.assigned]
    placed = await placements_for(ctx.services, [r.user for r in rows])
    if not roles.has(Role.TRAINER, Role.ADMIN):
        rows = [r for r in rows if placed[r.user].vendor in roles.lead_of]
    await ctx.respond(assign_views.status_message(ctx.workspace, topic, by_placement(rows, placed)))
