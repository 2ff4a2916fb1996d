"""A new cohort checked, from the `/training new` form or a row group of `tsqa training cohort import`:
every field against the workspace file and the plan templates, and the plan laid onto the site's
calendar so a plan that cannot fit before the target is said at once, next to the target.

One check serves both: the form shows the problems next to its fields; the CSV
(handlers/training/intake_csv.py) names each one's line and column. Nothing here stores anything or
raises on bad input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from bot.workspace import Workspace
from bot.workspace_training import Site
from handlers.quiz.assign import Target, read_targets
from handlers.quiz.people import vendor_sites
from handlers.training.plan import Plan, PlanError
from handlers.training.plans import available_plans, usable
from handlers.training.schedule import Layout, ScheduleError, first_working_day, lay_out

MAX_NAME = 60
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TOKEN = re.compile(r"<[^>]*>|[^\s,;]+")  # a Slack mention may carry a name with spaces: <@U…|Lee L>
WHOM = "use a mention, a user ID, a #channel the workspace file lists, group:<id> or a listed person's name"


@dataclass(frozen=True)
class NewCohort:
    """A cohort ready to store: everything checked, its plan laid out at its site."""

    name: str
    vendor: str
    site: str
    queues: tuple[str, ...]
    plan_id: str
    plan: Plan
    start: date
    target: date
    trainers: tuple[Target, ...]
    labelers: tuple[Target, ...]
    labeler_ids: dict[str, str]  # user ID → their ID in the queue data (from a roster), may be empty
    layout: Layout
    notes: tuple[str, ...] = field(default=())  # said to the creator, not problems (e.g. a holiday start)


def day_name(day: date) -> str:
    """`Tue 8 Dec 2026`: the weekday spelled, since a holiday or weekend is the point."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def _text(values: Mapping[str, object], key: str) -> str:
    """A form value as text; a multi-select given as a list reads as its items space-separated."""
    raw = values.get(key)
    if isinstance(raw, list | tuple):
        return " ".join(str(item) for item in raw).strip()
    return str(raw).strip() if raw is not None else ""


def _listed(ids: list[str]) -> str:
    return ", ".join(ids) if ids else "none"


def _name(text: str, problems: dict[str, str]) -> str:
    name = text.lower()
    if not name:
        problems["name"] = (
            "Give the cohort a short name, e.g. lisbon-dec (lower-case letters, digits, - and _)."
        )
    elif len(name) > MAX_NAME:
        problems["name"] = f"Keep the name to {MAX_NAME} characters (it has {len(name)})."
    elif name.isdigit():  # a number names a cohort by its id in buttons and commands
        problems["name"] = f"“{text}” is only digits: add a letter, e.g. {name}-cohort."
    elif not NAME.match(name):
        suggestion = re.sub(r"[^a-z0-9_-]+", "-", name).strip("-_")
        hint = f": try {suggestion}" if suggestion else ""
        problems["name"] = (
            f"“{text}” is not a name like lisbon-dec: use lower-case letters, digits, - and _{hint}."
        )
    return name


def _vendor(text: str, ws: Workspace, problems: dict[str, str]) -> str | None:
    known = [v.id for v in ws.vendors]
    vendor = text.lower()
    if not vendor:
        problems["vendor"] = f"Pick a vendor ({_listed(known)})."
    elif vendor not in known:
        problems["vendor"] = f"There is no vendor “{text}” in the workspace file (vendors: {_listed(known)})."
    else:
        return vendor
    return None


def _site(text: str, vendor: str | None, ws: Workspace, problems: dict[str, str]) -> Site | None:
    known = [s.id for s in ws.sites]
    site_id = text.lower()
    theirs = vendor_sites(ws, vendor) if vendor else known
    if not known:
        problems["site"] = (
            "The workspace file lists no sites: add a sites: section "
            "(each site's timezone, country and hours)."
        )
    elif not site_id:
        problems["site"] = f"Pick the site the cohort works at ({_listed(theirs)})."
    elif site_id not in known:
        problems["site"] = f"There is no site “{text}” in the workspace file (sites: {_listed(known)})."
    elif vendor and site_id not in theirs:
        problems["site"] = f"{vendor} does not work at {site_id} (its sites: {_listed(theirs)})."
    else:
        return ws.site(site_id)
    return None


def _queues(
    text: str, vendor: str | None, site: Site | None, ws: Workspace, problems: dict[str, str]
) -> tuple[str, ...]:
    """Every queue named, known, the vendor's and worked at the site (each queue names its site)."""
    said = list(dict.fromkeys(w.lower() for w in TOKEN.findall(text)))
    fitting = [
        q.id
        for q in ws.queues
        if (vendor is None or q.vendor == vendor) and (site is None or q.site == site.id)
    ]  # an unknown vendor lists the site's queues, not none
    where = " at ".join(x for x in (vendor, site.id if site else None) if x)
    if not said:
        problems["queues"] = (
            f"Name the queue(s) the labelers will work ({where or 'queues'}: {_listed(fitting)})."
        )
        return ()
    wrong: list[str] = []
    unknown = [q for q in said if ws.queue(q) is None]
    if unknown:
        wrong.append(f"There is no queue {', '.join(unknown)} in the workspace file")
    for queue in (ws.queue(q) for q in said):
        if queue is None:
            continue
        if vendor and queue.vendor != vendor:
            wrong.append(f"{queue.id} is {queue.vendor}'s queue, not {vendor}'s")
        elif site and queue.site != site.id:
            wrong.append(f"{queue.id} is worked at {queue.site}, not {site.id}")
    if wrong:
        problems["queues"] = f"{'; '.join(wrong)} (queues of {where or 'the vendor'}: {_listed(fitting)})."
        return ()
    return tuple(said)


