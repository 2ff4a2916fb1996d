"""Who may raise, see and work an escalation: from the workspace file and the imported directory,
never from a payload. Admins and trainers see all; a platform's R&D people see and work its
escalations; a vendor's leads and contacts see (and update) their vendor's; the reporter and the
owner always see and work their own."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, true

from bot.context import Context
from bot.roles import Role
from handlers.escalate import directory
from storage.models.escalation import Escalation

RAISERS = "admins, trainers, R&D on-call and vendor leads or contacts"


@dataclass(frozen=True)
class Scope:
    """One person's reach over escalations, worked out once per request (the directory read once)."""

    user: str
    admin: bool
    everything: bool  # admins and trainers see every escalation
    platforms: frozenset[str]  # where they are R&D (tier 1 or 2)
    vendors: frozenset[str]  # where they are a lead or a contact

    def sees(self, esc: Escalation) -> bool:
        return self.everything or self.works(esc) or (esc.vendor or "") in self.vendors

    def works(self, esc: Escalation) -> bool:
        """Acknowledge, change severity, resolve, reopen."""
        return self.admin or self.user in (esc.reporter, esc.owner) or esc.platform in self.platforms

    def where(self) -> ColumnElement[bool]:
        """`sees` as SQL, so a list is cut to its newest rows after the scope, not before."""
        if self.everything:
            return true()
        return or_(
            Escalation.reporter == self.user,
            Escalation.owner == self.user,
            Escalation.platform.in_(sorted(self.platforms)),
            Escalation.vendor.in_(sorted(self.vendors)),
        )


async def scope(ctx: Context) -> Scope:
    roles = await ctx.roles()
    ws, user = ctx.workspace, roles.user
    rows = await directory.imported(ctx.services)
    platforms = set()
    for platform in ws.platforms:
        reach = await directory.reach(ctx.services, platform.id, None, rows)
        if user in reach.tier1 or user in reach.tier2:
            platforms.add(platform.id)
    vendors = set(roles.lead_of)
    for vendor in ws.vendors:
        reach = await directory.reach(ctx.services, "", vendor.id, rows)
        if user in reach.contact_people:
            vendors.add(vendor.id)
    everything = roles.has(Role.ADMIN, Role.TRAINER)
    return Scope(user, roles.is_admin, everything, frozenset(platforms), frozenset(vendors))


async def raisable_queues(ctx: Context, found: Scope | None = None) -> list[str] | None:
    """The queues this person may raise an escalation on; None when they may not raise at all
    (a list, possibly empty, means they may raise, on those queues or on no queue)."""
    mine = found or await scope(ctx)
    every = [q.id for q in ctx.workspace.queues]
    if mine.everything or mine.platforms:
        return every
    if not mine.vendors:
        return None
    return [q.id for q in ctx.workspace.queues if q.vendor in mine.vendors]


async def can_work(ctx: Context, esc: Escalation) -> bool:
    return (await scope(ctx)).works(esc)


async def can_see(ctx: Context, esc: Escalation) -> bool:
    """See it in lists and details, and post updates to it."""
    return (await scope(ctx)).sees(esc)
