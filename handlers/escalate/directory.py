"""Who an escalation reaches: the platform's R&D tiers and the vendor's contacts by role.

The workspace file is the directory; `tsqa contacts import` rows (`directory_contacts`) replace its
list for the roles they name. What is missing is said in words, so the admins can fix exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import Services
from bot.workspace_escalation import CONTACT_ROLES
from handlers.escalate import contacts as directory_file


@dataclass(frozen=True)
class Reach:
    tier1: tuple[str, ...]
    tier2: tuple[str, ...]
    contacts: tuple[tuple[str, tuple[str, ...]], ...]  # (role label, people) with people in them
    missing: tuple[str, ...]

    @property
    def contact_people(self) -> list[str]:
        return list(dict.fromkeys(p for _, people in self.contacts for p in people))


def _listed(
    services: Services, imported: dict[tuple[str, str, str], list[str]], scope: str, scope_id: str, role: str
) -> list[str]:
    """The references for one role: imported when imported, else the workspace file's."""
    if (scope, scope_id, role) in imported:
        return imported[(scope, scope_id, role)]
    ws = services.workspace
    if scope == "platform":
        entry = ws.platform_entry(scope_id)
        return list(getattr(entry, role)) if entry else []
    vendor = ws.vendor(scope_id)
    return vendor.contacts.of(role) if vendor else []


Imported = dict[tuple[str, str, str], list[str]]


async def imported(services: Services) -> Imported:
    """The imported directory rows, read once for a request that asks about many platforms."""
    return await directory_file.imported(services.db)


async def reach(
    services: Services, platform_id: str, vendor_id: str | None, rows: Imported | None = None
) -> Reach:
    """The people to mention for an escalation on this platform and vendor, groups expanded;
    `rows`: the imported directory when the caller has read it already."""
    ws = services.workspace
    imported = rows if rows is not None else await directory_file.imported(services.db)

    async def people(scope: str, scope_id: str, role: str) -> tuple[str, ...]:
        listed = _listed(services, imported, scope, scope_id, role)
        return tuple(sorted(await services.roles.members(listed)))

    missing: list[str] = []
    entry = ws.platform_entry(platform_id)
    name = entry.name if entry else platform_id
    tier1 = await people("platform", platform_id, "rd_oncall")
    tier2 = await people("platform", platform_id, "rd_escalation")
    if not tier1:
        missing.append(f"platform {name} ({platform_id}) has no R&D on-call (rd_oncall)")
    if not tier2:
        missing.append(f"platform {name} ({platform_id}) has no R&D escalation (rd_escalation)")
    contacts: list[tuple[str, tuple[str, ...]]] = []
    if vendor_id:
        for role, label in CONTACT_ROLES.items():
            found = await people("vendor", vendor_id, role)
            if found:
                contacts.append((label, found))
        if not any(label == CONTACT_ROLES["operations"] for label, _ in contacts):
            missing.append(f"vendor {vendor_id} has no BPO operations contacts (contacts.operations)")
    return Reach(tier1, tier2, tuple(contacts), tuple(missing))
