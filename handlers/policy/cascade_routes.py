"""What cascading registers: `/policy publish` and `/policy cascade`, the acknowledge button, the
reminder and publish timers, the daily membership refresh, and the quiz's pass listener."""

from __future__ import annotations

from datetime import date

from apscheduler.triggers.cron import CronTrigger

from bot.chat.events import Action, Command
from bot.chat.model import Message, command, md
from bot.context import Context, Services
from bot.roles import Role
from bot.routing import Job, Router, Timer, UsageError
from bot.workspace import Workspace
from handlers.policy import (
    cascade,
    cascade_members,
    cascade_reminders,
    cascade_status,
    cascade_targets,
    store,
)
from handlers.policy import cascade_views as views
from handlers.quiz import assign, attempts
from handlers.quiz import routes as quiz_routes
from storage import claims

REFRESH_HOUR = 6  # before the 09:00 reminders, so they reach who is in the channels that day


def _rest(cmd: Command) -> str:
    parts = cmd.text.split(None, 1)
    return parts[1] if len(parts) > 1 else ""


async def publish_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/policy publish …` (admins: the router checks): the publisher gets the summary."""
    today = ctx.now().astimezone(ctx.workspace.tz).date()
    req = cascade_targets.parse(_rest(cmd), ctx.workspace, today)
    try:
        done = await cascade.publish(ctx.services, req, cmd.user)
    except cascade.PublishError as exc:
        await ctx.respond(Message.text(exc.message))
        return
    await ctx.respond(views.published_message(done))


async def status_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/policy cascade ID`: admins and trainers see every channel, a vendor lead their vendors'."""
    if len(args) != 1:
        raise UsageError(md("Name one policy: `{}`", command("policy cascade ID")))
    found = await cascade_status.latest_cascade(ctx.services, args[0].lower())
    policy = found and await store.get(ctx.db, found.policy_id, found.version)
    if found is None or policy is None:
        text = md("No update of `{}` has been published yet: `{}`.", args[0], command(cascade_targets.USAGE))
        await ctx.respond(Message.text(text))
        return
    now = await cascade_status.status(ctx.services, found)
    roles = await ctx.roles()
    if not roles.has(Role.ADMIN, Role.TRAINER):
        mine = tuple(c for c in now.channels if c.vendor in roles.lead_of)
        now = cascade_status.Status(now.cascade, mine)
    await ctx.respond(views.status_message(ctx.workspace, policy, now))


async def ack_button(ctx: Context, action: Action) -> None:
    """The first click records; with a quiz, it starts the quiz in the person's DM, and a later click
    starts it again for someone who has not passed it and has no attempt open (the first start may
    have failed)."""
    if not action.value.isdigit():
        await ctx.respond(Message.text("⛔ This button is not one of mine."))
        return
    done = await cascade_members.acknowledge(ctx.services, int(action.value), action.user, action.channel)
    row = done.cascade
    if row is None:
        await ctx.respond(views.acknowledged_message("", "", "unknown"))
        return
    policy = await store.get(ctx.db, row.policy_id, row.version)
    await ctx.respond(
        views.acknowledged_message(policy.title if policy else row.policy_id, row.version, done.outcome)
    )
    if row.quiz_topic and (
        done.outcome == "recorded" or await _quiz_owed(ctx, done, action.user, row.quiz_topic)
    ):
        start = Command("quiz", row.quiz_topic, action.user, action.channel or "")
        await quiz_routes.take(ctx, start, [row.quiz_topic])


async def _quiz_owed(ctx: Context, done: cascade_members.Acknowledged, user: str, topic: str) -> bool:
    if done.outcome != "already" or done.passed:
        return False
    return await attempts.open_attempt(ctx.db, user, topic) is None


async def run_publish(services: Services, taken: claims.Taken) -> str:
    """The `policy.publish` timer a CLI queued: the running bot posts it and tells the admins."""
    payload = taken.payload or {}
    targets = tuple(cascade_targets.Target(t["channel"], t.get("vendor")) for t in payload["targets"])
    req = cascade_targets.Request(
        payload["policy"], targets, date.fromisoformat(payload["ack_by"]), payload.get("quiz")
    )
    try:
        done = await cascade.publish(services, req, payload.get("by", "cli"))
    except cascade.PublishError as exc:
        await services.tell_admins(Message.text(exc.message), key=f"{taken.key}:told")
        return "refused"
    await services.tell_admins(views.published_message(done), key=f"{taken.key}:told")
    return ",".join(f"{channel}={outcome}" for channel, outcome in done.outcomes.items())


async def _refresh(services: Services) -> None:
    await cascade_members.refresh(services)


def jobs(workspace: Workspace) -> list[Job]:
    return [
        Job(
            "policy.cascade-refresh",
            CronTrigger(hour=REFRESH_HOUR, minute=0, timezone=workspace.tz),
            _refresh,
        )
    ]


REMIND = Timer(cascade_reminders.REMIND_KIND, cascade_reminders.run_reminder, max_attempts=5)
SUMMARY = Timer(cascade_reminders.SUMMARY_KIND, cascade_reminders.run_summary, max_attempts=5)
PUBLISH = Timer(cascade.PUBLISH_KIND, run_publish, max_attempts=5)


def register(router: Router) -> None:
    router.subcommand(
        "policy", "publish", publish_command, usage=cascade_targets.USAGE,
        summary="post a policy update to vendor channels, with acknowledgement by a day",
        roles=[Role.ADMIN],
    )  # fmt: skip
    router.subcommand(
        "policy", "cascade", status_command, usage="/policy cascade ID",
        summary="who acknowledged the latest update, by vendor and channel, and who is pending",
        roles=[Role.ADMIN, Role.TRAINER, Role.VENDOR_LEAD],
    )  # fmt: skip
    router.action(views.ACK, ack_button)
    router.timer(REMIND)
    router.timer(SUMMARY)
    router.timer(PUBLISH)
    router.jobs(jobs)
    if (
        cascade_members.quiz_passed not in assign.PASS_LISTENERS
    ):  # one listener however many bots a process runs
        assign.PASS_LISTENERS.append(cascade_members.quiz_passed)
