"""What the digest capability registers: /digest, the Breakdown button, the request form, the home
section, uploaded CSVs, and the scheduled jobs (digests, watched folder, retention)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.chat.events import Action, Command, FormSubmission
from bot.chat.model import FormErrors, Message, MessageRef, Part
from bot.context import Context, Services
from bot.roles import Role
from bot.routing import Job, Router, UsageError
from bot.usage import refused
from bot.workspace import Workspace
from handlers.digest import files, views
from handlers.digest.examples import load_example_data
from handlers.digest.posting import catch_up, chart_in_thread, post_due
from handlers.digest.service import digest_for_day, latest_day, scope_queues
from storage.claims import claim

SUMMARY = "daily queue output per vendor, site and queue against target: SLA, handle time, quality, backlog"


def parse_scope(workspace: Workspace, words: list[str], today: date) -> tuple[list[str] | None, str, date]:
    """`[queue|vendor] [YYYY-MM-DD|yesterday|today]` in any order → (queues, label, day)."""
    queues: list[str] = []
    vendors: list[str] = []
    day = today - timedelta(days=1)
    for word in words:
        lowered = word.lower()
        if workspace.queue(lowered):
            queues.append(lowered)
        elif workspace.vendor(lowered):
            vendors.append(lowered)
        elif lowered in ("yesterday", "today"):
            day = today - timedelta(days=1 if lowered == "yesterday" else 0)
        else:
            try:
                day = date.fromisoformat(word)
            except ValueError:
                known = ", ".join([q.id for q in workspace.queues] + [v.id for v in workspace.vendors])
                raise UsageError(
                    f"`{word}` is neither a queue or vendor ({known}) nor a date like 2026-11-23"
                ) from None
    if day > today:
        raise UsageError(f"{day} is in the future; pick a day up to {today}")
    chosen = scope_queues(workspace, queues, vendors)
    label = ", ".join(queues + vendors) or "all queues"
    return chosen, label, day


def local_today(ctx: Context) -> date:
    return ctx.now().astimezone(ctx.workspace.tz).date()


async def _digest(
    ctx: Context, queues: list[str] | None, label: str, day: date, *, in_channel: bool = False
) -> tuple[dict, Message]:
    digest = await digest_for_day(ctx.db, ctx.workspace, day, queues=queues)
    if digest["overall"]["output"] == 0:
        latest = await latest_day(ctx.db, ctx.workspace)
        message = views.no_data(day, label)
        if latest:
            message = Message.text(
                f"{message.summary}\nThe latest day with data is {latest}: try `/digest {latest}`."
            )
        return digest, message
    title = f"Queue digest · {label}"
    return digest, views.digest_message(digest, title=title, in_channel=in_channel, scope=queues)


# Vendors are often competitors: a vendor lead sees and posts their own vendor's figures only.
DIGEST_READERS = (Role.ADMIN, Role.TRAINER, Role.VENDOR_LEAD)


async def own_scope(
    ctx: Context, queues: list[str] | None, label: str
) -> tuple[list[str] | None, str] | None:
    """The scope this person may see: theirs unchanged for QA staff, narrowed to a vendor lead's own
    vendor, or None (after saying why) when they asked for another vendor's queues."""
    roles = await ctx.roles()
    if roles.has(Role.ADMIN, Role.TRAINER):
        return queues, label
    allowed = sorted(q.id for q in ctx.workspace.queues if q.vendor in roles.lead_of)
    if queues is None:
        return allowed, ", ".join(sorted(roles.lead_of))
    if set(queues) <= set(allowed):
        return queues, label
    vendors = ", ".join(sorted(roles.lead_of))
    await ctx.respond(Message.text(f":no_entry: You lead {vendors}: you can see and post its queues only."))
    return None


async def show_digest(ctx: Context, cmd: Command, args: list[str]) -> None:
    queues, label, day = parse_scope(ctx.workspace, args, local_today(ctx))
    if (scope := await own_scope(ctx, queues, label)) is None:
        return
    _, message = await _digest(ctx, *scope, day)
    await ctx.respond(message)


async def post_to_channel(ctx: Context, cmd: Command, args: list[str]) -> None:
    queues, label, day = parse_scope(ctx.workspace, args, local_today(ctx))
    if (scope := await own_scope(ctx, queues, label)) is None:
        return
    queues, label = scope
    digest, message = await _digest(ctx, queues, label, day, in_channel=True)
    if digest["overall"]["output"] == 0:
        await ctx.respond(message)
        return
    ref = await ctx.port.post(cmd.channel, message)
    await ctx.respond(Message.text(f"Posted the digest for {label} on {day}."))
    ctx.later(chart_in_thread(ctx.services, ref, day, ctx.workspace.timezone, queues), "digest chart")


