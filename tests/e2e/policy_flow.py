"""Shared steps of the policy-answer stories over signed HTTP against the Slack fake: the example
library loaded, a question asked with /policy, a button clicked, the owner's answer form submitted, and
the posts, DMs and owners' threads read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from handlers.policy.store import load_dir
from storage.engine import Database
from storage.migrate import upgrade
from tests.e2e.harness import SlackSide, eventually
from tests.fakes import signing

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
LEE = "U0LABEL01"
KAI = "U0LABEL02"
QUINN = "U0QALEAD1"  # an admin, and the owner of most example policies
QA_OPS = "C0QAOPS01"
OWNERS = "C0POLOWN1"
SPAM_QUESTION = "is it spam to post the same comment many times?"
UNANSWERABLE = "may labelers take a lunch break during a calibration meeting"
PARAPHRASE = "can a labeler take lunch breaks in calibration meetings?"


def clock() -> datetime:
    return NOW


async def with_library(database_url: str) -> None:
    db = Database(database_url)
    await upgrade(db)
    await load_dir(db, ROOT / "examples" / "policies", NOW)
    await db.dispose()


async def count(database_url: str, model: type) -> int:
    db = Database(database_url)
    async with db.transaction() as session:
        found = int(await session.scalar(select(func.count()).select_from(model)) or 0)
    await db.dispose()
    return found


def buttons(blocks: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for b in blocks or [] if b["type"] == "actions" for e in b["elements"]}


async def ask(slack: SlackSide, question: str, user: str = LEE) -> list[dict[str, Any]]:
    """/policy QUESTION: the private answer, in the ack or through the response URL."""
    before = len([m for m in slack.fake.ephemeral_for(user) if m.blocks])
    reply = await slack.command("/policy", question, user=user)
    assert reply.status == 200
    if reply.text and (reply.json() or {}).get("blocks"):
        return reply.json()["blocks"]
    found = await eventually(lambda: [m for m in slack.fake.ephemeral_for(user) if m.blocks][before:])
    return found[-1].blocks


async def click(
    slack: SlackSide, button: dict[str, Any], user: str, channel: str = QA_OPS, ts: str = ""
) -> None:
    await slack.action(
        button["action_id"], button.get("value", ""), user=user, channel=channel, message_ts=ts or None
    )


def posts(slack: SlackSide, channel: str) -> list:  # noqa: ANN202
    return [m for m in slack.fake.messages_in(channel) if m.blocks]


def form_values(answer: str, section: str, review_by: str = "2027-02-28") -> dict[str, Any]:
    return {
        "answer": {"value": {"type": "plain_text_input", "value": answer}},
        "section": {"value": {"type": "static_select", "selected_option": {"value": section}}},
        "review_by": {"value": {"type": "plain_text_input", "value": review_by}},
    }


async def submit(slack: SlackSide, view: dict[str, Any], user: str, values: dict[str, Any]) -> dict[str, Any]:
    """The owner's answer form submitted; {} when accepted, else Slack's response (its errors)."""
    submitted = {**view, "id": "V1", "state": {"values": values}}
    reply = await slack.post("view_submission", signing.view_submission_body(user, submitted))
    return json.loads(reply.text) if reply.text else {}


def dms(slack: SlackSide, user: str) -> list:  # noqa: ANN202
    return [m for m in slack.fake.messages_in(slack.fake.dm_channel(user)) if m.blocks]


def thread_of(slack: SlackSide, root: Any) -> list:  # noqa: ANN202, ANN401
    return [m for m in slack.fake.messages_in(OWNERS, thread_ts=root.ts) if m.ts != root.ts]
