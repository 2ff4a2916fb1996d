"""What appeals register: `/quality mine` (a labeler's audited disagreements with the Appeal button),
the appeal form, the review buttons and form in the review thread, `/appeals [report]`, the weekly DM
job and the durable timers (lifecycle.py). `tsqa appeals report` is cli.py."""

from __future__ import annotations

from datetime import date, timedelta

from bot import timers
from bot.chat.events import Action, Command, FormSubmission
from bot.chat.model import FormErrors, Message, md
from bot.context import Context
from bot.roles import Role
from bot.routing import Router, UsageError
from handlers.appeals import access, home, lifecycle, store, window
from handlers.appeals import views as v
from handlers.appeals.report import appeal_report
from handlers.appeals.report_views import report_message
from handlers.appeals.store import DecisionKey, Filing, Ruling
from storage.models.appeals import OPEN, OVERTURNED, UPHELD

NOT_MINE = "⛔ This button is not one of mine."
ALREADY = "You appealed this audit already"  # a retried submit finds this and closes quietly
OFF = "Appeals are not set up in this workspace (the workspace file has no `appeals:` section)."
REPORT_READERS = (Role.ADMIN, Role.TRAINER, Role.VENDOR_LEAD)
RECENT_APPEALS = timedelta(days=28)  # `/quality mine` also shows the outcome of appeals filed since


async def mine_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """Only for the asker: their own audited disagreements, ephemeral (Teams: their personal chat)."""
    person = ctx.workspace.normal_user(cmd.user)
    ids = await access.own_ids(ctx.db, person)
    if isinstance(ids, str):
        await ctx.respond(Message.text(md("{}", ids)))
        return
    now = ctx.now()
    settings = ctx.workspace.appeals
    since = window.opened_since(now, settings, ctx.workspace.tz) if settings else now - timedelta(days=7)
    items = await store.disagreements(ctx.db, ids, since)
    shown = {i.key for i in items}
    earlier = [a for a in await store.appeals_of(ctx.db, person, now - RECENT_APPEALS) if a.key not in shown]
    await ctx.respond(v.mine_message([*items, *earlier], ctx.workspace, now))


async def _appealable(ctx: Context, value: str, who: str) -> store.Audited | str:
    """The audited disagreement a button or form names, if this person may appeal it now; else why not."""
    settings = ctx.workspace.appeals
    key = DecisionKey.parse(value)
    if key is None:
        return NOT_MINE
    if settings is None:
        return OFF
    item = await store.audited(ctx.db, key)
    if item is None or not await access.owns(ctx.db, ctx.workspace.normal_user(who), item):
        return "⛔ You can appeal audits of your own decisions only."
    if item.status is not None:
        return f"{ALREADY}: appeal #{item.appeal_id} is {_said(item.status)}."
    if not window.is_open(item.audited_at, ctx.now(), settings, ctx.workspace.tz):
        closes = window.closes_on(item.audited_at, settings, ctx.workspace.tz)
        return v.late_text(closes, item.audited_at.astimezone(ctx.workspace.tz).date())
    return item


def _said(status: str) -> str:
    return v.STATUS_WORDS.get(status, status)


async def appeal_button(ctx: Context, action: Action) -> None:
    found = await _appealable(ctx, action.value, action.user)
    if isinstance(found, str):
        await ctx.respond(Message.text(md("{}", found)))
        return
    if action.trigger:
        closes = window.closes_on(found.audited_at, ctx.workspace.appeals, ctx.workspace.tz)  # type: ignore[arg-type]
        await ctx.port.open_form(action.trigger, v.appeal_form(found, ctx.workspace, closes))


def _text(submission: FormSubmission, name: str) -> str:
    """A text field or a single choice, stripped; "" when absent or of another shape."""
    value = submission.values.get(name)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value.strip() if isinstance(value, str) else ""


async def appeal_submitted(ctx: Context, submission: FormSubmission) -> FormErrors | None:
    """Checked again in full (the window may have closed while the form was open); filed once."""
    found = await _appealable(ctx, submission.state, submission.user)
    if isinstance(found, str):
        if found.startswith(ALREADY):
            return None  # a retried or doubled submit: the first one filed it and was confirmed
        return FormErrors({"reason": found})
    reason, section = _text(submission, "reason"), _text(submission, "section")
    errors = {}
    if not reason:
        errors["reason"] = "Say why the verdict is wrong: the reviewer decides from this."
    elif len(reason) > v.MAX_REASON:
        errors["reason"] = f"Keep the reason within {v.MAX_REASON} characters (it has {len(reason)})."
    if not section:
        errors["section"] = "Name the policy section your label follows, e.g. 4.2."
    elif len(section) > v.MAX_SECTION:
        errors["section"] = f"Keep the section within {v.MAX_SECTION} characters."
    if errors:
        return FormErrors(errors)
    filing = Filing(ctx.workspace.normal_user(submission.user), reason, section)
    await store.file(ctx.db, ctx.workspace, found, filing, ctx.now())
    ctx.later(timers.run_due(ctx.services, ctx.services.timers), "appeal filed")
    return None


