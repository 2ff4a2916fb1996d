"""What the escalation capability registers: `/escalate` (the form, `list`, `ESC-42`, `report`),
the "Escalate this message" shortcut, the buttons and forms on the escalation message, and the
durable timers that announce, note and chase."""

from __future__ import annotations

import asyncio
import re
import secrets
from datetime import datetime, time, timedelta

from bot import timers
from bot.chat.events import Action, Command, FormSubmission, Shortcut
from bot.chat.model import FormErrors, Message, MessageRef, Part, command, md
from bot.context import Context
from bot.exports import attach_csv
from bot.roles import Role
from bot.routing import Router, Timer, UsageError
from bot.workspace_escalation import SEVERITIES
from handlers.escalate import access, lifecycle, reminders, report, report_views, store
from handlers.escalate import views as v
from handlers.escalate.impact import impact_text, queue_impact
from handlers.escalate.store import Changed, Draft
from storage.models.escalation import Escalation

SUMMARY = "escalate a platform issue to R&D and the BPO contacts, and follow it until fixed"
SHORTCUT = "escalate_message"
NUMBER = re.compile(r"^(?:ESC-?)?(\d{1,9})$", re.IGNORECASE)
NOT_SET_UP = (
    "Escalations are not set up here yet: an admin adds an `escalation:` section (its channel) and "
    "the `platforms` to the workspace file."
)
NOT_ALLOWED = "⛔ Only admins, this platform's R&D people, the reporter or the owner can do that."
REPORT_READERS = (Role.ADMIN, Role.TRAINER, Role.VENDOR_LEAD)
PERMALINK_BUDGET = 0.8  # seconds of Slack's 3-second trigger a shortcut may spend on the link


def _token() -> str:
    return secrets.token_hex(8)


# ----- raising -------------------------------------------------------------------------------


async def _impact(ctx: Context, queue: str | None) -> str:
    """The queue's impact from the queue data, for the form or an empty impact field."""
    found = ctx.workspace.queue(queue) if queue else None
    if found is None:
        return ""
    figures = await queue_impact(ctx.db, found.id, ctx.now())
    return impact_text(figures, found.name, ctx.workspace.tz)


async def _open_raise_form(
    ctx: Context, trigger: str | None, *, title: str = "", description: str = "", queue: str | None = None,
    link: str | None = None, source: tuple[str, str] | None = None,
) -> None:  # fmt: skip
    """The raise form, or why not; without a trigger (a Teams command) a button that opens it."""
    if ctx.workspace.escalation is None or not ctx.workspace.platforms:
        await ctx.respond(Message.text(NOT_SET_UP))
        return
    queues = await access.raisable_queues(ctx)
    if queues is None:
        await ctx.respond(Message.text(f"⛔ Escalations are raised by {access.RAISERS}."))
        return
    if trigger is None:
        await ctx.respond(v.open_form_message(queue, title))
        return
    queue = queue if queue in queues else None
    impact = await _impact(ctx, queue)
    state = "|".join([_token(), *(source or ())])
    form = v.raise_form(ctx.workspace, queues, state=state, title=title, description=description,
                        queue=queue, impact=impact, link=link)  # fmt: skip
    await ctx.port.open_form(trigger, form)


