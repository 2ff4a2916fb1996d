"""What training registers: `/training [list]|new|status|calendar|move|roll`, the new-cohort form, Check
in and the trainers' marks, a roster file sent to the bot, and the cohort's durable timers.

Who may do what is read from the workspace and the database on every path, never from a payload:
admins and trainers see and run every cohort; a cohort's own trainers run it; a vendor's leads see
their vendor's cohorts; a labeler sees the cohorts they are in and checks in to their own sessions.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from pathlib import Path

from bot import timers
from bot.chat.events import Action, Command, FormSubmission
from bot.chat.model import FormErrors, Message, command, md
from bot.chat.port import ChatError
from bot.context import Context
from bot.routing import Router, UsageError
from bot.workspace_training import Site
from handlers.training import (
    attendance,
    attendance_routes,
    home,
    lifecycle,
    members,
    plans,
    reminders,
    store,
    summary,
    uploads,
)
from handlers.training import views as v
from handlers.training.access import NOT_YOURS, RUNNERS, can_run, can_see
from handlers.training.cohort import Cohort
from handlers.training.ics import to_ics
from handlers.training.intake import NewCohort, check_cohort
from handlers.training.schedule import move

SUMMARY = "training cohorts: schedule, reminders, check-in, knowledge checks, nesting and go-live"
UNKNOWN = "⛔ I know no cohort `{}`: {} lists them."
_WHEN = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}:\d{2}))?$")


def _token() -> str:
    return secrets.token_hex(8)


def plan_folder(ctx: Context) -> Path:
    return ctx.workspace.training.folder(ctx.services.settings.tsqa_workspace)


async def _cohort(ctx: Context, name: str | None, user: str, *, run: bool = False) -> Cohort | None:
    """The cohort named, when this person may see (or run) it; otherwise they are told why not."""
    if not name:
        raise UsageError(md("Name the cohort: {} lists them.", command("training")))
    cohort = await lifecycle.find(ctx.services, name)
    if cohort is None or not await can_see(ctx, cohort, user):
        await ctx.respond(Message.text(md(UNKNOWN, name, command("training"))))
        return None
    if run and not await can_run(ctx, cohort, user):
        await ctx.respond(Message.text(NOT_YOURS))
        return None
    return cohort


# ----- listing and creating ------------------------------------------------------------------


async def list_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/training` lists the cohorts this person may see; `/training COHORT` is that cohort's status."""
    if args:
        await status_command(ctx, cmd, args)
        return
    roles = await ctx.roles()
    if roles.has(*RUNNERS):
        rows = await store.listing(ctx.db)
    else:
        rows = await store.listing(
            ctx.db, vendors=sorted(roles.lead_of), member=ctx.workspace.normal_user(cmd.user)
        )
    await ctx.respond(v.listing(rows))


async def _open_form(ctx: Context, trigger: str | None, channel: str | None) -> None:
    if trigger is None:
        await ctx.respond(v.open_form_message(channel))
        return
    usable = sorted(plans.usable(plans.available_plans(plan_folder(ctx))))
    today = ctx.now().astimezone(ctx.workspace.tz).date().isoformat()
    await ctx.port.open_form(trigger, v.new_form(f"{_token()}|{channel or ''}", usable, today))


