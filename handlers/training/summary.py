"""A cohort's figures gathered once (attendance, checks, nesting, readiness, burn-up) for `/training
status`, the weekly summary and `tsqa training report --json`, and the weekly summary's timer.

The summary goes to the cohort's trainers, the vendor's BPO contacts and the admins, one DM each with
the burn-up chart, each person once per week; it schedules the next week's until a week after go-live.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.chat.model import Message
from bot.chat.port import ChatError
from bot.context import Services
from bot.routing import Timer
from bot.workspace import Workspace
from bot.workspace_training import Site
from handlers.training import attendance, lifecycle, store
from handlers.training import status_views as sv
from handlers.training.charts import burn_up_chart
from handlers.training.cohort import Cohort
from handlers.training.nesting import nesting_quality
from handlers.training.readiness import cohort_readiness
from handlers.training.reminders import UNREACHABLE, settled
from handlers.training.report import burn_up, figures
from storage import claims
from storage.engine import Database

log = logging.getLogger("tsqa.training")


@dataclass(frozen=True)
class Gathered:
    figures: dict[str, Any]
    burn: list[tuple[date, int]]
    total: int


async def gather(db: Database, workspace: Workspace, cohort: Cohort, site: Site, now: datetime) -> Gathered:
    """Every figure of the cohort as of `now`, read from the database and the queue data."""
    marks = await attendance.marks(db, cohort.id)
    checks = await store.check_results(db, cohort)
    nesting = await nesting_quality(db, cohort, site, now, workspace.training.min_audits)
    ready = cohort_readiness(cohort, marks, checks, nesting, now, site)
    burn = burn_up(ready, cohort, site)
    return Gathered(figures(cohort, ready, nesting, checks, burn, marks=marks), burn, ready.total)


def _site(workspace: Workspace, cohort: Cohort) -> Site | None:
    return lifecycle.site_of(workspace, cohort)


async def status_message(services: Services, cohort: Cohort, *, only: str | None = None) -> Message:
    """The status; `only`: a labeler's view, their own row and reasons among the cohort's counts."""
    site = _site(services.workspace, cohort)
    if site is None:
        return sv.site_missing(cohort)
    gathered = await gather(services.db, services.workspace, cohort, site, services.clock())
    figures = gathered.figures
    if only is not None:
        figures = {
            **figures,
            "at_risk": [r for r in figures["at_risk"] if r["user"] == only],
            "labelers_detail": [r for r in figures["labelers_detail"] if r["user"] == only],
        }
    return sv.status_message(figures, cohort.id)


async def _recipients(services: Services, cohort: Cohort) -> list[str]:
    """The trainers, the vendor's BPO contacts (every role) and the admins, each once."""
    ws = services.workspace
    vendor = ws.vendor(cohort.vendor)
    refs = list(vendor.contacts.everyone) if vendor else []
    people = set(cohort.trainers)
    try:
        people |= await services.roles.members(refs + list(ws.admins))
    except ChatError as exc:  # a usergroup that cannot be read: the rest still get it
        log.info("could not read the summary's recipients: %s", exc)
        people |= {r for r in refs + list(ws.admins) if not r.startswith("group:")}
    return sorted(ws.normal_user(p) for p in people)


async def run_summary(services: Services, taken: claims.Taken) -> str:
    """The weekly summary: one DM per recipient with the chart under it, then next week's timer."""
    cohort = await lifecycle.load(services, int((taken.payload or {})["cohort"]))
    if cohort is None or cohort.status != "active":
        return "closed"
    site = _site(services.workspace, cohort)
    if site is None:
        return "no site"
    now = services.clock()
    gathered = await gather(services.db, services.workspace, cohort, site, now)
    ws = services.workspace
    following = lifecycle.next_summary(ws, now).astimezone(ws.tz).date()
    if following <= lifecycle.summaries_end(cohort, site):  # none falls after the last day
        async with services.db.transaction() as session:  # first: a recipient failing for good stops no week
            await lifecycle.schedule_summary(session, services.workspace, cohort.id, now, now)
    message = sv.summary_message(gathered.figures, cohort.id)
    target = cohort.target
    png = await asyncio.to_thread(
        burn_up_chart, gathered.burn, gathered.total, target, f"{cohort.name}: labelers ready"
    )
    told = 0
    for person in await _recipients(services, cohort):
        key = f"{taken.key}:{person}"

        async def send(got: claims.Taken, person: str = person, key: str = key) -> str:
            sent = await services.port.dm(person, message, key=key, look_first=got.retaken)
            await services.port.upload_file(
                sent.channel,
                f"{cohort.name}-burn-up.png",
                png,
                title="Labelers ready",
                look_first=got.retaken,
            )
            return sent.ts

        try:
            settled(await claims.once(services.db, key, "training", services.clock, send))
            told += 1
        except ChatError as exc:
            if exc.code not in UNREACHABLE:
                raise
            log.info("could not send the summary to %s: %s", person, exc)
    return f"summary to {told}"


TIMER = Timer(lifecycle.SUMMARY, run_summary, max_attempts=5)
