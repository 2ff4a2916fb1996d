"""Cascading a policy update: post it once in each target channel, track each member's acknowledgement
(and the quick check it starts), remind who is pending, and tell the owners and admins how it ended.

Once-only keys, by what they mean: the post `policy-cascade:{policy}:{version}:{channel}`, a reminder
timer `policy-cascade-remind:{cascade}:{day}` (09:00 workspace time, the day before and on the ack-by
day) and each person's reminder or summary DM under that timer's key. An acknowledgement is a
conditional update (`acked_at IS NULL`), so the first click counts and later ones change nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.chat.model import Markup, channel, md
from bot.chat.port import ChatError
from bot.context import Services
from bot.routing import UsageError
from bot.workspace import Workspace
from bot.workspace_ids import SLACK_CHANNEL, TEAMS_CHANNEL
from handlers.policy import cascade_views as views
from handlers.policy import store
from handlers.policy.changes import compare
from handlers.policy.model import Policy
from handlers.quiz import assign
from handlers.quiz import store as quiz_store
from storage import claims
from storage.claims import insert_once, schedule_in
from storage.models import PolicyCascade, PolicyCascadeMember, PolicyCascadeTarget

log = logging.getLogger("tsqa.policy")

PUBLISH_KIND = "policy.publish"
REMIND_KIND = "policy.cascade.remind"
REMIND_AT = time(9, 0)
USAGE = "/policy publish ID --to VENDOR|#channel … --ack-by YYYY-MM-DD [--quiz TOPIC]"

_CHANNEL_MENTION = re.compile(r"^<#([A-Za-z0-9]+)(?:\|[^>]*)?>$")
_TOKEN = re.compile(r"<[^>]*>|[^\s,]+")


# ----- what changed -----


@dataclass(frozen=True)
class Changes:
    """Section headings added, removed and changed since the previous version; `first` without one."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    first: bool = False


def changes(previous: Policy | None, current: Policy) -> Changes:
    """The headings of `/policy changes`' comparison (sections matched by anchor), for a few lines."""
    if previous is None:
        return Changes(first=True)
    found = compare(previous, current)

    def headings(kind: str) -> tuple[str, ...]:
        return tuple(c.section.heading or "Introduction" for c in found if c.kind == kind)

    return Changes(added=headings("added"), removed=headings("removed"), changed=headings("changed"))


def previous_version(versions: list[Policy], current: Policy) -> Policy | None:
    """The version loaded before `current` in (effective, load) order."""
    index = next((i for i, p in enumerate(versions) if p.version == current.version), 0)
    return versions[index - 1] if index > 0 else None


# ----- reading the command -----


@dataclass(frozen=True)
class Target:
    channel: str
    vendor: str | None = None


@dataclass(frozen=True)
class Request:
    policy_id: str
    targets: tuple[Target, ...]
    ack_by: date
    quiz: str | None = None


def target(token: str, ws: Workspace) -> Target | None:
    """A vendor id (its channel), a channel mention, ID or `#name` the workspace file lists."""
    if (vendor := ws.vendor(token.lower())) is not None:
        return Target(vendor.channel, vendor.id)
    found = _CHANNEL_MENTION.match(token)
    pattern = TEAMS_CHANNEL if ws.platform == "teams" else SLACK_CHANNEL
    channel_id = found[1] if found else token if pattern.match(token) else None
    if channel_id is None:
        name = token.removeprefix("#").lower()
        channel_id = next((c.id for c in ws.channels if c.name.lower() == name), None)
    if channel_id is None:
        return None
    owner = next((v.id for v in ws.vendors if v.channel == channel_id), None)
    return Target(channel_id, owner)