async def new_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/training new` (admins, trainers: the router checks) opens the form."""
    await _open_form(ctx, cmd.trigger, cmd.channel)


async def open_form_button(ctx: Context, action: Action) -> None:
    if not (await ctx.roles()).has(*RUNNERS):
        await ctx.respond(Message.text("⛔ Training cohorts are created by admins and trainers."))
        return
    await _open_form(ctx, action.trigger, action.value or action.channel)


async def _postable(ctx: Context, channel: str, user: str) -> str | None:
    """The channel the form came from, when the submitter is in it: the state passes through the
    client on Teams, so a forged one must not post a cohort's people elsewhere. None: to the creator."""
    if not channel:
        return None
    try:
        members_of = await ctx.port.channel_members(channel)
    except ChatError:
        return None
    person = ctx.workspace.normal_user(user)
    return channel if person in {ctx.workspace.normal_user(m) for m in members_of} else None


async def create(ctx: Context, key: str, new: NewCohort, channel: str | None, by: str) -> dict[str, str]:
    """Store the cohort and run its welcome; the problems by form field (none when it was made)."""
    people, problems = await members.in_chat(ctx.services, new)
    if problems:
        return problems
    draft = members.draft(new, people, channel, ctx.workspace.normal_user(by))
    try:
        created = await lifecycle.create(ctx.services, key, draft, new.notes)
    except store.NameTaken:
        return {"name": f"There is a cohort named {new.name} already: choose another name."}
    if created.cohort_id is not None:
        ctx.later(timers.run_due(ctx.services, ctx.services.timers), "training welcome")
    return {}


async def new_submitted(ctx: Context, submission: FormSubmission) -> FormErrors | None:
    """Checked against the submitter's rights and the workspace file, stored under the form's token."""
    token, _, channel = submission.state.partition("|")
    if not re.fullmatch(r"[0-9a-f]{16}", token):
        return FormErrors({"name": "This form is not one of mine: open it again with /training new."})
    if not (await ctx.roles()).has(*RUNNERS):
        return FormErrors({"name": "Training cohorts are created by admins and trainers."})
    values = {k: " ".join(x) if isinstance(x, list) else (x or "") for k, x in submission.values.items()}
    today = ctx.now().astimezone(ctx.workspace.tz).date()
    checked = check_cohort(values, ctx.workspace, plan_folder(ctx), today, now=ctx.now())
    if not isinstance(checked, NewCohort):
        return FormErrors(checked)
    where = await _postable(ctx, channel, submission.user)
    problems = await create(ctx, f"training-new:{token}", checked, where, submission.user)
    if problems:
        return FormErrors(problems)
    return None


# ----- reading -------------------------------------------------------------------------------


async def _status(ctx: Context, cohort: Cohort, user: str) -> None:
    """Runners and the vendor's leads see everyone; a labeler sees their own row only."""
    roles = await ctx.roles()
    sees_all = await can_run(ctx, cohort, user) or cohort.vendor in roles.lead_of
    only = None if sees_all else ctx.workspace.normal_user(user)
    await ctx.respond(await summary.status_message(ctx.services, cohort, only=only))


async def status_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    cohort = await _cohort(ctx, args[0] if args else None, cmd.user)
    if cohort is not None:
        await _status(ctx, cohort, cmd.user)


async def status_button(ctx: Context, action: Action) -> None:
    cohort = await _cohort(ctx, action.value, action.user)
    if cohort is not None:
        await _status(ctx, cohort, action.user)


async def _send_calendar(ctx: Context, cohort: Cohort, channel: str | None, user: str) -> bool:
    """The .ics file in the person's DM; False where the platform takes no file from a bot (Teams),
    and the DM says the command line that writes it instead."""
    layout = cohort.layout(_site(ctx, cohort))  # UIDs as `tsqa training calendar` makes them: one event each
    content = to_ics(layout, cohort.calendar_id, cohort_name=cohort.name, stamp=ctx.now())
    where = channel or (await ctx.port.dm(user, v.calendar_message(cohort))).channel
    try:
        await ctx.port.upload_file(where, f"{cohort.name}.ics", content, title=f"Training {cohort.name}")
    except ChatError as exc:
        if exc.code != "files_not_supported":
            raise
        await ctx.port.post(where, v.calendar_by_cli(cohort))
        return False
    return True


def _site(ctx: Context, cohort: Cohort) -> Site:
    site = ctx.workspace.site(cohort.site)
    if site is None:
        raise UsageError(
            md("Site `{}` is no longer in the workspace file: an admin adds it back.", cohort.site)
        )
    return site


async def calendar_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """The cohort's iCalendar file, in a DM: Outlook and Google import it; a later one updates the events."""
    cohort = await _cohort(ctx, args[0] if args else None, cmd.user)
    if cohort is not None and await _send_calendar(ctx, cohort, None, ctx.workspace.normal_user(cmd.user)):
        await ctx.respond(Message.text(md("I sent you the calendar file for *{}*.", cohort.name)))


async def calendar_button(ctx: Context, action: Action) -> None:
    cohort = await _cohort(ctx, action.value, action.user)
    if cohort is not None:
        await _send_calendar(ctx, cohort, None, ctx.workspace.normal_user(action.user))


# ----- moving --------------------------------------------------------------------------------


async def move_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/training move COHORT SESSION YYYY-MM-DD [HH:MM]`: the session and every later one shift."""
    if len(args) < 3:
        raise UsageError(
            md("Say what to move and when: {}", command("training move COHORT SESSION YYYY-MM-DD HH:MM"))
        )
    cohort = await _cohort(ctx, args[0], cmd.user, run=True)
    if cohort is None:
        return
    site = _site(ctx, cohort)
    found = _WHEN.match(" ".join(args[2:4]).strip()) or _WHEN.match(args[2])
    if found is None:
        raise UsageError(md("`{}` is not a time like 2026-12-09 14:00 (site time)", " ".join(args[2:4])))
    session = cohort.session(args[1])
    now = ctx.now()
    if session is not None and session.start <= now:
        raise UsageError(
            md(
                "`{}` has started already ({}): only sessions still to come move",
                session.id,
                v.when(session.start),
            )
        )
    try:
        moment = datetime.fromisoformat(f"{found.group(1)} {(found.group(2) or site.hours[:5]).zfill(5)}")
        moved = move(cohort.layout(site), args[1], moment)
    except ValueError as exc:
        raise UsageError(md("{}", str(exc))) from None
    if (new_start := moved.session(args[1])) is not None and new_start.start <= now:
        raise UsageError(
            md("{} has passed: move `{}` to a time still to come", v.when(new_start.start), args[1])
        )
    key = f"training-move:{cohort.id}:{cohort.moves}:{args[1]}:{moment.isoformat()}"
    try:
        result = await lifecycle.apply_move(ctx.services, key, cohort, moved)
    except lifecycle.MovedMeanwhile:
        await ctx.respond(
            Message.text(
                md("⛔ *{}* was changed by another move just now: look again and move again.", cohort.name)
            )
        )
        return
    if not result.applied:
        await ctx.respond(Message.text(md("That move of *{}* was made already.", cohort.name)))
        return
    if result.changed:
        ctx.later(timers.run_due(ctx.services, ctx.services.timers), "training moved")
    changed = [s for s in moved.sessions if s.id in moved.changed]
    await ctx.respond(v.move_answer(cohort, changed, f"{moved.go_live:%a %d %b %Y}", moved.fits))


async def close_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/training close COHORT`: the class is over; no more reminders, roll calls or summaries."""
    cohort = await _cohort(ctx, args[0] if args else None, cmd.user, run=True)
    if cohort is None:
        return
    if await store.close(ctx.db, cohort.id):
        await ctx.respond(
            Message.text(md("Closed *{}*: no more reminders, roll calls or summaries.", cohort.name))
        )
    else:
        await ctx.respond(Message.text(md("*{}* was closed already.", cohort.name)))


