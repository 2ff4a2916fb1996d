"""Who may see and run a cohort, read from the workspace and the database on every path, never from
a payload: admins and trainers run every cohort, a cohort's own trainers run it, a vendor's leads see
their vendor's cohorts, and a labeler sees the cohorts they are in."""

from __future__ import annotations

from bot.context import Context
from bot.roles import Role
from handlers.training.cohort import Cohort

RUNNERS = (Role.ADMIN, Role.TRAINER)
NOT_YOURS = "⛔ That cohort is run by its trainers, admins and the QA trainers."


async def can_run(ctx: Context, cohort: Cohort, user: str) -> bool:
    """Admins, trainers, and the cohort's own trainers change a cohort."""
    return (await ctx.roles()).has(*RUNNERS) or ctx.workspace.normal_user(user) in cohort.trainers


async def can_see(ctx: Context, cohort: Cohort, user: str) -> bool:
    """Runners, the vendor's leads, and the cohort's own members see it."""
    roles = await ctx.roles()
    return (
        await can_run(ctx, cohort, user)
        or cohort.vendor in roles.lead_of
        or cohort.member(ctx.workspace.normal_user(user)) is not None
    )
