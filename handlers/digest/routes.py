"""What the digest capability registers: /digest, the Breakdown button, the request form, the home
section and the scheduled digests. Queue data coming in is `handlers.queue_data`'s."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.chat.events import Action, Command, FormSubmission
from bot.chat.model import FormErrors, Message, MessageRef, Part, md, readable
from bot.context import Context, Services
from bot.roles import Role, UserRoles
from bot.routing import Job, Router, UsageError
from bot.usage import refused
from bot.workspace import Workspace
from handlers.digest import views
from handlers.digest.posting import CHART, POST, catch_up, post_due, post_once
from handlers.digest.service import digest_for_day, latest_day, open_escalations, scope_queues
from storage import claims

SUMMARY = "daily queue output per vendor, site and queue against target: SLA, handle time, quality, backlog"
# No queue data is older; anything earlier is a typo (and 0001-01-01 overflows day arithmetic).
EARLIEST_DAY = date(2000, 1, 1)


def check_day(day: date, today: date) -> str | None:
    """What is wrong with a requested day, or None."""
    if day > today:
        return f"{day} is in the future; pick a day up to {today}"
    if day < EARLIEST_DAY:
        return f"{day} is before {EARLIEST_DAY}; pick a day from {EARLIEST_DAY} to {today}"
    return None


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
                    md("`{}` is neither a queue or vendor ({}) nor a date like 2026-11-23", word, known)
                ) from None
    if problem := check_day(day, today):
        raise UsageError(problem)
    chosen = scope_queues(workspace, queues, vendors)
    label = ", ".join(queues + vendors) or "all queues"
    return chosen, label, day


def local_today(ctx: Context) -> date:
    return ctx.now().astimezone(ctx.workspace.tz).date()


async def _digest(
    ctx: Context, queues: list[str] | None, label: str, day: date, *, in_channel: bool = False
) -> tuple[dict, Message]:
    """`queues` is already within what the asker may see, so is the "latest day" hint."""
    digest = await digest_for_day(ctx.db, ctx.workspace, day, queues=queues)
    if digest["overall"]["output"] == 0:
        latest = await latest_day(ctx.db, ctx.workspace, queues)
        return digest, views.no_data(day, label, latest)
    title = md("Queue digest · {}", label)
    escalations = await open_escalations(ctx.db, digest)
    message = views.digest_message(
        digest, title=title, in_channel=in_channel, scope=queues, escalations=escalations, now=ctx.now()
    )
    return digest, message


# Vendors are often competitors: a vendor lead sees and posts their own vendor's figures only.
DIGEST_READERS = (Role.ADMIN, Role.TRAINER, Role.VENDOR_LEAD)


class OutOfScope(Exception):
    """Someone asked for figures they may not see; the message says why."""


def visible_queues(workspace: Workspace, roles: UserRoles, *, posting: bool = False) -> list[str] | None:
    """Every queue (None) for QA staff, a vendor lead's own vendor's queues, nothing for labelers.
    Into a channel only admins post every vendor's figures: a trainer who also leads a vendor posts
    that vendor's only."""
    if roles.is_admin or (roles.has(Role.TRAINER) and not posting):
        return None
    return sorted(q.id for q in workspace.queues if q.vendor in roles.lead_of)


def scope_for(
    workspace: Workspace, roles: UserRoles, queues: list[str] | None, label: str, *, posting: bool = False
) -> tuple[list[str] | None, str]:
    """The scope this person may see (or, `posting`, post): theirs unchanged for QA staff, all queues
    narrowed to a vendor lead's own; OutOfScope for another vendor's queues, for labelers and for
    queues nobody knows."""
    if unknown := [q for q in queues or [] if workspace.queue(q) is None]:
        raise OutOfScope(md("⛔ I know no queue {}.", ", ".join(unknown)))
    if not roles.has(*DIGEST_READERS):
        raise OutOfScope(refused("digest", DIGEST_READERS).summary)
    allowed = visible_queues(workspace, roles, posting=posting)
    if allowed is None:
        return queues, label
    if queues is None:
        return allowed, ", ".join(sorted(roles.lead_of))
    if set(queues) <= set(allowed):
        return queues, label
    vendors = ", ".join(sorted(roles.lead_of))
    raise OutOfScope(md("⛔ You lead {}: you can see and post its queues only.", vendors))


async def own_scope(
    ctx: Context, queues: list[str] | None, label: str, *, posting: bool = False
) -> tuple[list[str] | None, str] | None:
    """`scope_for` the asker, or None after telling them why not."""
    try:
        return scope_for(ctx.workspace, await ctx.roles(), queues, label, posting=posting)
    except OutOfScope as exc:
        await ctx.respond(Message.text(exc.args[0]))
        return None


async def show_digest(ctx: Context, cmd: Command, args: list[str]) -> None:
    queues, label, day = parse_scope(ctx.workspace, args, local_today(ctx))
    if (scope := await own_scope(ctx, queues, label)) is None:
        return
    _, message = await _digest(ctx, *scope, day)
    await ctx.respond(message)