# ----- attendance ----------------------------------------------------------------------------


async def roll_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/training roll COHORT SESSION`: the roll call on demand, to mark absences and excused ones."""
    if len(args) < 2:
        raise UsageError(md("Say which session: {}", command("training roll COHORT SESSION")))
    cohort = await _cohort(ctx, args[0], cmd.user, run=True)
    if cohort is None:
        return
    session = cohort.session(args[1])
    if session is None:
        known = ", ".join(s.id for s in cohort.sessions if cohort.attended(s))
        raise UsageError(md("There is no session `{}` in {} (sessions: {})", args[1], cohort.name, known))
    marks = await attendance.of_session(ctx.db, cohort.id, session.id)
    await ctx.respond(v.roll_message(cohort, session, marks))


def register(router: Router) -> None:
    router.command("training", SUMMARY)
    router.subcommand(
        "training", "", list_command, usage="/training", summary="the training cohorts you can see"
    )
    router.subcommand(
        "training",
        "new",
        new_command,
        usage="/training new",
        roles=RUNNERS,
        summary="create a cohort (a form)",
    )
    router.subcommand(
        "training",
        "status",
        status_command,
        usage="/training status COHORT",
        summary="readiness, labelers at risk and why, projected go-live",
    )
    router.subcommand(
        "training",
        "calendar",
        calendar_command,
        usage="/training calendar COHORT",
        summary="the sessions as an iCalendar file for Outlook or Google",
    )
    router.subcommand(
        "training",
        "move",
        move_command,
        usage="/training move COHORT SESSION YYYY-MM-DD HH:MM",
        summary="move a session; later ones follow and everyone is told once",
    )
    router.subcommand(
        "training",
        "roll",
        roll_command,
        usage="/training roll COHORT SESSION",
        summary="who checked in; mark absences and excused ones",
    )
    router.subcommand(
        "training",
        "close",
        close_command,
        usage="/training close COHORT",
        summary="the class is over: no more reminders, roll calls or summaries",
    )
    router.action(v.OPEN_FORM, open_form_button)
    router.action(v.CHECK_IN, attendance_routes.check_in_button)
    router.action(v.MARK, attendance_routes.mark_button)
    router.action(v.CALENDAR, calendar_button)
    router.action(v.STATUS, status_button)
    router.form(v.NEW_FORM, new_submitted)
    router.home_section(home.home)
    router.on_file(uploads.file_shared, first=True)  # before queue data's, which takes any CSV
    for timer in (*reminders.TIMERS, summary.TIMER):
        router.timer(timer)