def _plan(text: str, folder: Path, problems: dict[str, str]) -> tuple[str, Plan | None]:
    plan_id = text.lower()
    plans = available_plans(folder)
    known = list(usable(plans))
    found = plans.get(plan_id)
    if not plan_id:
        problems["plan"] = f"Pick a training plan ({_listed(known)})."
    elif found is None:
        problems["plan"] = f"There is no training plan “{text}” (plans: {_listed(known)})."
    elif isinstance(found, PlanError):
        shown = "; ".join(found.problems[:3]) + ("; …" if len(found.problems) > 3 else "")
        problems["plan"] = f"The plan file of {plan_id} cannot be used: {shown}"
    else:
        return plan_id, found
    return plan_id, None


def _day(key: str, text: str, problems: dict[str, str]) -> date | None:
    what = "the first day of training" if key == "start" else "the target go-live day"
    if not text:
        problems[key] = f"Give {what}, like 2026-12-07 (YYYY-MM-DD)."
        return None
    try:
        if _DAY.match(text):
            return date.fromisoformat(text)
    except ValueError:
        problems[key] = f"“{text}” is not a day of the calendar."
        return None
    problems[key] = f"“{text}” is not a day like 2026-12-07 (YYYY-MM-DD)."
    return None


def _dates(
    values: Mapping[str, object], today: date, problems: dict[str, str]
) -> tuple[date | None, date | None]:
    start = _day("start", _text(values, "start"), problems)
    target = _day("target", _text(values, "target"), problems)
    if start is not None and start < today:
        problems["start"] = f"{start.isoformat()} has passed: start today ({today.isoformat()}) or later."
        start = None
    if start is not None and target is not None and target <= start:
        problems["target"] = f"The target go-live day must come after the start ({start.isoformat()})."
        target = None
    return start, target


def targets(text: str, ws: Workspace) -> tuple[list[Target], list[str]]:
    """The people, channels and groups named in `text`, and the words that name nobody known; a listed
    person's name is read on either platform, since spreadsheets have names."""
    return read_targets(TOKEN.findall(text), ws, names=True)


def _people(key: str, text: str, ws: Workspace, problems: dict[str, str]) -> tuple[Target, ...]:
    what = "trainer" if key == "trainers" else "labeler"
    found, unknown = targets(text, ws)
    if unknown:
        problems[key] = f"I don't know whom {', '.join(unknown)} means: {WHOM}."
    elif not found:
        problems[key] = f"Name at least one {what}: a person, a channel or a group."
    return tuple(found)


def _start_note(site: Site, start: date) -> tuple[str, ...]:
    """Said when the start day is not a working day at the site: which day the plan starts instead."""
    first = first_working_day(site, start)
    if first == start:
        return ()
    holiday = site.holiday(start)
    why = f"{holiday}, a public holiday in {site.country}" if holiday else f"a {start:%A}"
    return (f"Starts {day_name(first)}: {day_name(start)} is {why} at {site.id}.",)


def _layout(
    plan: Plan, site: Site, start: date, target: date, problems: dict[str, str]
) -> tuple[Layout | None, tuple[str, ...]]:
    try:
        layout = lay_out(plan, site, start, target)
        notes = _start_note(site, start)
    except ScheduleError as exc:
        problems["start"] = f"{exc}."
        return None, ()
    if not layout.fits:
        over = layout.days_over
        problems["target"] = (
            f"The plan needs until {day_name(layout.go_live)}, {over} working day{'s' if over != 1 else ''} "
            f"after the target {day_name(target)}: move the target or shorten the plan."
        )
        return None, notes
    return layout, notes


def check_cohort(
    values: Mapping[str, object],
    workspace: Workspace,
    folder: str | Path,
    today: date,
    *,
    labelers: tuple[Target, ...] | None = None,
    labeler_ids: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> NewCohort | dict[str, str]:
    """The cohort the values describe, or every problem by field key (name, vendor, site, queues, plan,
    start, target, trainers, labelers), each saying what is wrong and what is expected. `folder`: the
    plan templates (`TrainingSettings.folder`); `today`: in the workspace's timezone. `labelers` (and
    their `labeler_ids`) given are taken as read already: the import file reads them row by row. With
    `now`, a first session that would begin at or before it (the site's day is later than the
    workspace's, or the day is half gone) is a problem on `start`."""
    problems: dict[str, str] = {}
    name = _name(_text(values, "name"), problems)
    vendor = _vendor(_text(values, "vendor"), workspace, problems)
    site = _site(_text(values, "site"), vendor, workspace, problems)
    queues = _queues(_text(values, "queues"), vendor, site, workspace, problems)
    plan_id, plan = _plan(_text(values, "plan"), Path(folder), problems)
    start, target = _dates(values, today, problems)
    trainers = _people("trainers", _text(values, "trainers"), workspace, problems)
    if labelers is None:
        labelers = _people("labelers", _text(values, "labelers"), workspace, problems)
    layout, notes = None, ()
    if plan is not None and site is not None and start is not None and target is not None:
        layout, notes = _layout(plan, site, start, target, problems)
    if layout is not None and now is not None and layout.sessions[0].start <= now:
        first = layout.sessions[0].start
        problems["start"] = (
            f"The first session would begin {first:%a %d %b %H:%M} at {site.id if site else ''}, which has "
            "passed there: start on a later day."
        )
    if problems or layout is None or plan is None or site is None or vendor is None:
        return problems
    assert start is not None and target is not None
    return NewCohort(
        name=name,
        vendor=vendor,
        site=site.id,
        queues=queues,
        plan_id=plan_id,
        plan=plan,
        start=start,
        target=target,
        trainers=trainers,
        labelers=labelers,
        labeler_ids=dict(labeler_ids or {}),
        layout=layout,
        notes=notes,
    )