def request(
    policy_id: str, to: Iterable[str], ack_by: str | None, quiz: str | None, ws: Workspace, today: date
) -> Request:
    """The parts of a publish, checked against the workspace file; UsageError says what is wrong."""
    if ack_by is None:
        raise UsageError(md("Say by when to acknowledge: `--ack-by YYYY-MM-DD`"))
    try:
        due = date.fromisoformat(ack_by)
    except ValueError:
        raise UsageError(md("`{}` is not a day like 2026-12-31", ack_by)) from None
    if due < today:
        raise UsageError(md("{} has passed: give a day from today on", due.isoformat()))
    targets: list[Target] = []
    unknown: list[str] = []
    for token in to:
        if (found := target(token, ws)) is not None:
            targets.append(found)
        else:
            unknown.append(token)
    if unknown:
        named = md(", ").join(md("`{}`", w) for w in unknown)
        raise UsageError(md("I know no vendor or channel {} in the workspace file.", named))
    if not targets:
        raise UsageError(md("Say where to post it: `--to VENDOR` or `--to #channel`"))
    by_channel = {t.channel: t for t in targets}
    return Request(policy_id.lower(), tuple(by_channel.values()), due, quiz.lower() if quiz else None)


def parse(text: str, ws: Workspace, today: date) -> Request:
    """`ID --to A B … --ack-by DAY [--quiz TOPIC]` (after the verb)."""
    tokens = _TOKEN.findall(text)
    if not tokens or tokens[0].startswith("--"):
        raise UsageError(md("Name the policy: `{}`", USAGE))
    options: dict[str, list[str]] = {}
    current: list[str] | None = None
    for token in tokens[1:]:
        if token.startswith("--"):
            current = options.setdefault(token.lower(), [])
        elif current is None:
            raise UsageError(md("`{}` belongs to no option: `{}`", token, USAGE))
        else:
            current.append(token)
    if extra := set(options) - {"--to", "--ack-by", "--quiz"}:
        raise UsageError(md("I know no option {}: `{}`", ", ".join(sorted(extra)), USAGE))
    single = {name: (options.get(name) or [None])[0] for name in ("--ack-by", "--quiz")}
    return request(tokens[0], options.get("--to", []), single["--ack-by"], single["--quiz"], ws, today)


# ----- publishing -----

Posted = Literal["posted", "posted_before", "failed"]


@dataclass
class Published:
    policy: Policy
    cascade_id: int
    ack_by: date
    quiz_title: str | None
    outcomes: dict[str, Posted] = field(default_factory=dict)  # channel -> outcome
    members: dict[str, int] = field(default_factory=dict)  # channel -> members tracked
    problems: list[Markup] = field(default_factory=list)


class PublishError(Exception):
    """The policy or quiz is unknown: `message` says so to the publisher."""

    def __init__(self, message: Markup):
        self.message = message
        super().__init__(message.plain)


def remind_key(cascade_id: int, day: date) -> str:
    return f"policy-cascade-remind:{cascade_id}:{day.isoformat()}"


def reminder_times(ack_by: date, tz: str) -> list[tuple[date, datetime]]:
    zone = ZoneInfo(tz)
    return [(day, datetime.combine(day, REMIND_AT, zone)) for day in (ack_by - timedelta(days=1), ack_by)]


async def _cascade(services: Services, policy: Policy, req: Request, by: str) -> int:
    """The cascade row (one per version; a later publish moves its ack-by day and quiz), its targets and
    its reminders, in one transaction."""
    now = services.clock()
    async with services.db.transaction() as session:
        values = {"ack_by": req.ack_by, "quiz_topic": req.quiz, "published_by": by, "published_at": now}
        keys = {"policy_id": policy.id, "version": policy.version}
        fresh = await insert_once(session, PolicyCascade, ["policy_id", "version"], **keys, **values)
        row = await session.scalar(
            select(PolicyCascade).where(
                PolicyCascade.policy_id == policy.id, PolicyCascade.version == policy.version
            )
        )
        assert row is not None
        if not fresh:
            row.ack_by, row.quiz_topic = req.ack_by, req.quiz
        for t in req.targets:
            await insert_once(
                session, PolicyCascadeTarget, ["cascade_id", "channel"],
                cascade_id=row.cascade_id, channel=t.channel, vendor=t.vendor,
            )  # fmt: skip
        for day, at in reminder_times(req.ack_by, services.workspace.timezone):
            if at > now:
                payload = {"cascade": row.cascade_id, "day": day.isoformat()}
                payload["until"] = (at + timedelta(hours=12)).isoformat()
                await schedule_in(session, remind_key(row.cascade_id, day), REMIND_KIND, at, now, payload)
        return row.cascade_id


