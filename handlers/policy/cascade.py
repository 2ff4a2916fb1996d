"""Publishing a policy update: post it once in each target channel, with what changed, and start
tracking the members of those channels (see cascade_members) and the reminders (cascade_reminders).

One cascade per (policy, version). The post's once-only key is `policy-cascade:{policy}:{version}:
{channel}`; publishing again adds targets, keeps the quiz unless `--quiz` names one, and when it moves
the ack-by day (or changes the quiz), updates the posts already made in place.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from sqlalchemy import select, update

from bot.chat.model import Markup, Message, MessageRef, channel, md
from bot.chat.port import ChatError
from bot.context import Services
from handlers.policy import cascade_reminders as reminders
from handlers.policy import cascade_views as views
from handlers.policy import store
from handlers.policy.cascade_members import channel_people, sync
from handlers.policy.cascade_targets import Request
from handlers.policy.changes import compare
from handlers.policy.model import Policy
from handlers.quiz import store as quiz_store
from storage import claims
from storage.claims import insert_once
from storage.models import PolicyCascade, PolicyCascadeTarget

log = logging.getLogger("tsqa.policy")

PUBLISH_KIND = "policy.publish"
DIFF_LINES = 5  # lines of text diff in the post, across the changed sections
DIFF_WIDTH = 90  # characters per diff line


# ----- what changed -----


@dataclass(frozen=True)
class Changes:
    """Section headings added, removed and changed since the previous version, and a few lines of the
    changed sections' diff; `first` without a previous version."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    first: bool = False
    diff: tuple[str, ...] = ()


def _short(line: str) -> str:
    return line if len(line) <= DIFF_WIDTH else line[: DIFF_WIDTH - 1] + "…"


def changes(previous: Policy | None, current: Policy) -> Changes:
    """`/policy changes`' comparison (sections matched by anchor), cut to a few lines for a post."""
    if previous is None:
        return Changes(first=True)
    found = compare(previous, current)

    def headings(kind: str) -> tuple[str, ...]:
        return tuple(c.section.heading or "Introduction" for c in found if c.kind == kind)

    lines = [line for c in found for line in c.diff if line.startswith(("+", "-")) and line[1:].strip()]
    return Changes(
        added=headings("added"),
        removed=headings("removed"),
        changed=headings("changed"),
        diff=tuple(_short(line) for line in lines[:DIFF_LINES]),
    )


def previous_version(versions: list[Policy], current: Policy) -> Policy | None:
    """The version loaded before `current` in (effective, load) order."""
    index = next((i for i, p in enumerate(versions) if p.version == current.version), 0)
    return versions[index - 1] if index > 0 else None


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


@dataclass(frozen=True)
class _Row:
    cascade_id: int
    ack_by: date
    quiz: str | None
    reworded: bool  # the ack-by day or the quiz differs from what the earlier posts say


async def _cascade(services: Services, policy: Policy, req: Request, by: str) -> _Row:
    """The cascade row (one per version; a later publish moves its ack-by day, and its quiz only when
    one is named) and its targets, in one transaction."""
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
        before = (row.ack_by, row.quiz_topic)
        if not fresh:
            row.ack_by, row.quiz_topic = req.ack_by, req.quiz or row.quiz_topic
        for t in req.targets:
            await insert_once(
                session, PolicyCascadeTarget, ["cascade_id", "channel"],
                cascade_id=row.cascade_id, channel=t.channel, vendor=t.vendor,
            )  # fmt: skip
        return _Row(row.cascade_id, row.ack_by, row.quiz_topic, before != (row.ack_by, row.quiz_topic))


async def _quiz_title(services: Services, topic_id: str | None) -> str | None:
    if topic_id is None:
        return None
    async with services.db.transaction() as session:
        topic = await quiz_store.topic(session, topic_id)
    return topic.title if topic else None


async def publish(services: Services, req: Request, by: str) -> Published:
    """Post the newest version of the policy once in every target channel and track its members."""
    policy = await store.get(services.db, req.policy_id)
    if policy is None:
        raise PublishError(
            md("⛔ I know no policy `{}`. `tsqa policy load` reads the library.", req.policy_id)
        )
    if req.quiz and await _quiz_title(services, req.quiz) is None:
        raise PublishError(md("⛔ I know no quiz `{}`. `/quiz` lists them.", req.quiz))
    row = await _cascade(services, policy, req, by)
    quiz_title = await _quiz_title(services, row.quiz)
    changed = changes(previous_version(await store.versions(services.db, policy.id), policy), policy)
    message = views.update_message(policy, changed, row.cascade_id, row.ack_by, quiz_title)
    done = Published(policy, row.cascade_id, row.ack_by, quiz_title)
    for t in req.targets:
        try:  # members first, so a click right after the post finds them
            people = await channel_people(services, t.channel)
            done.members[t.channel] = await sync(services, row.cascade_id, t.channel, people, full=True)
            done.outcomes[t.channel] = await _post(services, policy, t.channel, row.cascade_id, message)
        except ChatError as exc:
            log.info("could not publish %s in %s: %s", policy.id, t.channel, exc)
            done.outcomes[t.channel] = "failed"
            hint = services.port.join_hint(channel(t.channel)) if exc.code == "not_in_channel" else None
            done.problems.append(md("{}: {}", channel(t.channel), hint or exc.hint or exc.code))
    if row.reworded:
        await _update_posts(services, done, message)
    await reminders.schedule(services, row.cascade_id, row.ack_by)
    return done


async def _update_posts(services: Services, done: Published, message: Message) -> None:
    """The posts made before this publish, edited in place to say the new ack-by day (and quiz)."""
    async with services.db.transaction() as session:
        posted = (
            await session.execute(
                select(
                    PolicyCascadeTarget.channel,
                    PolicyCascadeTarget.message_channel,
                    PolicyCascadeTarget.message_ts,
                ).where(
                    PolicyCascadeTarget.cascade_id == done.cascade_id,
                    PolicyCascadeTarget.message_ts.is_not(None),
                )
            )
        ).all()
    for target, channel_id, ts in posted:
        if done.outcomes.get(target) == "posted":
            continue  # just posted, already in the new words
        try:
            await services.port.update(MessageRef(channel_id, ts), message)
        except ChatError as exc:
            log.info("could not update the post in %s: %s", channel_id, exc)
            done.problems.append(
                md("{}: the earlier post still shows the old day ({})", channel(target), exc.code)
            )


async def _post(
    services: Services, policy: Policy, channel_id: str, cascade_id: int, message: Message
) -> Posted:
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
