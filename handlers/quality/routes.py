"""What the quality capability registers: `/quality [queue|vendor|site] [since YYYY-MM-DD]` (admins,
trainers; vendor leads for their own vendor), its report in a DM with charts and the CSV of audited
errors, the recommendation buttons, and `tsqa quality report` (cli.py)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from bot import once
from bot.chat.events import Action, Command
from bot.chat.model import Message, MessageRef, channel, md
from bot.context import Context
from bot.exports import attach_csv
from bot.roles import Role, UserRoles
from bot.routing import Router, UsageError
from bot.workspace import Workspace
from handlers.calibration import routes as calibration_routes
from handlers.quality import charts, export, recommend
from handlers.quality import views as v
from handlers.quality.analysis import report_for
from handlers.quality.report import QualityReport
from handlers.quality.scope import Scope, default_period, kept_since
from handlers.quiz import assign, assign_views

SUMMARY = "error analysis from QA audits: quality with intervals, where labelers and QA disagree, what to do"
READERS = (Role.ADMIN, Role.TRAINER, Role.VENDOR_LEAD)
ACTORS = (Role.ADMIN, Role.TRAINER)
USAGE = "/quality [QUEUE|VENDOR|SITE] [since YYYY-MM-DD]"
CHARTS_SHOWN = 3  # confusion heatmaps per report (one per queue); the trend chart comes first


def _vendor_of(scope: Scope, ws: Workspace) -> set[str]:
    """The vendors a scope's decisions belong to (a site may be shared by name between vendors)."""
    if scope.kind == "queue":
        queue = ws.queue(scope.id or "")
        return {queue.vendor} if queue else set()
    if scope.kind == "vendor":
        return {scope.id or ""}
    if scope.kind == "site":
        return {v.id for v in ws.vendors if scope.id in v.sites} | {
            q.vendor for q in ws.queues if q.site == scope.id
        }
    return {v.id for v in ws.vendors}


def scoped(roles: UserRoles, scope: Scope, ws: Workspace) -> Scope:
    """The scope this person may read: everything for admins and trainers; a vendor lead their own
    vendor's queues, vendor or sites (no scope means their vendor, when they lead one)."""
    if roles.has(*ACTORS):
        return scope
    if scope.kind == "all":
        if len(roles.lead_of) != 1:
            raise UsageError(md("Name your vendor: `/quality {}`", " | ".join(sorted(roles.lead_of))))
        return Scope("vendor", next(iter(roles.lead_of)))
    if not _vendor_of(scope, ws) or not _vendor_of(scope, ws) <= set(roles.lead_of):
        raise UsageError(
            md("⛔ You can read your own vendor's quality only ({}).", ", ".join(sorted(roles.lead_of)))
        )
    return scope


def parse(args: list[str], ws: Workspace, today: date) -> tuple[Scope, date | None]:
    """`[QUEUE|VENDOR|SITE] [since YYYY-MM-DD]`, in either order; UsageError says what is wrong."""
    words = list(args)
    since = None
    if "since" in [w.lower() for w in words]:
        at = [w.lower() for w in words].index("since")
        if at + 1 >= len(words):
            raise UsageError(
                md("Give a day after `since`, e.g. `since {}`", (today - timedelta(days=28)).isoformat())
            )
        try:
            since = date.fromisoformat(words[at + 1])
        except ValueError:
            raise UsageError(md("“{}” is not a day like 2026-11-01.", words[at + 1])) from None
        if since > today:
            raise UsageError(md("{} is in the future.", since.isoformat()))
        del words[at : at + 2]
    if len(words) > 1:
        raise UsageError(md("Name one queue, vendor or site, not “{}”.", " ".join(words)))
    try:
        scope = Scope.parse(words[0] if words else None, ws)
    except ValueError as exc:
        raise UsageError(md("{}.", str(exc))) from None
    return scope, since


async def quality_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """The report comes as a DM (figures about people are not for a channel), then its files."""
    ws = ctx.workspace
    today = ctx.now().astimezone(ws.tz).date()
    asked, since = parse(args, ws, today)
    scope = scoped(await ctx.roles(), asked, ws)
    first, until = default_period(ws, today)
    since, clamped_from = kept_since(ws, since or first, today)
    await ctx.respond(
        Message.text(md("The quality report for {} is on its way to our DM.", scope.describe()))
    )
    ctx.later(_report(ctx, scope, since, until, clamped_from), "quality report")


async def _report(ctx: Context, scope: Scope, since: date, until: date, clamped_from: date | None) -> None:
    assert ctx.user is not None
    report, table = await report_for(ctx.db, ctx.workspace, scope, since, until, clamped_from=clamped_from)
    recs = await recommend.recommendations(ctx.services, report)
    for_vendor_lead = not (await ctx.roles()).has(*ACTORS)
    message = v.quality_message(report, ctx.workspace, recs, for_vendor_lead=for_vendor_lead)
    ref = await ctx.port.dm(ctx.user, message)
    if report.overall is not None and report.overall.audited:
        await _files(ctx, ref, report, table)


