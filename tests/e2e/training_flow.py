"""Shared steps of the training stories over signed HTTP against the Slack fake: a cohort created through
the form, its DMs, its buttons, and the clock moved to a session."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from bot.workspace import Workspace
from bot.workspace_training import TrainingSettings
from handlers.training import lifecycle
from handlers.training.cohort import Cohort
from tests.conftest import ROOT
from tests.e2e.escalate_flow import buttons, dms, opened_view, submit, text_value
from tests.e2e.harness import SlackSide, eventually, quiet, settled, texts

# Mon 30 Nov 2026, 10:00 in Lisbon (UTC+0 in winter). Tue 1 Dec (Restoration of Independence) and
# Tue 8 Dec (Immaculate Conception) are public holidays in Portugal.
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
QUINN = "U0QALEAD1"  # admin
TARA = "U0TRAINER1"  # trainer
NICO = "U0NWLEAD1"  # Northwind lead
LEE, KAI = "U0LABEL01", "U0LABEL02"  # labelers
QA_OPS = "C0QAOPS01"
PLANS = ROOT / "examples" / "training"


def training_workspace(workspace: Workspace, **settings: Any) -> Workspace:  # noqa: ANN401
    """The example workspace, no digests falling due, its plans found wherever the test runs."""
    return quiet(workspace).model_copy(update={"training": TrainingSettings(plans=str(PLANS), **settings)})


def cohort_values(**given: str) -> dict[str, Any]:
    values = {
        "name": "lisbon-dec", "vendor": "northwind", "site": "lisbon", "queues": "hate-en",
        "plan": "new-labeler", "start": "2026-12-02", "target": "2026-12-31",
        "trainers": f"<@{TARA}>", "labelers": f"<@{LEE}> <@{KAI}>",
    }  # fmt: skip
    values.update(given)
    return {name: text_value(value) for name, value in values.items()}


async def create_cohort(slack: SlackSide, bot: Any, user: str = TARA, **given: str) -> dict[str, Any]:  # noqa: ANN401
    """`/training new`, the form submitted with `given` over the defaults; Slack's reply ({} accepted)."""
    before = len(slack.fake.calls_to("views.open"))
    reply = await slack.command("/training", "new", user=user, channel=QA_OPS)
    assert reply.status == 200
    view = await opened_view(slack, before)
    answer = await submit(slack, view, user, cohort_values(**given))
    await settled(bot)
    return answer


def dm_texts(slack: SlackSide, user: str) -> list[str]:
    return [texts(m.blocks) for m in dms(slack, user)]


def dm_with(slack: SlackSide, user: str, words: str) -> Any:  # noqa: ANN401
    found = [m for m in dms(slack, user) if words in texts(m.blocks)]
    assert found, f"no DM to {user} with {words!r}: {dm_texts(slack, user)}"
    return found[-1]


async def press(slack: SlackSide, message: Any, action: str, user: str) -> None:  # noqa: ANN401
    button = buttons(message.blocks)[action]
    await slack.action(
        action, button.get("value", ""), user=user, channel=message.channel, message_ts=message.ts
    )


async def said(slack: SlackSide, text: str, user: str, channel: str = QA_OPS) -> str:
    """`/training …`'s private answer as text: in the ack, or through the response URL after it."""
    before = len(slack.fake.calls_to("response_url"))
    reply = await slack.command("/training", text, user=user, channel=channel)
    assert reply.status == 200
    if reply.text and (reply.json() or {}).get("blocks"):
        return texts(reply.json()["blocks"])
    return await _responded(slack, before, f"/training {text}")


async def pressed(slack: SlackSide, message: Any, action: str, user: str, value: str | None = None) -> str:  # noqa: ANN401
    """A button pressed as `user` (its value forged when `value` is given); the private answer, or "" when
    the bot answered by updating the message in place instead."""
    before = len(slack.fake.calls_to("response_url")), len(slack.fake.calls_to("chat.update"))
    given = buttons(message.blocks)[action].get("value", "") if value is None else value
    reply = await slack.action(action, given, user=user, channel=message.channel, message_ts=message.ts)
    assert reply.status == 200
    done = await eventually(
        lambda: (
            slack.fake.calls_to("response_url")[before[0] :]
            or slack.fake.calls_to("chat.update")[before[1] :]
        )
    )
    assert done, f"no answer to {action}"
    return await _responded(slack, before[0], action, required=False)


async def _responded(slack: SlackSide, before: int, what: str, *, required: bool = True) -> str:
    found = slack.fake.calls_to("response_url")[before:]
    if required:
        found = await eventually(lambda: slack.fake.calls_to("response_url")[before:])
        assert found, f"no answer to {what}"
    if not found:
        return ""
    return texts(found[-1].args.get("blocks")) or str(found[-1].args.get("text", ""))


async def count(bot: Any, model: type, **where: Any) -> int:  # noqa: ANN401
    """Rows of `model` (matching `where`), read straight from the bot's database."""
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    async with bot.services.db.transaction() as session:
        return int(await session.scalar(query) or 0)


async def cohort_named(bot: Any, name: str = "lisbon-dec") -> Cohort:  # noqa: ANN401
    found = await lifecycle.find(bot.services, name)
    assert found is not None, f"no cohort {name}"
    return found


def days_of(cohort: Cohort, kind: str) -> list[date]:
    return sorted({s.start.date() for s in cohort.sessions if s.kind == kind})


def with_text(slack: SlackSide, user: str, *words: str) -> list[Any]:
    """The DMs to `user` whose text holds every one of `words`."""
    return [m for m in dms(slack, user) if all(w in texts(m.blocks) for w in words)]


def now_reads(slack: SlackSide, message: Any) -> Any:  # noqa: ANN401
    """The message as the fake holds it now (updates in place applied)."""
    return next(m for m in slack.fake.messages_in(message.channel) if m.ts == message.ts)


def mark_buttons(message: Any) -> dict[tuple[str, str], dict[str, Any]]:  # noqa: ANN401
    """The roll call's buttons by (labeler, status): each labeler's row has its own."""
    found = {}
    for block in message.blocks or []:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["action_id"].startswith("training-mark:"):
                user = element["value"].split("|")[2]
                found[(user, element["action_id"].removeprefix("training-mark:"))] = element
    return found