async def _reviewable(ctx: Context, appeal_id: str, who: str) -> store.Appeal | str:
    if ctx.workspace.appeals is None:
        return OFF
    if not appeal_id.isdigit() or len(appeal_id) > 12:
        return NOT_MINE
    appeal = await store.get(ctx.db, int(appeal_id))
    if appeal is None:
        return NOT_MINE
    refusal = await access.review_refusal(ctx.services, who, appeal)
    if refusal is not None:
        return "⛔ " + refusal
    if appeal.status != OPEN:
        return f"Appeal #{appeal.appeal_id} was {_said(appeal.status)} already."
    return appeal


async def review_button(ctx: Context, action: Action) -> None:
    outcome = OVERTURNED if action.action == v.OVERTURN else UPHELD
    found = await _reviewable(ctx, action.value, action.user)
    if isinstance(found, str):
        await ctx.respond(Message.text(md("{}", found)))
        return
    if action.trigger:
        await ctx.port.open_form(action.trigger, v.decide_form(found, outcome, ctx.workspace))


async def decide_submitted(ctx: Context, submission: FormSubmission) -> FormErrors | None:
    appeal_id, _, outcome = submission.state.partition("|")
    if outcome not in (UPHELD, OVERTURNED):
        return FormErrors({"note": NOT_MINE})
    found = await _reviewable(ctx, appeal_id, submission.user)
    reviewer = ctx.workspace.normal_user(submission.user)
    if isinstance(found, str):
        again = await store.get(ctx.db, int(appeal_id)) if appeal_id.isdigit() else None
        if again is not None and again.reviewer == reviewer and again.status == outcome:
            return None  # this reviewer's own submit, retried: already decided as asked
        return FormErrors({"note": found})
    note = _text(submission, "note")
    if not note:
        return FormErrors({"note": "Write a note for the labeler: why, with the policy section."})
    if len(note) > v.MAX_NOTE:
        return FormErrors({"note": f"Keep the note within {v.MAX_NOTE} characters."})
    right = None
    if outcome == OVERTURNED:
        right = _text(submission, "label")
        allowed = v.right_labels(found, ctx.workspace)
        if right not in allowed:
            return FormErrors({"label": f"Choose the right label: {', '.join(map(v.label, allowed))}."})
    ruling = Ruling(outcome, reviewer, note, right)
    appeal, won = await store.decide(ctx.db, found.appeal_id, ruling, ctx.now())
    if not won and appeal is not None and not (appeal.reviewer == reviewer and appeal.status == outcome):
        return FormErrors(
            {"note": f"Appeal #{appeal.appeal_id} was {_said(appeal.status)} meanwhile by someone else."}
        )
    ctx.later(timers.run_due(ctx.services, ctx.services.timers), "appeal decided")
    return None


async def appeals_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    if args:
        raise UsageError(md("I don't know `{}`.", " ".join(args)))
    roles = await ctx.roles()
    count = None
    if roles.has(Role.ADMIN, Role.TRAINER) or ctx.workspace.normal_user(cmd.user) in await access.reviewers(
        ctx.services
    ):
        count = await store.open_count(ctx.db)
    await ctx.respond(v.usage(ctx.workspace.appeals, count))


def parse_since(args: list[str], today: date) -> date:
    """`[since] YYYY-MM-DD`; the last 28 days when none is given."""
    words = [w for w in args if w.lower() != "since"]
    if not words:
        return today - timedelta(days=27)
    if len(words) > 1:
        raise UsageError(md("Give one day, like `since {}`.", (today - timedelta(days=28)).isoformat()))
    try:
        since = date.fromisoformat(words[0])
    except ValueError:
        raise UsageError(md("“{}” is not a day like 2026-11-01.", words[0])) from None
    if since > today:
        raise UsageError(md("{} is in the future.", since.isoformat()))
    return since


async def report_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    today = ctx.now().astimezone(ctx.workspace.tz).date()
    since = parse_since(args, today)
    roles = await ctx.roles()
    vendors = None if roles.has(Role.ADMIN, Role.TRAINER) else frozenset(roles.lead_of)
    report = await appeal_report(ctx.db, ctx.workspace, since, today, vendors)
    await ctx.respond(report_message(report, ctx.workspace))


def register(router: Router) -> None:
    router.subcommand("quality", "mine", mine_command, usage="/quality mine",
                      summary="your own audited disagreements, with an Appeal button")  # fmt: skip
    router.command("appeals", "appeals on QA verdicts: what waits for review, appeal and overturn rates")
    router.subcommand("appeals", "report", report_command, usage="/appeals report [since YYYY-MM-DD]",
                      summary="appeal rate, overturn rate and time to decide per queue, vendor and auditor",
                      roles=REPORT_READERS)  # fmt: skip
    router.subcommand("appeals", "", appeals_command, usage="/appeals",
                      summary="what appeals do here, and how many wait for a decision")  # fmt: skip
    router.action(v.APPEAL, appeal_button)
    router.action(v.UPHOLD, review_button)
    router.action(v.OVERTURN, review_button)
    router.form(v.FILE_FORM, appeal_submitted)
    router.form(v.DECIDE_FORM, decide_submitted)
    router.home_section(home.home)
    router.jobs(lifecycle.jobs)
    for timer in lifecycle.TIMERS:
        router.timer(timer)