async def _files(ctx: Context, ref: MessageRef, report: QualityReport, table: object) -> None:
    """The trend and the heatmaps, then the CSV of audited errors, under the report; drawn off the loop."""
    name = f"quality-{report.scope.id or 'all'}-{report.since.isoformat()}"
    overall = report.overall
    if overall is not None and overall.weeks:
        png = await asyncio.to_thread(charts.trend_chart, overall)
        await ctx.port.upload_file(ref.channel, f"{name}-trend.png", png, title="Quality by week", thread=ref)
    for confusion in report.confusion[:CHARTS_SHOWN]:
        png = await asyncio.to_thread(charts.confusion_chart, confusion)
        await ctx.port.upload_file(ref.channel, f"{name}-{confusion.queue}-confusion.png", png,
                                   title=f"{confusion.queue}: labeler × QA", thread=ref)  # fmt: skip
    content = await asyncio.to_thread(
        export.errors_csv, table, ctx.workspace, scope=report.scope, since=report.since, until=report.until,
        tz=ctx.workspace.timezone,
    )  # fmt: skip
    await attach_csv(ctx.port, ref, f"{name}-errors.csv", content, "Audited errors", csv_command(report))


def csv_command(report: QualityReport) -> str:
    """The `tsqa` command that writes this report's very CSV: its scope and both ends of its period."""
    scope = report.scope
    where = f" --{scope.kind} {scope.id}" if scope.kind != "all" else ""
    return (
        f"quality report{where} --since {report.since.isoformat()} --until {report.until.isoformat()} "
        "--csv FILE"
    )


async def calibrate_button(ctx: Context, action: Action) -> None:
    """A session on a recommendation's items: the form with the queue, a title and the items picked
    from that error pair's audited disagreements; the results go to the vendor's channel."""
    queue_id, _, pair = action.value.partition("|")
    decision, _, qa_decision = pair.partition("|")
    queue = ctx.workspace.queue(queue_id)
    if queue is None or not decision or not qa_decision:
        await ctx.respond(Message.text("⛔ This button is not one of mine."))
        return
    vendor = ctx.workspace.vendor(queue.vendor)
    # Neutral: the title shows on every ballot, so it must not name the audited pair (a hint).
    today = ctx.now().astimezone(ctx.workspace.tz).date()
    title = f"{queue.name} calibration (quality report {today.isoformat()})"
    prefill = calibration_routes.Prefill(queue.id, (decision, qa_decision), title)
    where = vendor.channel if vendor else action.channel or ""
    await calibration_routes.open_prefilled(ctx, action.trigger, where, prefill)


async def refresher_button(ctx: Context, action: Action) -> None:
    """Assign the policy's refresher quiz to the vendor's channel (admins and trainers)."""
    if not (await ctx.roles()).has(*ACTORS):
        await ctx.respond(Message.text("⛔ Only trainers and admins assign quizzes."))
        return
    topic, _, vendor_id = action.value.partition("|")
    vendor = ctx.workspace.vendor(vendor_id)
    if vendor is None or not topic:
        await ctx.respond(Message.text("⛔ This button is not one of mine."))
        return
    due = ctx.now().astimezone(ctx.workspace.tz).date() + timedelta(days=7)
    request = assign.Request(topic, (assign.Target("channel", vendor.channel),), due)
    summary = await assign.assign(ctx.services, request, ctx.workspace.normal_user(action.user))
    if summary is None:
        await ctx.respond(Message.text(md("⛔ I know no quiz `{}` any more.", topic)))
        return
    await ctx.respond(assign_views.summary_message(summary))


async def ask_owner_button(ctx: Context, action: Action) -> None:
    """When the QA auditors disagree among themselves, the policy's owners are asked in their channel,
    once per pair and week however often it is clicked."""
    if not (await ctx.roles()).has(*ACTORS):
        await ctx.respond(Message.text("⛔ Only trainers and admins ask the policy owners from here."))
        return
    parts = action.value.split("|")
    settings = ctx.workspace.policy
    if (
        len(parts) != 4
        or settings is None
        or settings.owners_channel is None
        or ctx.workspace.queue(parts[0]) is None
    ):
        await ctx.respond(Message.text("⛔ There is no policy owners' channel to ask in."))
        return
    queue, decision, qa_decision, policy_id = parts
    week = ctx.now().astimezone(ctx.workspace.tz).strftime("%G-W%V")
    text = md(
        "QA auditors disagree among themselves on *{}* between *{}* and *{}* (policy `{}`). Asked by a QA "
        "lead from the quality report: please say which applies, and why.",
        queue, decision.replace("_", " "), qa_decision.replace("_", " "), policy_id,
    )  # fmt: skip
    key = f"quality-ask:{queue}:{decision}:{qa_decision}:{policy_id}:{week}"
    taken = await once.post(ctx.services, key, "quality", settings.owners_channel, Message.text(text))
    where = channel(settings.owners_channel)
    said = md("Asked in {}.", where) if taken.won else md("Already asked in {} this week.", where)
    await ctx.respond(Message.text(said))


def register(router: Router) -> None:
    router.command("quality", SUMMARY)
    router.subcommand("quality", "", quality_command, usage=USAGE,
                      summary="the error analysis of a queue, vendor or site, with what to do next",
                      roles=READERS)  # fmt: skip
    router.action(v.CALIBRATE, calibrate_button)
    router.action(v.REFRESHER, refresher_button)
    router.action(v.ASK_OWNER, ask_owner_button)
