"""The attendance buttons: a labeler's Check in (once per person and session, in the session's window)
and a trainer's Present/Absent/Excused on the roll call, which then shows what is stored. Who may press
is read from the cohort in the database, never from the button's value."""

from __future__ import annotations

from datetime import timedelta

from bot.chat.events import Action
from bot.chat.model import Message, MessageRef, md
from bot.context import Context
from handlers.training import attendance, lifecycle
from handlers.training import views as v
from handlers.training.access import NOT_YOURS, can_run


def _pair(value: str) -> tuple[int, str] | None:
    cohort_id, _, session_id = (value or "").partition("|")
    return (int(cohort_id), session_id.split("|")[0]) if cohort_id.isdigit() and session_id else None


async def check_in_button(ctx: Context, action: Action) -> None:
    """Recorded once per person and session, during the session window, for the cohort's labelers only."""
    found = _pair(action.value)
    cohort = await lifecycle.load(ctx.services, found[0]) if found else None
    session = cohort.session(found[1]) if cohort and found else None
    person = ctx.workspace.normal_user(action.user)
    member = cohort.member(person) if cohort else None
    if cohort is None or session is None or member is None or member.role != "labeler":
        await ctx.respond(Message.text("⛔ That check-in is for the cohort's labelers."))
        return
    if cohort.status != "active":
        await ctx.respond(Message.text(md("⛔ Cohort *{}* is closed.", cohort.name)))
        return
    if not cohort.attended(session):
        await ctx.respond(Message.text("⛔ That session has no check-in."))
        return
    now = ctx.now()
    opens = session.start - timedelta(minutes=ctx.workspace.training.check_in_early)
    if not opens <= now < session.end:
        await ctx.respond(v.check_in_closed(session, opens.astimezone(session.start.tzinfo)))
        return
    mark, recorded = await attendance.check_in(ctx.db, cohort.id, session.id, person, now)
    await ctx.respond(v.checked_in(session, mark, recorded))


async def mark_button(ctx: Context, action: Action) -> None:
    """A trainer marks a labeler present, absent or excused; the roll call shows what is stored."""
    status = action.action.removeprefix(v.MARK)
    parts = (action.value or "").split("|")
    if status not in v.MARK_LABELS or len(parts) != 3 or not parts[0].isdigit():
        await ctx.respond(Message.text("⛔ This button is not one of mine."))
        return
    cohort = await lifecycle.load(ctx.services, int(parts[0]))
    session = cohort.session(parts[1]) if cohort else None
    if cohort is None or session is None or not await can_run(ctx, cohort, action.user):
        await ctx.respond(Message.text(NOT_YOURS))
        return
    member = cohort.member(parts[2])
    if member is None or member.role != "labeler":
        await ctx.respond(Message.text("⛔ That person is not a labeler in this cohort."))
        return
    by = ctx.workspace.normal_user(action.user)
    await attendance.mark(ctx.db, cohort.id, session.id, member.user_id, status, by, ctx.now())  # type: ignore[arg-type]
    marks = await attendance.of_session(ctx.db, cohort.id, session.id)
    message = v.roll_message(cohort, session, marks)
    if action.channel and action.message_ts:
        await ctx.port.update(MessageRef(action.channel, action.message_ts), message)
    else:
        await ctx.respond(message)
