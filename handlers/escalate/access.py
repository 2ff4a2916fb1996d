"""Who may raise, see and work an escalation: from the workspace file and the imported directory,
never from a payload. Admins and trainers see all; a platform's R&D people see and work its
escalations; a vendor's leads and contacts see (and update) their vendor's; the reporter and the
owner always see and work their own."""

from __future__ import annotations

from bot.context import Context
from bot.roles import Role
from handlers.escalate import directory
from storage.models.escalation import Escalation

RAISERS = "admins, trainers, R&D on-call and vendor leads or contacts"


async def rd_people(ctx: Context, platform_id: str) -> set[str]:
    reach = await directory.reach(ctx.services, platform_id, None)
    return set(reach.tier1) | set(reach.tier2)


async def vendor_people(ctx: Context, vendor_id: str) -> set[str]:
    vendor = ctx.workspace.vendor(vendor_id)
    leads = await ctx.services.roles.members(vendor.leads) if vendor else set()
    reach = await directory.reach(ctx.services, "", vendor_id)
    return leads | set(reach.contact_people)


async def _any_rd(ctx: Context, user: str) -> bool:
    for platform in ctx.workspace.platforms:
        if user in await rd_people(ctx, platform.id):
            return True
    return False


async def raisable_queues(ctx: Context) -> list[str] | None:
    """The queues this person may raise an escalation on; None when they may not raise at all
    (a list, possibly empty, means they may raise, on those queues or on no queue)."""
    roles = await ctx.roles()
    every = [q.id for q in ctx.workspace.queues]
    if roles.has(Role.ADMIN, Role.TRAINER) or await _any_rd(ctx, roles.user):
        return every
    vendors = set(roles.lead_of)
    for vendor in ctx.workspace.vendors:
        if roles.user in await vendor_people(ctx, vendor.id):
            vendors.add(vendor.id)
    if not vendors:
        return None
    return [q.id for q in ctx.workspace.queues if q.vendor in vendors]


async def can_work(ctx: Context, esc: Escalation) -> bool:
    """Acknowledge, change severity, resolve, reopen."""
    roles = await ctx.roles()
    if roles.is_admin or roles.user in (esc.reporter, esc.owner):
        return True
    return roles.user in await rd_people(ctx, esc.platform)


async def can_see(ctx: Context, esc: Escalation) -> bool:
    """See it in lists and details, and post updates to it."""
    roles = await ctx.roles()
    if roles.has(Role.TRAINER) or await can_work(ctx, esc):
        return True
    return bool(esc.vendor) and roles.user in await vendor_people(ctx, esc.vendor or "")
