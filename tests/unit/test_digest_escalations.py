"""Open escalations in the queue digest: listed worst first for the digest's queues only, escaped,
capped so the message stays within Block Kit's limits, and absent when there are none."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.slack import render
from bot.workspace import Workspace
from handlers.digest.service import digest_from_file, open_escalations
from handlers.digest.views import digest_message
from handlers.escalate.open_list import open_on_queues
from handlers.queue_data.generate import generate_decisions
from storage.engine import Database
from storage.models.escalation import Escalation
from tests.escalation_rows import escalation

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
DAY = date(2026, 11, 23)
SCOPE = ["hate-en", "spam-pt"]
LEAD, ESCALATIONS = "U0QALEAD1", "C0ESCAL01"


@pytest.fixture
def digest(workspace: Workspace) -> dict[str, Any]:
    decisions = generate_decisions(workspace, DAY - timedelta(days=2), 3, seed=5)
    return digest_from_file(workspace, decisions.to_csv(index=False).encode(), DAY, queues=SCOPE)


async def add(db: Database, number: int, **fields: Any) -> None:  # noqa: ANN401
    """An escalation row as the escalation capability stores it; `fields` override the defaults."""
    opened = fields.pop("opened_at", NOW - timedelta(hours=1))
    defaults = {"severity": "SEV3", "title": f"Problem {number}", "reporter": LEAD, "channel": ESCALATIONS}
    async with db.transaction() as session:
        session.add(escalation(number, opened=opened, **{**defaults, **fields}))


def section_text(message: Any) -> str | None:
    """The rendered "Open escalations" section as Slack gets it, or None."""
    for block in render.blocks(message.parts):
        text = block.get("text", {}).get("text", "") if block["type"] == "section" else ""
        if text.startswith("*Open escalations*"):
            return text
    return None


async def test_without_open_escalations_the_digest_is_unchanged(db: Database, digest: dict) -> None:
    await add(db, 1, status="resolved")
    await add(db, 2, queue="graphic-img")  # open, but not a queue of this digest
    escalations = await open_escalations(db, digest)
    assert escalations == []
    message = digest_message(digest, escalations=escalations, now=NOW)
    assert message == digest_message(digest)
    assert section_text(message) is None


async def test_open_escalations_listed_worst_first_with_owner_and_channel(db: Database, digest: dict) -> None:
    await add(
        db, 12, severity="SEV2", title="Media not loading", status="acknowledged", owner=LEAD,
        opened_at=NOW - timedelta(hours=2, minutes=5), ts="1764000000.000100",
    )  # fmt: skip
    await add(
        db, 13, severity="SEV1", title="Routing stuck", queue="spam-pt", opened_at=NOW - timedelta(minutes=45)
    )
    await add(db, 14, severity="SEV2", title="Images <!channel> *slow*", opened_at=NOW - timedelta(days=3))
    await add(db, 15, severity="SEV1", status="resolved", title="Fixed already")
    await add(db, 16, severity="SEV1", queue="graphic-img", title="Not this digest's queue")
    await add(db, 17, severity="SEV1", queue=None, title="No queue named")
    escalations = await open_escalations(db, digest)
    assert [e.number for e in escalations] == [13, 14, 12]  # SEV1, then SEV2 oldest first
    text = section_text(digest_message(digest, escalations=escalations, now=NOW))
    assert text == (
        "*Open escalations*\n"
        "• ESC-13 SEV1 Routing stuck (not acknowledged), opened 45 min ago\n"
        "• ESC-14 SEV2 Images &lt;!channel&gt; *slow* (not acknowledged), opened 3 d ago\n"
        f"• ESC-12 SEV2 Media not loading (acknowledged), opened 2 h 5 min ago, in <#{ESCALATIONS}>"
    )


async def test_a_long_list_is_capped_and_stays_within_block_kit_limits(
    db: Database, digest: dict, workspace: Workspace
) -> None:
    for number in range(1, 9):
        await add(
            db, number, title="T" * 200, severity=f"SEV{1 + number % 4}", ts=f"17640000{number:02d}.0001"
        )
    escalations = await open_escalations(db, digest)
    assert len(escalations) == 8
    assert [e.severity for e in escalations] == sorted(e.severity for e in escalations)
    message = digest_message(digest, escalations=escalations, now=NOW)
    blocks = render.blocks(message.parts)
    assert len(blocks) <= 50
    text = section_text(message)
    assert text is not None and len(text) <= 3000 and text.endswith("\nand 3 more")  # not clipped
    assert text.count("• ESC-") == 5
    # The whole workspace's digest has room for the section too.
    everything = digest_from_file(
        workspace, generate_decisions(workspace, DAY, 1, seed=5).to_csv(index=False).encode(), DAY
    )
    assert len(render.blocks(digest_message(everything, escalations=escalations, now=NOW).parts)) <= 50


async def test_no_queues_no_query(db: Database) -> None:
    await add(db, 1)
    assert await open_on_queues(db, []) == []
    assert [e.number for e in await open_on_queues(db, ["hate-en"])] == [1]


def test_listing_escalations_needs_the_time(digest: dict) -> None:
    escalation = Escalation(number=1, severity="SEV1", title="x", status="open", opened_at=NOW, channel="C1")
    with pytest.raises(ValueError, match="pass now"):
        digest_message(digest, escalations=[escalation])