async def escalate_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/escalate [QUEUE] [TITLE]` opens the form; `/escalate ESC-42` shows one escalation."""
    if len(args) == 1 and (found := NUMBER.match(args[0])):
        await show(ctx, int(found.group(1)))
        return
    queue = args[0] if args and ctx.workspace.queue(args[0]) else None
    title = " ".join(args[1:] if queue else args)
    await _open_raise_form(ctx, cmd.trigger, title=title, queue=queue)


async def open_form_button(ctx: Context, action: Action) -> None:
    queue, title = v.parse_open_value(action.value)
    await _open_raise_form(ctx, action.trigger, title=title, queue=queue)


async def home(ctx: Context) -> list[Part]:
    """Open escalations this person may see (the same checks as `/escalate list`)."""
    if ctx.workspace.escalation is None:
        return []
    mine = await access.scope(ctx)
    rows = await store.listing(ctx.db, open_only=True, where=mine.where())
    may_raise = await access.raisable_queues(ctx, mine) is not None
    return v.home_section(rows, ctx.workspace, ctx.now(), may_raise)


async def _quick_permalink(ctx: Context, ref: MessageRef) -> str | None:
    """The message's link, if the platform answers fast: the form must open within Slack's 3 s."""
    try:
        return await asyncio.wait_for(lifecycle.permalink(ctx.services, ref), PERMALINK_BUDGET)
    except TimeoutError:
        return None


async def message_shortcut(ctx: Context, event: Shortcut) -> None:
    """The "Escalate this message" shortcut: the form with the message as what is happening and its
    link in the link field. The text comes from the person's client: shown in their own form only."""
    text = event.text.strip()
    first = text.splitlines()[0] if text else ""
    link = event.permalink or await _quick_permalink(ctx, MessageRef(event.channel, event.message_ts))
    await _open_raise_form(ctx, event.trigger, title=first[: v.TITLE_MAX], description=text[:2500],
                           link=link, source=(event.channel, event.message_ts))  # fmt: skip


def _text(values: dict[str, object], name: str) -> str:
    raw = values.get(name)
    return str(raw).strip() if raw is not None else ""


async def raise_submitted(ctx: Context, submission: FormSubmission) -> FormErrors | None:
    """Checked against the submitter's rights (the form's options are a hint, not a check), stored
    with its timers, then announced at once."""
    config = ctx.workspace.escalation
    token, *source = submission.state.split("|")
    if config is None or not re.fullmatch(r"[0-9a-f]{16}", token):
        return FormErrors({"title": "This form is not one of mine: open it again with /escalate."})
    queues = await access.raisable_queues(ctx)
    if queues is None:
        return FormErrors({"title": f"Escalations are raised by {access.RAISERS}."})
    values = submission.values
    errors: dict[str, str] = {}
    queue_id = _text(values, "queue") or v.NO_QUEUE
    queue = ctx.workspace.queue(queue_id) if queue_id != v.NO_QUEUE else None
    if queue_id != v.NO_QUEUE and (queue is None or queue.id not in queues):
        errors["queue"] = f"{queue_id!r} is not a queue you can escalate on."
    platform = _text(values, "platform")
    if ctx.workspace.platform_entry(platform) is None:
        errors["platform"] = "Pick one of the platforms listed."
    severity = _text(values, "severity").upper()
    if severity not in SEVERITIES:
        errors["severity"] = "Pick a severity, SEV1 to SEV4."
    title = _text(values, "title")
    if not title:
        errors["title"] = "Give the issue a short title."
    elif len(title) > v.TITLE_MAX:
        errors["title"] = f"Keep the title under {v.TITLE_MAX} characters (it has {len(title)})."
    description = _text(values, "description")
    if not description:
        errors["description"] = "Say what is happening: what fails, since when, for whom."
    link = _text(values, "link") or None
    if link and not re.match(r"^https?://\S+$", link):
        errors["link"] = "A link starts with https:// and has no spaces."
    if errors:
        return FormErrors(errors)
    impact = _text(values, "impact")  # left empty: filled from the queue data when announced
    vendor = queue.vendor if queue else None
    draft = Draft(
        queue=queue.id if queue else None, vendor=vendor, site=queue.site if queue else None,
        platform=platform, severity=severity, title=title, description=description[:2500],
        impact=impact[:2500], link=link, channel=config.channel_for(queue.id if queue else None, vendor),
        source_channel=source[0] if len(source) == 2 else None,
        source_ts=source[1] if len(source) == 2 else None,
    )  # fmt: skip
    reporter = ctx.workspace.normal_user(submission.user)
    await lifecycle.raise_escalation(ctx.services, f"escalate-new:{token}", draft, reporter)
    ctx.later(timers.run_due(ctx.services, ctx.services.timers), "escalation announce")
    return None


# ----- working one ---------------------------------------------------------------------------


async def _clicked(ctx: Context, value: str, *, work: bool) -> Escalation | None:
    """The escalation a button or form names, if the person may act on it; else they are told."""
    found = NUMBER.match(value or "")
    esc = await store.get(ctx.db, int(found.group(1))) if found else None
    if esc is None:
        await ctx.respond(Message.text("⛔ I know no such escalation."))
        return None
    allowed = await access.can_work(ctx, esc) if work else await access.can_see(ctx, esc)
    if not allowed:
        await ctx.respond(Message.text(NOT_ALLOWED if work else "⛔ That escalation is not yours to see."))
        return None
    return esc


async def _after(ctx: Context, changed: Changed, what: str, *, quiet: bool = False) -> None:
    """The note runs at once; the person hears the outcome, except a form's success (`quiet`): the
    thread shows it, and a DM saying so would be noise."""
    if changed.done:
        ctx.later(timers.run_due(ctx.services, ctx.services.timers), "escalation note")
    if not (quiet and changed.done):
        await ctx.respond(v.outcome_message(changed.escalation, changed.done, changed.reason, what))


async def ack_button(ctx: Context, action: Action) -> None:
    esc = await _clicked(ctx, action.value, work=True)
    if esc is not None:
        user = ctx.workspace.normal_user(action.user)
        await _after(ctx, await lifecycle.acknowledge(ctx.services, esc, user), "acknowledged")


async def reopen_button(ctx: Context, action: Action) -> None:
    esc = await _clicked(ctx, action.value, work=True)
    if esc is not None:
        user = ctx.workspace.normal_user(action.user)
        await _after(ctx, await lifecycle.reopen(ctx.services, esc, user), "reopened")


def _form_button(make: type | object, work: bool):  # noqa: ANN202 - a small factory of handlers
    async def open_it(ctx: Context, action: Action) -> None:
        esc = await _clicked(ctx, action.value, work=work)
        if esc is None or not action.trigger:
            return
        if esc.status == store.RESOLVED:
            await ctx.respond(v.outcome_message(esc, False, "resolved", ""))
            return
        await ctx.port.open_form(action.trigger, make(esc, f"{esc.number}:{esc.generation}:{_token()}"))  # type: ignore[operator]

    return open_it


async def _submitted(
    ctx: Context, submission: FormSubmission, *, work: bool, same_generation: bool = False
) -> tuple[Escalation, str] | str:
    """The escalation and form token a button's form names, checked against the submitter's rights;
    else why not. With `same_generation`, a form opened before a reopening is refused: resolving or
    re-rating the reopened escalation needs a fresh look."""
    number, _, token = submission.state.partition(":")
    generation, _, token = token.partition(":")
    esc = None
    if number.isdigit() and generation.isdigit() and re.fullmatch(r"[0-9a-f]{16}", token):
        esc = await store.get(ctx.db, int(number))
    if esc is None:
        return "This form is not one of mine: open it again from the escalation."
    if not (await access.can_work(ctx, esc) if work else await access.can_see(ctx, esc)):
        return NOT_ALLOWED.removeprefix("⛔ ") if work else "That escalation is not yours to see."
    if same_generation and int(generation) != esc.generation:
        return f"{v.esc_id(esc.number)} was reopened since you opened this form: open it again."
    return esc, token


async def update_submitted(ctx: Context, submission: FormSubmission) -> FormErrors | None:
    found = await _submitted(ctx, submission, work=False)
    if isinstance(found, str):
        return FormErrors({"update": found})
    text = _text(submission.values, "update")
    if not text:
        return FormErrors({"update": "Write what changed, even “no change yet, still investigating”."})
    user = ctx.workspace.normal_user(submission.user)
    await _after(
        ctx,
        await lifecycle.post_update(ctx.services, found[0], user, text[:2500], found[1]),
        "updated",
        quiet=True,
    )
    return None


async def severity_submitted(ctx: Context, submission: FormSubmission) -> FormErrors | None:
    found = await _submitted(ctx, submission, work=True, same_generation=True)
    if isinstance(found, str):
        return FormErrors({"severity": found})
    severity = _text(submission.values, "severity").upper()
    if severity not in SEVERITIES:
        return FormErrors({"severity": "Pick a severity, SEV1 to SEV4."})
    user = ctx.workspace.normal_user(submission.user)
    reason = _text(submission.values, "reason")[:500]
    changed = await lifecycle.change_severity(ctx.services, found[0], user, severity, reason, found[1])
    await _after(ctx, changed, f"now {severity}", quiet=True)
    return None


async def resolve_submitted(ctx: Context, submission: FormSubmission) -> FormErrors | None:
    found = await _submitted(ctx, submission, work=True, same_generation=True)
    if isinstance(found, str):
        return FormErrors({"resolution": found})
    resolution = _text(submission.values, "resolution")
    cause = _text(submission.values, "cause")
    errors = {}
    if not resolution:
        errors["resolution"] = "Say what fixed it (or why it needs no fix)."
    if cause not in v.CAUSES:
        errors["cause"] = "Pick a cause category."
    if errors:
        return FormErrors(errors)
    user = ctx.workspace.normal_user(submission.user)
    changed = await lifecycle.resolve(ctx.services, found[0], user, resolution[:2500], cause)
    await _after(ctx, changed, "resolved", quiet=True)
    return None


# ----- reading -------------------------------------------------------------------------------


async def show(ctx: Context, number: int) -> None:
    esc = await _clicked(ctx, str(number), work=False)
    if esc is not None:
        events = await store.timeline(ctx.db, number)
        await ctx.respond(v.detail_message(esc, events, ctx.workspace))


async def list_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/escalate list [open|mine|all]`: what this person may see, newest first."""
    which = args[0].lower() if args else "open"
    if which not in ("open", "mine", "all") or len(args) > 1:
        raise UsageError(md("Say `{}`, `{}` or `{}`.", command("escalate list open"),
                            command("escalate list mine"), command("escalate list all")))  # fmt: skip
    user = ctx.workspace.normal_user(cmd.user)
    mine = await access.scope(ctx)
    rows = await store.listing(
        ctx.db, open_only=which == "open", where=mine.where(), user=user if which == "mine" else None
    )
    await ctx.respond(v.list_message(rows, ctx.workspace, which, ctx.now()))


async def report_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/escalate report [YYYY-MM-DD]`: counts and MTTA/MTTR in a DM, with the chart and the CSV."""
    today = ctx.now().astimezone(ctx.workspace.tz).date()
    try:
        since = datetime.strptime(args[0], "%Y-%m-%d").date() if args else today - timedelta(days=30)
    except ValueError:
        raise UsageError(md("“{}” is not a date: use YYYY-MM-DD, e.g. 2026-11-01.", args[0])) from None
    roles = await ctx.roles()
    vendors = None if roles.has(Role.ADMIN, Role.TRAINER) else set(roles.lead_of)
    start = datetime.combine(since, time(0), ctx.workspace.tz)
    rows = await report.escalations_since(ctx.db, start, vendors)
    summary = await asyncio.to_thread(report.summarise, rows, ctx.now())  # pandas: off the loop
    await ctx.respond(Message.text(md("The escalation report since {} is in our DM.", since.isoformat())))
    assert ctx.user is not None
    ref = await ctx.port.dm(ctx.user, report_views.report_message(summary, since))
    if rows:
        await _files(ctx, ref, summary, rows, since.isoformat())


