"""Reveal now and "Post the results again": the facilitator's (or an admin's) buttons that move the
reveal to now, and post the results again when the channel refused them. Both only schedule a timer,
so a double click, or two replicas, do the work once."""

from __future__ import annotations

import re

from bot import timers
from bot.chat.events import Action
from bot.chat.model import Message, channel, md
from bot.context import Context
from handlers.calibration import lifecycle, store
from handlers.calibration import results_views as rv
from handlers.calibration import views as v
from storage import claims


async def reveal_button(ctx: Context, action: Action) -> None:
    """Reveal now (the facilitator or an admin): the votes freeze at once, and the due timer is moved
    to now to post the results (once, whichever replica takes it)."""
    row = await store.get(ctx.db, int(action.value)) if action.value.isdigit() else None
    if row is None:
        await ctx.respond(Message.text(v.VOTE_SAID["unknown"]))
        return
    person = ctx.workspace.normal_user(action.user)
    if person != row.facilitator and not (await ctx.roles()).is_admin:
        await ctx.respond(Message.text("⛔ Only the facilitator or an admin can reveal this session."))
        return
    _, revealed = await store.reveal(ctx.db, row.session_id, ctx.now(), person)
    if not revealed:
        await _revealed_already(ctx, row.session_id)
        return
    await claims.reschedule(ctx.db, lifecycle.reveal_key(row.session_id), ctx.now())
    ctx.later(timers.run_due(ctx.services, ctx.services.timers), "calibration reveal")


async def _revealed_already(ctx: Context, sid: int) -> None:
    """Revealed: said so, and where its results never reached the channel, the way to post them."""
    row = await store.get(ctx.db, sid)
    said = md("{} is revealed already.", v.session_id(sid))
    if row is None or row.reveal_ts:
        await ctx.respond(Message.text(said))
        return
    attempt = await store.post_attempts(ctx.db, lifecycle.post_prefix(sid)) + 1
    why = said + md(" Its results are not in {} yet.", channel(row.channel))
    await ctx.respond(rv.results_not_posted(row, why, attempt))


async def repost_button(ctx: Context, action: Action) -> None:
    """Post the results again (the facilitator or an admin): a timer for this attempt, so a second
    click on the same button finds it scheduled and posts nothing more."""
    found = re.fullmatch(r"(\d{1,9})\|(\d{1,4})", action.value or "")
    row = await store.get(ctx.db, int(found.group(1))) if found else None
    if found is None or row is None:
        await ctx.respond(Message.text(v.VOTE_SAID["unknown"]))
        return
    person = ctx.workspace.normal_user(action.user)
    if person != row.facilitator and not (await ctx.roles()).is_admin:
        await ctx.respond(Message.text("⛔ Only the facilitator or an admin can post these results."))
        return
    sid, attempt = row.session_id, int(found.group(2))
    if row.status != store.REVEALED:
        await ctx.respond(Message.text(md("{} is not revealed yet.", v.session_id(sid))))
        return
    if row.reveal_ts:
        await ctx.respond(Message.text(md("The results of {} are posted already.", v.session_id(sid))))
        return
    now = ctx.now()
    payload = {"session": sid, "attempt": attempt}
    if not await claims.schedule(
        ctx.db, lifecycle.post_key(sid, attempt), lifecycle.POST_KIND, now, now, payload
    ):
        await ctx.respond(Message.text("That try was made already: wait for its outcome."))
        return
    await ctx.respond(
        Message.text(md("Posting the results of {} in {} again…", v.session_id(sid), channel(row.channel)))
    )
    ctx.later(timers.run_due(ctx.services, ctx.services.timers), "calibration post")
