"""What calibration registers: `/calibrate new|status|list|trend`, the form, the ballot's buttons and
reason form, Reveal now, and the durable timers that invite, remind and reveal."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from bot import timers
from bot.chat.events import Action, Command, FormSubmission
from bot.chat.model import FormErrors, Message, MessageRef, command, md
from bot.context import Context
from bot.roles import Role
from bot.routing import Router, Timer, UsageError
from bot.workspace import Queue
from handlers.calibration import ballot, lifecycle, reveal, reveal_actions, store, uploads
from handlers.calibration import results_views as rv
from handlers.calibration import views as v
from handlers.calibration.agreement import DEFAULT_THRESHOLD
from handlers.calibration.form import NewSession, check_new
from storage.models import CalibrationSession

SUMMARY = "blind calibration sessions: rate items in DMs, reveal agreement, follow the trend"
NUMBER = re.compile(r"^(?:CAL-?)?(\d{1,9})$", re.IGNORECASE)
RUNNERS = (Role.ADMIN, Role.TRAINER)
RECENT = timedelta(days=30)
NOT_ALLOWED = "⛔ Only the facilitator, admins and trainers can see that session's progress."


def _token() -> str:
    return secrets.token_hex(8)


def rateable_queues(ctx: Context) -> list[Queue]:
    """Queues with at least two labels: the answers a participant chooses from."""
    return [q for q in ctx.workspace.queues if len(q.labels) >= 2]


# ----- creating ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prefill:
    """What a quality recommendation knows when it opens the form: the queue and its error pair."""

    queue: str
    focus: tuple[str, str]
    title: str


async def open_prefilled(ctx: Context, trigger: str | None, channel: str, prefill: Prefill) -> None:
    """The form for a recommendation's session: its queue, a title, items from that error pair."""
    if not (await ctx.roles()).has(*RUNNERS):
        await ctx.respond(Message.text("⛔ Calibration sessions are created by admins and trainers."))
        return
    await _open_form(ctx, trigger, channel, prefill)


async def _open_form(
    ctx: Context,
    trigger: str | None,
    channel: str | None,
    prefill: Prefill | None = None,
    upload: tuple[int, str, int] | None = None,
) -> None:
    """The form; `upload` (draft id, file name, item count): a file sent to the bot, chosen as source."""
    queues = rateable_queues(ctx)
    if not queues:
        await ctx.respond(
            Message.text(
                "No queue has `labels` in the workspace file yet: an admin adds them, "
                "least to most severe, and they become the answers."
            )
        )
        return
    if trigger is None:
        await ctx.respond(v.open_form_message())
        return
    tomorrow = (ctx.now().astimezone(ctx.workspace.tz) + timedelta(days=2)).strftime("%Y-%m-%d 15:00")
    state = f"{_token()}|{channel or ''}"
    if upload is not None:  # the draft id is checked on submit: it must be the submitter's own
        form = v.new_form(queues, f"{state}||{upload[0]}", tomorrow, upload=upload[1:])
        await ctx.port.open_form(trigger, form)
        return
    if prefill is None:
        await ctx.port.open_form(trigger, v.new_form(queues, state, tomorrow))
        return
    state += "|" + ">".join(prefill.focus)
    form = v.new_form(
        queues,
        state,
        tomorrow,
        title=prefill.title,
        queue=prefill.queue,
        from_audits=True,
        results_to=channel,
    )
    await ctx.port.open_form(trigger, form)