async def breakdown(ctx: Context, action: Action) -> None:
    day, tz, queues = views.parse_button_value(action.value)
    digest = await digest_for_day(ctx.db, ctx.workspace, day, tz=tz, queues=queues)
    message = views.breakdown_message(digest)
    if not (action.channel and action.message_ts):
        await ctx.respond(message)
        return
    thread = MessageRef(action.channel, action.thread_ts or action.message_ts)
    if not await claim(ctx.db, f"breakdown:{thread.channel}:{thread.ts}", "breakdown", ctx.now()):
        await ctx.respond(Message.text("The breakdown is already in this digest's thread."))
        return
    await ctx.port.reply(thread, message)


async def open_request_form(ctx: Context, action: Action) -> None:
    if not (await ctx.roles()).has(*DIGEST_READERS):
        await ctx.respond(refused("/digest", DIGEST_READERS))
        return
    if action.trigger:
        await ctx.port.open_form(
            action.trigger, views.request_form(ctx.workspace, local_today(ctx) - timedelta(days=1))
        )


async def request_submitted(ctx: Context, submission: FormSubmission) -> FormErrors | None:
    """Checked within the ack budget; the digest itself follows as a DM."""
    raw = str(submission.values.get("day") or "").strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return FormErrors({"day": f"“{raw}” is not a date: use YYYY-MM-DD, e.g. 2026-11-23"})
    today = local_today(ctx)
    if day > today:
        return FormErrors({"day": f"{day} is in the future: pick a day up to {today}"})
    queue = submission.values.get("queue")
    queues = None if queue in (None, views.ALL_QUEUES) else [str(queue)]
    label = str(queue) if queues else "all queues"

    async def answer() -> None:
        if (scope := await own_scope(ctx, queues, label)) is None:
            return
        _, message = await _digest(ctx, *scope, day)
        await ctx.port.dm(submission.user, message)

    ctx.later(answer(), "digest request")
    return None


async def home(ctx: Context) -> list[Part]:
    if not (await ctx.roles()).has(*DIGEST_READERS):
        return []
    return views.home_section(await latest_day(ctx.db, ctx.workspace))


async def seed_example_data(services: Services) -> None:
    """A new local workspace starts with four weeks of synthetic queue data ending yesterday."""
    today = services.clock().astimezone(services.workspace.tz).date()
    await load_example_data(services.db, services.workspace, today)


def jobs(workspace: Workspace) -> list[Job]:
    found = []
    for index, schedule in enumerate(workspace.digests):
        hour, minute = map(int, schedule.at.split(":"))
        tz = ZoneInfo(schedule.timezone or workspace.timezone)

        async def run(services: Services, schedule=schedule) -> None:  # noqa: ANN001 - bound per entry
            await post_due(services, schedule)

        found.append(
            Job(f"digest.{index}.{schedule.channel}", CronTrigger(hour=hour, minute=minute, timezone=tz), run)
        )
    if workspace.ingest.watch_dir:
        found.append(
            Job(
                "digest.watch-dir",
                IntervalTrigger(seconds=workspace.ingest.watch_seconds),
                files.poll_watch_dir,
            )
        )
    found.append(
        Job("digest.retention", CronTrigger(hour=3, minute=17, timezone=workspace.tz), files.purge_expired)
    )
    return found


def register(router: Router) -> None:
    router.command("digest", SUMMARY)
    router.subcommand(
        "digest", "", show_digest, usage="/digest [queue|vendor] [YYYY-MM-DD]",
        summary="yesterday's (or that day's) figures, only to you",
        roles=DIGEST_READERS,
    )  # fmt: skip
    router.subcommand(
        "digest", "post", post_to_channel, usage="/digest post [queue|vendor] [YYYY-MM-DD]",
        summary="post the digest into this channel (admins; vendor leads for their vendor)",
        roles=[Role.ADMIN, Role.VENDOR_LEAD],
    )  # fmt: skip
    router.action(views.BREAKDOWN, breakdown)
    router.action(views.OPEN_REQUEST_FORM, open_request_form)
    router.form(views.REQUEST_FORM, request_submitted)
    router.home_section(home)
    router.on_file(files.file_shared)
    router.jobs(jobs)
    router.on_startup(catch_up)
    router.on_local_seed(seed_example_data)
