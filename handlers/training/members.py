"""Who is in a new cohort: the people behind the trainers and labelers named, with labeler IDs.

In chat a channel or a platform usergroup is read from the platform (`quiz.assign.expand`); the import
command runs without a chat connection, so there only people and the workspace file's groups count.
Labeler IDs come from the file's roster column, else from the quiz roster when it knows the person.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.chat.model import Markup, md
from bot.context import Services
from bot.workspace import Workspace
from handlers.quiz.assign import Target, expand
from handlers.training import store
from handlers.training.cohort import Member
from handlers.training.intake import NewCohort
from storage.engine import Database


def offline(targets: Iterable[Target], workspace: Workspace) -> tuple[set[str], list[str]]:
    """People named directly or through the workspace's groups; the rest cannot be read offline."""
    people: set[str] = set()
    unread: list[str] = []
    for target in targets:
        if target.kind == "user":
            people.add(workspace.normal_user(target.id))
        elif target.kind == "group":
            found = workspace.expand([target.id])
            unread += [ref for ref in found if workspace.is_platform_group(ref)]
            people |= {workspace.normal_user(ref) for ref in found if not workspace.is_platform_group(ref)}
        else:
            unread.append(target.id)
    return people, unread


async def members(db: Database, new: NewCohort, trainers: set[str], labelers: set[str]) -> tuple[Member, ...]:
    """Trainers first; someone named as both is a trainer. Labeler IDs: the file's, else the quiz roster's."""
    labelers = labelers - trainers
    known = await store.roster_labeler_ids(db, labelers - set(new.labeler_ids))
    ids = {**known, **new.labeler_ids}
    return tuple(
        [Member(u, "trainer") for u in sorted(trainers)]
        + [Member(u, "labeler", ids.get(u)) for u in sorted(labelers)]
    )


async def in_chat(services: Services, new: NewCohort) -> tuple[tuple[Member, ...], dict[str, str]]:
    """The members, channels and usergroups read from the platform; problems by form field."""
    trainers = await expand(services, new.trainers)
    labelers = await expand(services, new.labelers)
    problems: dict[str, list[Markup]] = {
        "trainers": list(trainers.problems),
        "labelers": list(labelers.problems),
    }
    if not trainers.users:
        problems["trainers"].append(md("The trainers named bring nobody: name at least one person."))
    if not labelers.users - trainers.users:
        problems["labelers"].append(md("The labelers named bring nobody who is not also a trainer."))
    said = {key: md("; ").join(found).plain for key, found in problems.items() if found}
    return await members(services.db, new, trainers.users, labelers.users), said


def draft(new: NewCohort, members: tuple[Member, ...], channel: str | None, by: str) -> store.CohortDraft:
    return store.CohortDraft(
        name=new.name,
        vendor=new.vendor,
        site=new.site,
        queues=new.queues,
        plan_name=new.plan_id,
        plan=new.plan,
        start=new.start,
        target=new.target,
        channel=channel,
        created_by=by,
        sessions=new.layout.sessions,
        members=members,
    )