async def post_to_channel(ctx: Context, cmd: Command, args: list[str]) -> None:
    """Counts as the scheduled post of the same channel, scope and day (and the other way round)."""
    queues, label, day = parse_scope(ctx.workspace, args, local_today(ctx))
    if (scope := await own_scope(ctx, queues, label, posting=True)) is None:
        return
    queues, label = scope
    digest, message = await _digest(ctx, queues, label, day, in_channel=True)
    if digest["overall"]["output"] == 0:
        await ctx.respond(message)
        return
    taken = await post_once(ctx.services, cmd.channel, day, ctx.workspace.timezone, queues, message)
    if taken.won:
        await ctx.respond(Message.text(md("Posted the digest for {} on {}.", label, day)))
    elif taken.done:
        link = await ctx.port.permalink(MessageRef(cmd.channel, taken.result or ""))
        already = md("The digest for {} on {} is already in this channel: {}", label, day, link)
        await ctx.respond(Message.text(already))
    else:
        await ctx.respond(Message.text(md("The digest for {} on {} is being posted right now.", label, day)))


def button_scope(ctx: Context, value: str) -> tuple[date, str, list[str] | None]:
    """A Breakdown button's day, timezone and queues, each checked: the value comes back from the
    client and anyone can forge it. Queues are checked against the clicker's rights by `scope_for`."""
    try:
        day, tz, queues = views.parse_button_value(value)
    except ValueError:
        raise OutOfScope("⛔ This button is not one of mine.") from None
    if tz not in ctx.workspace.timezones():  # any other would recompute from raw decisions
        raise OutOfScope(md("⛔ I keep no figures in the timezone {}.", tz))
    if problem := check_day(day, local_today(ctx)):
        raise OutOfScope(md("⛔ {}.", problem))
    return day, tz, queues


async def breakdown(ctx: Context, action: Action) -> None:
    """Into the digest's thread once, when the clicker could post this digest (`/digest post`'s
    roles); otherwise only to them, within what they may see."""
    try:
        day, tz, asked = button_scope(ctx, action.value)
        roles = await ctx.roles()
        queues, _ = scope_for(ctx.workspace, roles, asked, "")
    except OutOfScope as exc:
        await ctx.respond(Message.text(exc.args[0]))
        return
    digest = await digest_for_day(ctx.db, ctx.workspace, day, tz=tz, queues=queues)
    message = views.breakdown_message(digest)
    postable = visible_queues(ctx.workspace, roles, posting=True)
    may_post = postable is None or (
        asked is not None and roles.has(Role.VENDOR_LEAD) and set(asked) <= set(postable)
    )
    if not (action.channel and action.message_ts and may_post):
        await ctx.respond(message)
        return
    # Claimed by what it means (this digest's breakdown), so double clicks and replicas post it once.
    # A crash mid-post leaves a lease, not a lost breakdown: the next click finds the reply by its key.
    thread = MessageRef(action.channel, action.thread_ts or action.message_ts)
    key = f"breakdown:{thread.channel}:{thread.ts}"

    async def send(taken: claims.Taken) -> str:
        return (await ctx.port.reply(thread, message, key=key, look_first=taken.retaken)).ts

    taken = await claims.once(ctx.db, key, "breakdown", ctx.services.clock, send)
    if not taken.won:
        where = "already in" if taken.done else "already being posted in"
        await ctx.respond(Message.text(f"The breakdown is {where} this digest's thread."))


async def open_request_form(ctx: Context, action: Action) -> None:
    roles = await ctx.roles()
    if not roles.has(*DIGEST_READERS):
        await ctx.respond(refused("digest", DIGEST_READERS))
        return
    if action.trigger:
        default_day = local_today(ctx) - timedelta(days=1)
        form = views.request_form(ctx.workspace, default_day, visible_queues(ctx.workspace, roles))
        await ctx.port.open_form(action.trigger, form)


async def request_submitted(ctx: Context, submission: FormSubmission) -> FormErrors | None:
    """Checked within the ack budget, the queue against the submitter's rights (the form's options
    are a hint, not a check); the digest itself follows as a DM."""
    raw = str(submission.values.get("day") or "").strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return FormErrors({"day": f"“{raw}” is not a date: use YYYY-MM-DD, e.g. 2026-11-23"})
    if problem := check_day(day, local_today(ctx)):
        return FormErrors({"day": problem})
    queue = submission.values.get("queue")
    queues = None if queue in (None, views.ALL_QUEUES) else [str(queue)]
    try:
        scope = scope_for(ctx.workspace, await ctx.roles(), queues, str(queue) if queues else "all queues")
    except OutOfScope as exc:
        return FormErrors({"queue": readable(exc.args[0]).removeprefix("⛔ ")})

    async def answer() -> None:
        _, message = await _digest(ctx, *scope, day)
        await ctx.port.dm(submission.user, message)

    ctx.later(answer(), "digest request")
    return None


async def home(ctx: Context) -> list[Part]:
    roles = await ctx.roles()
    if not roles.has(*DIGEST_READERS):
        return []
    return views.home_section(await latest_day(ctx.db, ctx.workspace, visible_queues(ctx.workspace, roles)))


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
    if workspace.digests:  # a cron run missed (database down, a deploy at that minute) is made due here
        found.append(Job("digest.catch-up", IntervalTrigger(minutes=1), catch_up))
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
    router.jobs(jobs)
    router.timer(POST)
    router.timer(CHART)
    router.on_startup(catch_up)