async def _sync(
    services: Services, cascade_id: int, channel_id: str, members: Iterable[str], *, full: bool
) -> int:
    """Record the channel's members: newcomers added; with `full` (a complete list), leavers marked and
    people who came back unmarked. Returns how many are members now."""
    now = services.clock()
    current = set(members)
    async with services.db.transaction() as session:
        for user_id in sorted(current):
            await insert_once(
                session, PolicyCascadeMember, ["cascade_id", "channel", "user_id"],
                cascade_id=cascade_id, channel=channel_id, user_id=user_id, joined_at=now,
            )  # fmt: skip
        if full:
            rows = (
                await session.scalars(
                    select(PolicyCascadeMember).where(
                        PolicyCascadeMember.cascade_id == cascade_id,
                        PolicyCascadeMember.channel == channel_id,
                    )
                )
            ).all()
            for row in rows:
                if row.user_id in current:
                    row.left_at = None
                elif row.left_at is None:
                    row.left_at = now
    return len(current)


async def channel_people(services: Services, channel_id: str) -> set[str]:
    """The channel's people as the workspace writes them; the bot and bot accounts left out."""
    ws = services.workspace
    found = {ws.normal_user(u) for u in await services.port.channel_members(channel_id)}
    own = await assign.own_user(services.port)
    return {u for u in found if u != own and not u.startswith("28:")}


async def publish(services: Services, req: Request, by: str) -> Published:
    """Post the newest version of the policy once in every target channel and track its members."""
    policy = await store.get(services.db, req.policy_id)
    if policy is None:
        raise PublishError(
            md("⛔ I know no policy `{}`. `tsqa policy load` reads the library.", req.policy_id)
        )
    quiz_title = None
    if req.quiz:
        async with services.db.transaction() as session:
            topic = await quiz_store.topic(session, req.quiz)
        if topic is None:
            raise PublishError(md("⛔ I know no quiz `{}`. `/quiz` lists them.", req.quiz))
        quiz_title = topic.title
    cascade_id = await _cascade(services, policy, req, by)
    changed = changes(previous_version(await store.versions(services.db, policy.id), policy), policy)
    message = views.update_message(policy, changed, cascade_id, req.ack_by, quiz_title)
    done = Published(policy, cascade_id, req.ack_by, quiz_title)
    for t in req.targets:
        try:  # members first, so a click right after the post finds them
            done.members[t.channel] = await _sync(
                services, cascade_id, t.channel, await channel_people(services, t.channel), full=True
            )
            done.outcomes[t.channel] = await _post(services, policy, t.channel, cascade_id, message)
        except ChatError as exc:
            log.info("could not publish %s in %s: %s", policy.id, t.channel, exc)
            done.outcomes[t.channel] = "failed"
            hint = services.port.join_hint(channel(t.channel)) if exc.code == "not_in_channel" else None
            done.problems.append(md("{}: {}", channel(t.channel), hint or exc.hint or exc.code))
    return done


async def _post(services: Services, policy: Policy, channel_id: str, cascade_id: int, message) -> Posted:  # noqa: ANN001
    key = f"policy-cascade:{policy.id}:{policy.version}:{channel_id}"

    async def send(taken: claims.Taken) -> str:
        sent = await services.port.post(channel_id, message, key=key, look_first=taken.retaken)
        async with services.db.transaction() as session:
            await session.execute(
                update(PolicyCascadeTarget)
                .where(
                    PolicyCascadeTarget.cascade_id == cascade_id, PolicyCascadeTarget.channel == channel_id
                )
                .values(message_channel=sent.channel, message_ts=sent.ts)
            )
        return sent.ts

    taken = await claims.once(services.db, key, "policy-cascade", services.clock, send)
    return "posted" if taken.won else "posted_before"


# ----- acknowledging -----

Acked = Literal["recorded", "already", "not_member", "unknown"]


