"""The home tab's training section: the cohorts this person may see (as `/training` lists them) and,
for someone in a cohort, their next session."""

from __future__ import annotations

from bot.chat.model import Part, Text, command, md
from bot.context import Context
from bot.roles import Role
from handlers.training import lifecycle, store
from handlers.training.views import session_line

SHOWN = 5


async def home(ctx: Context) -> list[Part]:
    roles = await ctx.roles()
    person = ctx.workspace.normal_user(roles.user)
    if roles.has(Role.ADMIN, Role.TRAINER):
        rows = await store.listing(ctx.db)
    else:
        rows = await store.listing(ctx.db, vendors=sorted(roles.lead_of), member=person)
    if not rows:
        return []
    lines = [
        md("*{}* · {} · {} labelers · go-live target {:%d %b}", r.name, r.vendor, r.labelers, r.target)
        for r in rows[:SHOWN]
    ]
    if len(rows) > SHOWN:
        lines.append(md("… and {} more: {}", len(rows) - SHOWN, command("training")))
    parts: list[Part] = [Text(md("*Training cohorts*\n{}", md("\n").join(lines)))]
    now = ctx.now()
    for row in rows[:SHOWN]:
        cohort = await lifecycle.load(ctx.services, row.id)
        if cohort is None or cohort.member(person) is None:
            continue
        upcoming = next((s for s in cohort.sessions if s.end > now), None)
        if upcoming is not None:
            parts.append(Text(md("Your next session in *{}*: {}", cohort.name, session_line(upcoming))))
    return parts