async def _files(
    ctx: Context, ref: MessageRef, summary: report.Report, rows: list[Escalation], since: str
) -> None:
    png = await asyncio.to_thread(report.report_chart, summary)
    await ctx.port.upload_file(
        ref.channel, f"escalations-{since}.png", png, title="MTTA and MTTR", thread=ref
    )
    content = await asyncio.to_thread(report.report_csv, rows)
    line = f"escalations report --since {since} --csv FILE"
    await attach_csv(ctx.port, ref, f"escalations-{since}.csv", content, "Escalations", line)


ANNOUNCE = Timer(lifecycle.ANNOUNCE_KIND, lifecycle.run_announce, max_attempts=8)
NOTE = Timer(lifecycle.NOTE_KIND, lifecycle.run_note, max_attempts=8)
REMIND = Timer(lifecycle.REMIND_KIND, reminders.run_remind, max_attempts=8)
NUDGE = Timer(lifecycle.NUDGE_KIND, reminders.run_nudge, max_attempts=8)


def register(router: Router) -> None:
    router.command("escalate", SUMMARY)
    router.subcommand("escalate", "", escalate_command, usage="/escalate [QUEUE] [TITLE]",
                      summary="open the escalation form (`/escalate ESC-42` shows one)")  # fmt: skip
    router.subcommand("escalate", "list", list_command, usage="/escalate list [open|mine|all]",
                      summary="the escalations you can see")  # fmt: skip
    router.subcommand("escalate", "report", report_command, usage="/escalate report [YYYY-MM-DD]",
                      summary="counts and time to acknowledge and resolve, with a chart and CSV",
                      roles=REPORT_READERS)  # fmt: skip
    router.action(v.OPEN_FORM, open_form_button)
    router.home_section(home)
    router.action(v.ACK, ack_button)
    router.action(v.REOPEN, reopen_button)
    router.action(v.UPDATE, _form_button(v.update_form, work=False))
    router.action(v.SEVERITY, _form_button(v.severity_form, work=True))
    router.action(v.RESOLVE, _form_button(v.resolve_form, work=True))
    router.form(v.NEW_FORM, raise_submitted)
    router.form(v.UPDATE_FORM, update_submitted)
    router.form(v.SEVERITY_FORM, severity_submitted)
    router.form(v.RESOLVE_FORM, resolve_submitted)
    for timer in (ANNOUNCE, NOTE, REMIND, NUDGE):
        router.timer(timer)
    router.shortcut(SHORTCUT, "Escalate this message", message_shortcut,
                    description="Open an escalation pre-filled from this message")  # fmt: skip
