"""Training files sent to the bot in a DM: a cohort import (the columns of `tsqa training cohort import`,
one row per labeler) or a roster (`user,labeler_id`) for a cohort's labelers.

In chat a cohort file may name channels and usergroups: they are read from the platform, as the form
does. All or nothing: every problem is said, by cohort and line, and then nothing is stored. The same
file sent twice makes nothing new (each cohort is keyed by the file's digest and its name).
"""

from __future__ import annotations

import asyncio
import hashlib

from bot import timers
from bot.chat.events import FileShared
from bot.chat.model import Message, md
from bot.chat.port import SharedFile
from bot.context import Context
from handlers.training import lifecycle, members, roster, store
from handlers.training import views as v
from handlers.training.access import NOT_YOURS, RUNNERS, can_run
from handlers.training.intake import NewCohort
from handlers.training.intake_csv import COHORT_COLUMNS, CohortCsvError, parse_cohort_csv

NOT_ONE_OF_YOURS = "those people are not all labelers of one cohort you run"


def looks_like_cohorts(content: bytes) -> bool:
    """The header names the import's columns (in any order, `labeler_id` optional)."""
    first = content[:4096].decode("utf-8-sig", errors="replace").splitlines()[:1]
    names = {cell.strip().lower() for cell in first[0].split(",")} if first else set()
    return {"cohort", "labeler", "trainers"} <= names <= set(COHORT_COLUMNS)


async def _fetched(ctx: Context, event: FileShared) -> SharedFile | None:
    """A CSV sent to the bot directly, up to the size a training file may have; None for anything else
    (the queue-data upload answers for it)."""
    if not event.direct:
        return None
    try:  # the name first: only a CSV is fetched
        named = await ctx.port.download_file(event.file_id, event.channel, content=False)
        if not named.name.lower().endswith(".csv") or named.size > roster.MAX_CSV_BYTES:
            return None
        return await ctx.port.download_file(event.file_id, event.channel, max_bytes=roster.MAX_CSV_BYTES)
    except Exception:  # too large or not fetched
        return None


async def file_shared(ctx: Context, event: FileShared) -> bool:
    shared = await _fetched(ctx, event)
    if shared is None:
        return False
    if roster.looks_like_roster(shared.content):
        await _roster(ctx, event, shared)
        return True
    if looks_like_cohorts(shared.content):
        await _cohorts(ctx, event, shared)
        return True
    return False


async def _roster(ctx: Context, event: FileShared, shared: SharedFile) -> None:
    """Labeler IDs for the one active cohort those people are labelers in, from someone who runs it."""
    person = ctx.workspace.normal_user(event.user)
    if not ((await ctx.roles()).has(*RUNNERS) or await store.trains_any(ctx.db, person)):
        await ctx.respond(Message.text(NOT_YOURS))  # who is in which cohort is not said to others
        return
    try:
        ids = await asyncio.to_thread(roster.parse_cohort_roster, shared.content, ctx.workspace)
    except roster.RosterCsvError as exc:
        await ctx.respond(v.roster_problems(shared.name, exc.problems))
        return
    found = await store.cohort_of_labelers(ctx.db, list(ids))
    if isinstance(found, str):  # who is where is said to admins and trainers only
        said = (
            found
            if (await ctx.roles()).has(*RUNNERS)
            else "those people are not all labelers of one cohort you run"
        )
        await ctx.respond(Message.text(md("⛔ {}", said)))
        return
    cohort = await lifecycle.load(ctx.services, found)
    if cohort is None or not await can_run(ctx, cohort, event.user):
        await ctx.respond(Message.text(NOT_YOURS))
        return
    await store.set_labeler_ids(ctx.db, cohort.id, ids)
    await ctx.respond(v.roster_applied(cohort, len(ids)))


async def _cohorts(ctx: Context, event: FileShared, shared: SharedFile) -> None:
    """Cohorts from an import file, by admins and trainers: checked whole, then stored in one go."""
    if not (await ctx.roles()).has(*RUNNERS):
        await ctx.respond(Message.text("⛔ Training cohorts are created by admins and trainers."))
        return
    folder = ctx.workspace.training.folder(ctx.services.settings.tsqa_workspace)
    today = ctx.now().astimezone(ctx.workspace.tz).date()
    try:
        cohorts = await asyncio.to_thread(
            parse_cohort_csv, shared.content, ctx.workspace, folder, today, ctx.now()
        )
    except CohortCsvError as exc:
        await ctx.respond(v.roster_problems(shared.name, exc.problems))
        return
    digest = hashlib.sha256(shared.content).hexdigest()
    by = ctx.workspace.normal_user(event.user)
    drafts: list[tuple[str, store.CohortDraft]] = []
    problems: list[str] = []
    for new in cohorts:
        people, said = await members.in_chat(ctx.services, new)
        problems += [f"{new.name}: {field}: {text}" for field, text in said.items()]
        drafts.append((f"training-import:{digest}:{new.name}", members.draft(new, people, None, by)))
    wanted = {new.name.lower(): key for new, (key, _) in zip(cohorts, drafts, strict=True)}
    held = await store.held_names(ctx.db, wanted)
    problems += [
        f"{name}: cohort: there is a cohort named {name} already: choose another name"
        for name in held.values()
    ]
    if problems:
        await ctx.respond(v.roster_problems(shared.name, problems))
        return
    try:
        notes = [new.notes for new in cohorts]
        made = await lifecycle.create_all(ctx.db, ctx.workspace, ctx.now(), drafts, notes)
    except store.NameTaken as exc:
        await ctx.respond(v.roster_problems(shared.name, [f"{exc}: cohort: that name was taken just now"]))
        return
    ctx.later(timers.run_due(ctx.services, ctx.services.timers), "training import")
    fresh = [m.cohort_id is not None for m in made]
    await ctx.respond(v.imported(shared.name, _outcomes(cohorts, [d for _, d in drafts], fresh)))


def _outcomes(
    cohorts: list[NewCohort], drafts: list[store.CohortDraft], fresh: list[bool]
) -> list[tuple[str, str, bool, int]]:
    """(name, go-live, fits, labelers) of each cohort the file made now; those made before are left out."""
    return [
        (
            new.name,
            f"{new.layout.go_live:%a %d %b %Y}",
            new.layout.fits,
            sum(m.role == "labeler" for m in draft.members),
        )
        for new, draft, made in zip(cohorts, drafts, fresh, strict=True)
        if made
    ]
