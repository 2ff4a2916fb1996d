"""Who may appeal what and who may decide: checked on every button and form from the database and
the workspace file, never from what the client sent back.

A labeler appeals only decisions under their own labeler ID at its vendor (handlers/queue_data/labelers.py).
A reviewer is one of `appeals.reviewers` (default: the admins and trainers), never a vendor lead (the
verdict is their own team's or a competitor's), never the auditor of the verdict (`appeals.auditors` maps
the data's `qa_auditor` names to chat users), nor the labeler.
"""

from __future__ import annotations

from bot.context import Services
from bot.workspace import Workspace
from handlers.appeals.store import Audited
from handlers.queue_data import labelers
from handlers.queue_data.labelers import Identity
from storage.engine import Database
from storage.models.appeals import Appeal

NO_ID = (
    "I don't know your labeler ID in the queue data, so I can't find your audits. A trainer or QA lead "
    "adds it with the roster (`tsqa quiz roster import`, or a `user,labeler_id` file sent to me)."
)


async def own_ids(db: Database, user: str) -> set[Identity] | str:
    """This person's (labeler ID, vendor) identities, or what stops them from seeing any (plain text)."""
    mine, shared = await labelers.identities_of(db, user)
    if not mine:
        return NO_ID
    if mine == shared:
        ids = ", ".join(f"{labeler_id} ({vendor})" for labeler_id, vendor in sorted(mine))
        return (
            f"Your labeler ID {ids} is given to someone else too in the rosters, so I show its audits to "
            "nobody until a QA lead fixes the roster."
        )
    return mine - shared


async def owns(db: Database, user: str, item: Audited) -> bool:
    ids = await own_ids(db, user)
    return not isinstance(ids, str) and (item.labeler_id, item.vendor) in ids


async def reviewers(services: Services) -> set[str]:
    """Who may decide appeals: the configured reviewers, or the admins and trainers; vendor leads never."""
    settings, workspace = services.workspace.appeals, services.workspace
    refs = settings.reviewers if settings and settings.reviewers else [*workspace.admins, *workspace.trainers]
    return await services.roles.members(refs) - await vendor_leads(services)


async def vendor_leads(services: Services) -> set[str]:
    return await services.roles.members([lead for v in services.workspace.vendors for lead in v.leads])


async def auditor_users(services: Services, qa_auditor: str | None) -> set[str]:
    """The chat users behind an auditor name in the data: the mapping, a person of that name or e-mail
    in the workspace file, or the name itself when the data names auditors by chat user ID."""
    if not qa_auditor:
        return set()
    workspace = services.workspace
    settings = workspace.appeals
    found = {workspace.normal_user(qa_auditor)}
    if settings and qa_auditor in settings.auditors:
        found |= await services.roles.members([settings.auditors[qa_auditor]])
    wanted = qa_auditor.strip().lower()
    found |= {p.id for p in workspace.people if wanted in {p.name.lower(), (p.email or "").lower()}}
    return found


def _mapped(workspace: Workspace, qa_auditor: str | None) -> bool:
    settings = workspace.appeals
    return bool(qa_auditor) and settings is not None and qa_auditor in settings.auditors


async def review_refusal(services: Services, user: str, appeal: Appeal) -> str | None:
    """Why this person may not decide this appeal, or None."""
    user = services.workspace.normal_user(user)
    if user in await vendor_leads(services):
        return (
            "Vendor leads do not decide appeals: the verdict is their own team's or another vendor's. "
            "A QA lead or trainer decides it."
        )
    if user not in await reviewers(services):
        return (
            "Appeals are decided by the appeal reviewers (QA leads and trainers, unless the workspace "
            "names others)."
        )
    if user in await auditor_users(services, appeal.qa_auditor):
        return (
            f"You audited this decision ({appeal.qa_auditor}), so someone else reviews the appeal: "
            "a verdict is never reviewed by its own auditor."
        )
    if user == appeal.user_id:
        return "This is your own appeal: another reviewer decides it."
    return None


def auditor_unmapped(workspace: Workspace, appeal: Appeal) -> bool:
    """The data names an auditor the workspace cannot tie to a chat user (the thread says so)."""
    return (
        bool(appeal.qa_auditor)
        and not _mapped(workspace, appeal.qa_auditor)
        and not any(
            appeal.qa_auditor.lower() in {p.name.lower(), (p.email or "").lower(), p.id.lower()}
            for p in workspace.people
        )
    )