@dataclass(frozen=True)
class Acknowledged:
    outcome: Acked
    cascade: PolicyCascade | None = None


async def _cascade_row(services: Services, cascade_id: int) -> PolicyCascade | None:
    async with services.db.transaction() as session:
        return await session.get(PolicyCascade, cascade_id)


async def acknowledge(services: Services, cascade_id: int, user_id: str, where: str | None) -> Acknowledged:
    """The person's acknowledgement, recorded on the first click only. Someone who joined a target
    channel since the last membership read is looked up again there before being refused."""
    row = await _cascade_row(services, cascade_id)
    if row is None:
        return Acknowledged("unknown")
    user_id = services.workspace.normal_user(user_id)
    outcome = await _mark_acked(services, cascade_id, user_id)
    if outcome == "not_member" and where is not None and await _is_target(services, cascade_id, where):
        try:
            await _sync(services, cascade_id, where, await channel_people(services, where), full=False)
        except ChatError:
            log.info("could not read the members of %s again", where)
        outcome = await _mark_acked(services, cascade_id, user_id)
    return Acknowledged(outcome, row)


async def _is_target(services: Services, cascade_id: int, channel_id: str) -> bool:
    async with services.db.transaction() as session:
        return await session.get(PolicyCascadeTarget, (cascade_id, channel_id)) is not None


async def _mark_acked(services: Services, cascade_id: int, user_id: str) -> Acked:
    member = (PolicyCascadeMember.cascade_id == cascade_id, PolicyCascadeMember.user_id == user_id)
    async with services.db.transaction() as session:
        marked = await session.execute(
            update(PolicyCascadeMember)
            .where(*member, PolicyCascadeMember.acked_at.is_(None))
            .values(acked_at=services.clock())
        )
        if marked.rowcount:
            return "recorded"
        known = await session.scalar(select(PolicyCascadeMember.user_id).where(*member).limit(1))
    return "already" if known is not None else "not_member"


async def quiz_passed(services: Services, topic_id: str, user_id: str, when: datetime) -> None:
    """A passed quiz counts for every cascade with that quiz the person has acknowledged."""
    cascades = select(PolicyCascade.cascade_id).where(PolicyCascade.quiz_topic == topic_id)
    async with services.db.transaction() as session:
        await session.execute(
            update(PolicyCascadeMember)
            .where(
                PolicyCascadeMember.cascade_id.in_(cascades),
                PolicyCascadeMember.user_id == services.workspace.normal_user(user_id),
                PolicyCascadeMember.acked_at.is_not(None),
                PolicyCascadeMember.passed_at.is_(None),
            )
            .values(passed_at=when)
        )


# ----- status, reminders, the daily refresh -----


@dataclass(frozen=True)
class ChannelStatus:
    channel: str
    vendor: str | None
    members: tuple[str, ...]
    acked: tuple[str, ...]
    passed: tuple[str, ...]

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(u for u in self.members if u not in self.acked)


@dataclass(frozen=True)
class Status:
    cascade: PolicyCascade
    channels: tuple[ChannelStatus, ...]

    def acked_people(self) -> set[str]:
        return {u for c in self.channels for u in c.acked}

    def pending_people(self) -> list[str]:
        """Everyone who still owes an acknowledgement, or with a quiz, its pass."""
        quiz = self.cascade.quiz_topic is not None
        due = {
            u for c in self.channels for u in c.members if u not in c.acked or (quiz and u not in c.passed)
        }
        return sorted(due)


async def latest_cascade(services: Services, policy_id: str) -> PolicyCascade | None:
    """The cascade of the policy's most recently published version."""
    async with services.db.transaction() as session:
        return await session.scalar(
            select(PolicyCascade)
            .where(PolicyCascade.policy_id == policy_id)
            .order_by(PolicyCascade.published_at.desc(), PolicyCascade.cascade_id.desc())
            .limit(1)
        )


