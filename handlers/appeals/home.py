"""The home tab's appeals section: for a reviewer, how many appeals wait; for a labeler, how many of
their audited disagreements they may still appeal. Both read from the database for this person only."""

from __future__ import annotations

from bot.chat.model import Markup, Part, Text, channel, command, md
from bot.context import Context
from handlers.appeals import access, store, window


async def home(ctx: Context) -> list[Part]:
    settings = ctx.workspace.appeals
    if settings is None or ctx.user is None:
        return []
    person = ctx.workspace.normal_user(ctx.user)
    lines: list[Markup] = []
    if person in await access.reviewers(ctx.services) and (waiting := await store.open_count(ctx.db)):
        lines.append(md("{:,} appeal(s) wait for a decision in {}.", waiting, channel(settings.channel)))
    ids = await access.own_ids(ctx.db, person)
    if not isinstance(ids, str):
        since = window.opened_since(ctx.now(), settings, ctx.workspace.tz)
        if still := await store.appealable_count(ctx.db, ids, since):
            lines.append(
                md("You may still appeal {:,} audited decision(s): {}.", still, command("quality mine"))
            )
    return [Text(md("*Appeals*\n{}", md("\n").join(lines)))] if lines else []