async def new_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/calibrate new` (admins, trainers: the router checks) opens the form; the results go to the
    channel it was run in."""
    await _open_form(ctx, cmd.trigger, cmd.channel)


async def open_form_button(ctx: Context, action: Action) -> None:
    if not (await ctx.roles()).has(*RUNNERS):
        await ctx.respond(Message.text("⛔ Calibration sessions are created by admins and trainers."))
        return
    await _open_form(ctx, action.trigger, action.channel)


async def upload_form_button(ctx: Context, action: Action) -> None:
    """ "Create a session from these items" under an uploaded file's answer: the form, the file chosen."""
    if not (await ctx.roles()).has(*RUNNERS):
        await ctx.respond(Message.text("⛔ Calibration sessions are created by admins and trainers."))
        return
    person = ctx.workspace.normal_user(action.user)
    found = await store.draft_of(ctx.db, int(action.value), person) if action.value.isdigit() else None
    if found is None:
        await ctx.respond(Message.text("⛔ Those items were sent by someone else: send your own file."))
        return
    await _open_form(ctx, action.trigger, action.channel, upload=(int(action.value), found[0], len(found[1])))


async def new_submitted(ctx: Context, submission: FormSubmission) -> FormErrors | None:
    """Checked against the submitter's rights and the workspace file (the form is a hint, not a check),
    stored with its timers in one transaction under the form's token, then the invitations go out."""
    token, channel, pair, draft_id = [*submission.state.split("|"), "", "", ""][:4]
    decision, _, qa_decision = pair.partition(">")
    focus = (decision, qa_decision) if decision and qa_decision else None
    if not re.fullmatch(r"[0-9a-f]{16}", token) or not channel:
        return FormErrors({"title": "This form is not one of mine: open it again with /calibrate new."})
    if not (await ctx.roles()).has(*RUNNERS):
        return FormErrors({"title": "Calibration sessions are created by admins and trainers."})
    person = ctx.workspace.normal_user(submission.user)
    upload = await store.draft_of(ctx.db, int(draft_id), person) if draft_id.isdigit() else None
    checked = await check_new(ctx, submission.values, rateable_queues(ctx), focus, upload)
    if isinstance(checked, FormErrors):
        return checked
    draft = _draft(ctx, checked, submission.user, channel)
    await lifecycle.create(ctx.services, f"calibrate-new:{token}", draft)
    ctx.later(timers.run_due(ctx.services, ctx.services.timers), "calibration invite")
    return None


def _draft(ctx: Context, checked: NewSession, facilitator: str, channel: str) -> store.SessionDraft:
    return store.SessionDraft(
        title=checked.title,
        queue=checked.queue.id,
        vendor=checked.queue.vendor,
        labels=tuple(checked.queue.labels),
        facilitator=ctx.workspace.normal_user(facilitator),
        channel=channel,
        due_at=checked.due_at,
        threshold=DEFAULT_THRESHOLD,
        items=checked.items,
        participants=checked.participants,
    )


# ----- voting --------------------------------------------------------------------------------


def _ids(value: str) -> tuple[int, int, str] | None:
    """`session|position[|label]` from a button's value (it comes from the client: checked later)."""
    parts = (value or "").split("|", 2)
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return int(parts[0]), int(parts[1]), parts[2] if len(parts) == 3 else ""


async def _ballot_of(ctx: Context, sid: int, user: str) -> MessageRef | None:
    """Where this person's ballot is, as stored when it was sent: never the message a click or a
    form names (on Teams those come back from the client, and a forged one would be overwritten)."""
    member = await store.participant(ctx.db, sid, ctx.workspace.normal_user(user))
    if member is not None and member.dm_channel and member.dm_ts:
        return MessageRef(member.dm_channel, member.dm_ts)
    return None


async def vote_button(ctx: Context, action: Action) -> None:
    """A label chosen: recorded once, replaced when changed; the ballot moves on to the next item."""
    found = _ids(action.value)
    if found is None or not found[2]:
        await ctx.respond(Message.text("⛔ This button is not one of mine."))
        return
    await _vote(
        ctx, found[0], found[1], action.user, found[2], None, await _ballot_of(ctx, found[0], action.user)
    )


async def _vote(
    ctx: Context,
    sid: int,
    position: int,
    user_id: str,
    label: str,
    reason: str | None,
    where: MessageRef | None,
) -> None:
    person = ctx.workspace.normal_user(user_id)
    voted = await store.vote(ctx.db, sid, position, person, label, reason, ctx.now())
    if voted.outcome in v.VOTE_SAID or voted.session is None:
        await ctx.respond(Message.text(v.VOTE_SAID.get(voted.outcome, v.VOTE_SAID["unknown"])))
        return
    await ballot.show(ctx.services, voted.session, person, where, after=position)
    if voted.finished_now:
        await lifecycle.refresh_progress(ctx.services, sid)


async def _ballot_row(ctx: Context, sid: int, user_id: str) -> CalibrationSession | None:
    """The session if this person rates in it; else they are told why not."""
    row = await store.get(ctx.db, sid)
    person = ctx.workspace.normal_user(user_id)
    if row is None:
        await ctx.respond(Message.text(v.VOTE_SAID["unknown"]))
        return None
    if await store.participant(ctx.db, sid, person) is None:
        await ctx.respond(Message.text(v.VOTE_SAID["not_invited"]))
        return None
    return row


async def show_button(ctx: Context, action: Action) -> None:
    """Previous / Next, or an item chosen on the finished ballot: that item, in place."""
    found = _ids(action.value)
    if found is None:
        await ctx.respond(Message.text("⛔ This button is not one of mine."))
        return
    row = await _ballot_row(ctx, found[0], action.user)
    if row is None:
        return
    items = await store.items(ctx.db, row.session_id)
    position = found[1] if any(i.position == found[1] for i in items) else None
    person = ctx.workspace.normal_user(action.user)
    await ballot.show(
        ctx.services, row, person, await _ballot_of(ctx, row.session_id, action.user), position=position
    )


async def reason_button(ctx: Context, action: Action) -> None:
    found = _ids(action.value)
    row = await _ballot_row(ctx, found[0], action.user) if found else None
    if found is None or row is None or not action.trigger:
        return
    if row.status != store.OPEN:
        await ctx.respond(Message.text(v.VOTE_SAID["revealed"]))
        return
    item = next((i for i in await store.items(ctx.db, row.session_id) if i.position == found[1]), None)
    if item is None:
        await ctx.respond(Message.text(v.VOTE_SAID["bad_item"]))
        return
    person = ctx.workspace.normal_user(action.user)
    mine = {x.position: x.label for x in await store.votes(ctx.db, row.session_id, person)}
    # Only ids: on Teams the dialog's data comes back from the client, so the ballot to update is the
    # one stored for this person, never a message the form names.
    state = f"{row.session_id}|{item.position}"
    await ctx.port.open_form(action.trigger, v.reason_form(row, item, mine.get(item.position), state))


async def reason_submitted(ctx: Context, submission: FormSubmission) -> FormErrors | None:
    parts = submission.state.split("|")
    if len(parts) != 2 or not parts[0].isdigit() or not parts[1].isdigit():
        return FormErrors({"label": "This form is not one of mine: open it again from your ballot."})
    label = str(submission.values.get("label") or "")
    if not label:
        return FormErrors({"label": "Pick a label."})
    reason = str(submission.values.get("reason") or "").strip()[:500] or None
    sid, position = int(parts[0]), int(parts[1])
    where = await _ballot_of(ctx, sid, submission.user)
    ctx.later(_vote(ctx, sid, position, submission.user, label, reason, where), "calibration vote")
    return None


async def link_button(ctx: Context, action: Action) -> None:
    """The item's link opens in the browser; the click itself needs nothing."""


# ----- progress and reveal -------------------------------------------------------------------


async def _may_run(ctx: Context, row: CalibrationSession) -> bool:
    person = ctx.workspace.normal_user(ctx.user or "")
    return person == row.facilitator or (await ctx.roles()).has(*RUNNERS)


def _number(args: list[str]) -> int:
    found = NUMBER.match(args[0]) if len(args) == 1 else None
    if found is None:
        raise UsageError(md("Name one session: `{}`", command("calibrate status CAL-3")))
    return int(found.group(1))


async def status_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/calibrate status ID`: who has finished, who has not, and Reveal now."""
    row = await store.get(ctx.db, _number(args))
    if row is None:
        await ctx.respond(Message.text(v.VOTE_SAID["unknown"]))
        return
    if not await _may_run(ctx, row):
        await ctx.respond(Message.text(NOT_ALLOWED))
        return
    await ctx.respond(await lifecycle.progress_message(ctx.services, row))


async def list_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/calibrate list`: open sessions and those revealed in the last 30 days that this person may
    see (admins and trainers all; others those they run or rate, vendor leads their vendors')."""
    roles = await ctx.roles()
    where = store.visible_to(roles.user, roles.has(*RUNNERS), sorted(roles.lead_of))
    rows = await store.listing(ctx.db, where, ctx.now() - RECENT)
    finished: dict[int, tuple[int, int]] = {}
    for row in rows:
        members = await store.participants(ctx.db, row.session_id)
        finished[row.session_id] = (sum(m.finished_at is not None for m in members), len(members))
    await ctx.respond(rv.list_message(rows, finished, ctx.workspace.tz))