async def status(services: Services, cascade: PolicyCascade) -> Status:
    """Per target channel: who is a member now, who acknowledged, who passed the quiz."""
    async with services.db.transaction() as session:
        targets = (
            await session.scalars(
                select(PolicyCascadeTarget)
                .where(PolicyCascadeTarget.cascade_id == cascade.cascade_id)
                .order_by(
                    PolicyCascadeTarget.vendor.is_(None),
                    PolicyCascadeTarget.vendor,
                    PolicyCascadeTarget.channel,
                )
            )
        ).all()
        members = (
            await session.scalars(
                select(PolicyCascadeMember).where(
                    PolicyCascadeMember.cascade_id == cascade.cascade_id,
                    PolicyCascadeMember.left_at.is_(None),
                )
            )
        ).all()
    by_channel: dict[str, list[PolicyCascadeMember]] = {t.channel: [] for t in targets}
    for m in sorted(members, key=lambda m: m.user_id):
        by_channel.setdefault(m.channel, []).append(m)
    return Status(
        cascade,
        tuple(
            ChannelStatus(
                t.channel,
                t.vendor,
                tuple(m.user_id for m in by_channel[t.channel]),
                tuple(m.user_id for m in by_channel[t.channel] if m.acked_at is not None),
                tuple(m.user_id for m in by_channel[t.channel] if m.passed_at is not None),
            )
            for t in targets
        ),
    )


async def run_reminder(services: Services, taken: claims.Taken) -> str:
    """The `policy.cascade.remind` timer: a DM to each pending member (once each), and on the ack-by day
    the final summary to the policy's owners and the admins (once each)."""
    payload = taken.payload or {}
    cascade = await _cascade_row(services, int(payload["cascade"]))
    day = date.fromisoformat(payload["day"])
    if cascade is None or day not in (cascade.ack_by, cascade.ack_by - timedelta(days=1)):
        return "moved"
    policy = await store.get(services.db, cascade.policy_id, cascade.version)
    if policy is None:
        return "policy gone"
    now = await status(services, cascade)
    today = day == cascade.ack_by
    to_ack = views.reminder_message(policy, cascade, today=today)
    # Acknowledged but the quiz not passed yet: the reminder starts (or resumes) the quiz itself.
    to_pass = views.reminder_message(policy, cascade, today=today, acked=True)
    acked = now.acked_people()
    reminded = 0
    for person in now.pending_people():
        message = to_pass if person in acked else to_ack
        reminded += await _once_dm(services, f"{taken.key}:{person}", person, message)
    if day != cascade.ack_by:
        return f"reminded {reminded}"
    summary = views.status_message(services.workspace, policy, now, final=True)
    readers = await services.roles.members([*policy.owners, *services.workspace.admins])
    told = 0
    for person in sorted(readers):
        told += await _once_dm(
            services, f"policy-cascade-summary:{cascade.cascade_id}:{person}", person, summary
        )
    return f"reminded {reminded}, summary to {told}"


async def _once_dm(services: Services, key: str, person: str, message) -> int:  # noqa: ANN001
    """One DM under its own key; a person who cannot be reached does not stop the others."""

    async def send(taken: claims.Taken) -> str:
        return (await services.port.dm(person, message, key=key, look_first=taken.retaken)).ts

    try:
        taken = await claims.once(services.db, key, "policy-cascade-dm", services.clock, send)
    except ChatError as exc:
        log.info("could not DM %s: %s", person, exc)
        return 0
    return int(taken.won)


async def refresh(services: Services) -> int:
    """The daily job: every open cascade's target channels read again; returns the channels read."""
    today = services.clock().astimezone(services.workspace.tz).date()
    async with services.db.transaction() as session:
        open_targets = (
            await session.execute(
                select(PolicyCascadeTarget.cascade_id, PolicyCascadeTarget.channel)
                .join(PolicyCascade, PolicyCascade.cascade_id == PolicyCascadeTarget.cascade_id)
                .where(PolicyCascade.ack_by >= today)
            )
        ).all()
    read = 0
    for cascade_id, channel_id in open_targets:
        try:
            await _sync(
                services, cascade_id, channel_id, await channel_people(services, channel_id), full=True
            )
            read += 1
        except ChatError as exc:
            log.warning("could not refresh the members of %s: %s", channel_id, exc)
    return read
