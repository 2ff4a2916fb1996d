"""Shared steps of the escalation stories over signed HTTP against the Slack fake: raise one through
the form, find its message and thread, click its buttons, submit its forms, move the clock."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import timers
from bot.local.webapi import SlackWebAPI
from tests.e2e.harness import SlackSide, eventually, settled, texts
from tests.fakes import signing

NOW = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)  # a Tuesday
QUINN = "U0QALEAD1"  # admin
ROBIN = "U0RDONCALL"  # R&D on-call (tier 1)
REMY = "U0RDLEAD1"  # R&D escalation (tier 2)
NICO = "U0NWLEAD1"  # Northwind lead and BPO operations contact
KAI = "U0LABEL02"  # a labeler
ESCALATIONS = "C0ESCAL01"
QA_OPS = "C0QAOPS01"


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def text_value(value: str) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": value}}


def choice(name: str, value: str) -> dict[str, Any]:
    """A select's state as Slack sends it, under its block."""
    return {name: {"value": {"type": "static_select", "selected_option": {"value": value}}}}


def raise_values(
    *, queue: str = "hate-en", platform: str = "media-service", severity: str = "SEV2",
    title: str = "Media not loading", description: str = "Images stay blank for every labeler.",
    impact: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    values = {
        **choice("queue", queue), **choice("platform", platform), **choice("severity", severity),
        "title": text_value(title), "description": text_value(description),
        "link": text_value(""),
    }  # fmt: skip
    if impact is not None:
        values["impact"] = text_value(impact)
    return values


async def opened_view(slack: SlackSide, before: int) -> dict[str, Any]:
    opened = await eventually(lambda: slack.fake.calls_to("views.open")[before:])
    assert opened, "no form opened"
    return opened[-1].json("view")


async def submit(slack: SlackSide, view: dict[str, Any], user: str, values: dict[str, Any]) -> dict[str, Any]:
    """A form submitted; {} when accepted, else Slack's response (its errors)."""
    submitted = {**view, "id": "V1", "state": {"values": values}}
    reply = await slack.post("view_submission", signing.view_submission_body(user, submitted))
    assert reply.status == 200
    return json.loads(reply.text) if reply.text else {}


def posts(slack: SlackSide, channel: str) -> list[Any]:
    return [m for m in slack.fake.messages_in(channel) if m.blocks]


def thread(slack: SlackSide, channel: str, root: Any) -> list[Any]:  # noqa: ANN401
    return [m for m in slack.fake.messages_in(channel, thread_ts=root.ts) if m.ts != root.ts]


def dms(slack: SlackSide | SlackWebAPI, user: str) -> list[Any]:
    """A person's DMs from the bot; takes the Slack side or the fake itself (for real processes)."""
    fake = slack.fake if isinstance(slack, SlackSide) else slack
    return [m for m in fake.messages_in(fake.dm_channel(user)) if m.blocks]


def buttons(blocks: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for b in blocks or [] if b["type"] == "actions" for e in b["elements"]}


def current(slack: SlackSide, channel: str, root: Any) -> str:  # noqa: ANN401
    """The message as it reads now (updates in place applied by the fake)."""
    found = next(m for m in slack.fake.messages_in(channel) if m.ts == root.ts)
    return texts(found.blocks)


async def raise_one(
    slack: SlackSide,
    bot: Any,
    user: str = QUINN,
    text: str = "hate-en Media not loading",
    **values: Any,  # noqa: ANN401
) -> Any:  # noqa: ANN401
    """`/escalate …`, the form submitted; the escalation's message in the channel."""
    before = len(slack.fake.calls_to("views.open"))
    reply = await slack.command("/escalate", text, user=user, channel=QA_OPS)
    assert reply.status == 200
    view = await opened_view(slack, before)
    assert await submit(slack, view, user, raise_values(**values)) == {}
    await settled(bot)
    return posts(slack, ESCALATIONS)[-1]


async def click(slack: SlackSide, root: Any, action: str, user: str, channel: str = ESCALATIONS) -> None:  # noqa: ANN401
    button = buttons(root.blocks)[action]
    await slack.action(action, button.get("value", ""), user=user, channel=channel, message_ts=root.ts)


async def run_timers(bot: Any) -> int:  # noqa: ANN401
    """What is due at the test clock's time, run now (the poll would do the same), and whatever that
    set going, finished. A round that finds nothing due may be one where the poll held it: only a
    second idle round after waiting for the poll says all is done."""
    ran, idle = 0, 0
    while idle < 2:
        await settled(bot)
        done = 0
        while more := await timers.run_due(bot.services, bot.services.timers):
            done += more
        ran += done
        idle = 0 if done else idle + 1
    await settled(bot)
    return ran


async def answer(slack: SlackSide, command: str, user: str, channel: str = QA_OPS) -> str:
    """`/escalate …`'s private answer as text: in the ack, or through the response URL after it."""
    before = len(slack.fake.calls_to("response_url"))
    reply = await slack.command("/escalate", command, user=user, channel=channel)
    assert reply.status == 200
    if reply.text and (reply.json() or {}).get("blocks"):
        return texts(reply.json()["blocks"])
    said = await eventually(lambda: slack.fake.calls_to("response_url")[before:])
    assert said, f"no answer to /escalate {command}"
    return texts(said[-1].args.get("blocks"))


async def change_severity(
    slack: SlackSide,
    bot: Any,
    root: Any,
    severity: str,
    user: str = ROBIN,
    reason: str = "",  # noqa: ANN401
) -> None:
    """Change severity through its form, as `user`."""
    before = len(slack.fake.calls_to("views.open"))
    await click(slack, root, "escalate-severity", user)
    view = await opened_view(slack, before)
    assert (
        await submit(slack, view, user, {**choice("severity", severity), "reason": text_value(reason)}) == {}
    )
    await settled(bot)
