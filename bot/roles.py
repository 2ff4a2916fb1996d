"""Who may do what: admin, trainer, vendor lead (of a vendor) or labeler, from the workspace YAML.

Workspace groups (`group:<id>`) are expanded from the file. Slack usergroup IDs (S…) are expanded
through the chat platform and cached, because membership changes rarely and every command asks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.workspace import Workspace


class Role(StrEnum):
    ADMIN = "admin"
    TRAINER = "trainer"
    VENDOR_LEAD = "vendor_lead"
    LABELER = "labeler"


ROLE_NAMES = {
    Role.ADMIN: "admins (QA leads)",
    Role.TRAINER: "trainers",
    Role.VENDOR_LEAD: "vendor leads",
    Role.LABELER: "everyone",
}


def describe_roles(roles: Iterable[Role]) -> str:
    names = [ROLE_NAMES[r] for r in Role if r in set(roles)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class UserRoles:
    user: str
    roles: frozenset[Role]
    lead_of: frozenset[str] = frozenset()

    def has(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles


GroupLookup = Callable[[str], Awaitable[list[str]]]


class RoleResolver:
    """Resolves a user's roles; platform usergroup membership is cached for `ttl` seconds, and concurrent
    misses for one group share a single lookup (fifty requests at once make one API call)."""

    def __init__(self, workspace: Workspace, group_members: GroupLookup, ttl: float = 300.0):
        self._workspace = workspace
        self._group_members = group_members
        self._ttl = ttl
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._pending: dict[str, asyncio.Future[frozenset[str]]] = {}

    async def _expand(self, ids: Iterable[str]) -> set[str]:
        users: set[str] = set()
        for ident in self._workspace.expand(ids):
            if self._workspace.is_platform_group(ident):
                users |= await self._group(ident)
            else:
                users.add(ident)
        return users

    async def _group(self, group: str) -> frozenset[str]:
        cached = self._cache.get(group)
        if cached and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        if (pending := self._pending.get(group)) is not None:
            return await asyncio.shield(pending)  # one waiter cancelled must not cancel the others
        pending = self._pending[group] = asyncio.ensure_future(self._lookup(group))
        return await asyncio.shield(pending)

    async def _lookup(self, group: str) -> frozenset[str]:
        try:
            members = frozenset(await self._group_members(group))
        finally:
            self._pending.pop(group, None)
        self._cache[group] = (time.monotonic(), members)
        return members

    async def of(self, user: str) -> UserRoles:
        ws = self._workspace
        user = ws.normal_user(user)
        roles = {Role.LABELER}
        if user in await self._expand(ws.admins):
            roles.add(Role.ADMIN)
        if user in await self._expand(ws.trainers):
            roles.add(Role.TRAINER)
        lead_of = frozenset([v.id for v in ws.vendors if user in await self._expand(v.leads)])
        if lead_of:
            roles.add(Role.VENDOR_LEAD)
        return UserRoles(user=user, roles=frozenset(roles), lead_of=lead_of)

    async def members(self, ids: Iterable[str]) -> set[str]:
        """The users behind a list of user, usergroup and `group:` IDs, e.g. to DM all admins."""
        return await self._expand(ids)