async def trend_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/calibrate trend [QUEUE|VENDOR]`: agreement per vendor and queue across sessions; vendor leads
    see their own vendors'."""
    roles = await ctx.roles()
    vendors = None if roles.has(*RUNNERS) else sorted(roles.lead_of)
    scope = args[0].lower() if args else ""
    ws = ctx.workspace
    if len(args) > 1 or (scope and ws.queue(scope) is None and scope not in {x.id for x in ws.vendors}):
        raise UsageError(
            md("Name one queue or vendor of the workspace file: `{}`", command("calibrate trend hate-en"))
        )
    rows = await store.results(ctx.db, vendors)
    if scope:
        rows = [(r, t) for r, t in rows if scope in (r.queue, r.vendor)]
    names = {**{q.id: q.name for q in ws.queues}, **{x.id: x.name for x in ws.vendors}}
    await ctx.respond(rv.trend_message(rows, names, ws.tz, scope))


INVITE = Timer(lifecycle.INVITE_KIND, lifecycle.run_invite, give_up=lifecycle.invite_failed, max_attempts=8)
REMIND = Timer(lifecycle.REMIND_KIND, lifecycle.run_remind, max_attempts=5)
REVEAL = Timer(lifecycle.REVEAL_KIND, reveal.run_reveal, give_up=reveal.reveal_failed, max_attempts=10)
POST = Timer(lifecycle.POST_KIND, reveal.run_post, give_up=reveal.reveal_failed, max_attempts=5)


def register(router: Router) -> None:
    router.jobs(uploads.jobs)
    router.command("calibrate", SUMMARY)
    router.subcommand(
        "calibrate",
        "new",
        new_command,
        usage="/calibrate new",
        roles=RUNNERS,
        summary="create a blind calibration session (a form)",
    )
    router.subcommand(
        "calibrate",
        "status",
        status_command,
        usage="/calibrate status CAL-ID",
        summary="who has finished rating, who has not, and Reveal now",
    )
    router.subcommand(
        "calibrate",
        "list",
        list_command,
        usage="/calibrate list",
        summary="open and recent sessions you can see",
    )
    router.subcommand(
        "calibrate",
        "trend",
        trend_command,
        usage="/calibrate trend [QUEUE|VENDOR]",
        summary="agreement per vendor and queue across sessions",
        roles=(Role.ADMIN, Role.TRAINER, Role.VENDOR_LEAD),
    )
    router.action(v.OPEN_FORM, open_form_button)
    router.action(v.VOTE, vote_button)
    router.action(v.SHOW, show_button)
    router.action(v.GOTO, show_button)
    router.action(v.REASON, reason_button)
    router.action(v.LINK, link_button)
    router.action(v.REVEAL, reveal_actions.reveal_button)
    router.action(v.REPOST, reveal_actions.repost_button)
    router.action(v.UPLOAD_FORM, upload_form_button)
    router.on_file(uploads.file_shared, first=True)  # before queue data's, which takes any CSV
    router.form(v.NEW_FORM, new_submitted)
    router.form(v.REASON_FORM, reason_submitted)
    for timer in (INVITE, REMIND, REVEAL, POST):
        router.timer(timer)
