"""Escalations end to end over signed HTTP against the Slack fake: the form (pre-filled from queue
data), the message and its thread with the right mentions, the reporter's DM, acknowledge (a double
click records once), update, severity, resolve and reopen, each shown in the thread and in place."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from handlers.escalate import views
from storage.engine import Database
from storage.models import Escalation, EscalationEvent
from tests.e2e.escalate_flow import (
    ESCALATIONS,
    KAI,
    NICO,
    QA_OPS,
    QUINN,
    REMY,
    ROBIN,
    Clock,
    buttons,
    change_severity,
    choice,
    click,
    current,
    dms,
    opened_view,
    raise_one,
    raise_values,
    submit,
    text_value,
    thread,
)
from tests.e2e.harness import eventually, quiet, running_bot, settled, texts


async def events(database_url: str, kind: str) -> int:
    db = Database(database_url)
    async with db.transaction() as session:
        found = await session.scalar(
            select(func.count()).select_from(EscalationEvent).where(EscalationEvent.kind == kind)
        )
    await db.dispose()
    return int(found or 0)


async def test_raise_work_and_close_an_escalation(workspace, database_url) -> None:
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        root = await raise_one(slack, bot)
        shown = texts(root.blocks)
        assert "ESC-1 · SEV2 · Media not loading" in shown
        assert "Hate speech EN" in shown and "Northwind Review Services" in shown and "lisbon" in shown
        assert "Media service" in shown and f"<@{QUINN}>" in shown and "Not acknowledged" in shown
        [first] = await eventually(lambda: thread(slack, ESCALATIONS, root))
        assert f"<@{ROBIN}>" in texts(first.blocks) and f"<@{NICO}>" in texts(first.blocks)
        assert f"<@{REMY}>" not in texts(first.blocks)  # tier 2 only when tier 1 stays silent
        [told] = await eventually(lambda: dms(slack, QUINN))
        assert "ESC-1" in texts(told.blocks) and ESCALATIONS in texts(told.blocks)

        # A labeler may not acknowledge; the on-call's double click records once.
        await click(slack, root, views.ACK, KAI)
        await settled(bot)
        assert "Not acknowledged" in current(slack, ESCALATIONS, root)
        clock.advance(minutes=4)
        await asyncio.gather(click(slack, root, views.ACK, ROBIN), click(slack, root, views.ACK, ROBIN))
        await settled(bot)
        assert await events(database_url, "acknowledged") == 1
        assert f"Acknowledged by <@{ROBIN}> after 4 min" in current(slack, ESCALATIONS, root)
        notes = thread(slack, ESCALATIONS, root)
        assert sum("acknowledged this" in texts(n.blocks) for n in notes) == 1

        # Post update: a form; the note in the thread and the message shows the last one.
        clock.advance(minutes=7)
        root = next(m for m in slack.fake.messages_in(ESCALATIONS) if m.ts == root.ts)
        before = len(slack.fake.calls_to("views.open"))
        await click(slack, root, views.UPDATE, ROBIN)
        view = await opened_view(slack, before)
        assert await submit(slack, view, ROBIN, {"update": text_value("")}) != {}
        update = {"update": text_value("Rolled back the media cache release.")}
        assert await submit(slack, view, ROBIN, update) == {}
        assert await submit(slack, view, ROBIN, update) == {}  # the same form twice: one update
        await settled(bot)
        assert await events(database_url, "update") == 1
        assert "Rolled back the media cache release." in current(slack, ESCALATIONS, root)

        # Change severity, then resolve: notes in the thread, the message in place.
        await change_severity(slack, bot, root, "SEV1", reason="two sites idle")
        assert "ESC-1 · SEV1" in current(slack, ESCALATIONS, root)
        clock.advance(minutes=30)
        before = len(slack.fake.calls_to("views.open"))
        await click(slack, root, views.RESOLVE, ROBIN)
        view = await opened_view(slack, before)
        done = {
            "resolution": text_value("Cache release rolled back; media loads again."),
            **choice("cause", "release"),
        }
        assert await submit(slack, view, ROBIN, done) == {}
        await settled(bot)
        now = current(slack, ESCALATIONS, root)
        assert f"Resolved by <@{ROBIN}> after 41 min" in now and "a release or configuration change" in now
        assert any("is resolved" in texts(m.blocks) for m in dms(slack, QUINN))
        notes = texts([b for n in thread(slack, ESCALATIONS, root) for b in n.blocks])
        assert "Update from" in notes and "SEV2 → SEV1 (two sites idle)" in notes and "resolved this" in notes

        # Reopen: open again, chased afresh; the reopen button is gone, Acknowledge is back.
        root = next(m for m in slack.fake.messages_in(ESCALATIONS) if m.ts == root.ts)
        assert set(buttons(root.blocks)) == {views.REOPEN}
        await click(slack, root, views.REOPEN, QUINN)
        await click(slack, root, views.REOPEN, QUINN)
        await settled(bot)
        assert await events(database_url, "reopened") == 1
        root = next(m for m in slack.fake.messages_in(ESCALATIONS) if m.ts == root.ts)
        assert views.ACK in buttons(root.blocks) and "Not acknowledged yet (reopened)" in texts(root.blocks)
    db = Database(database_url)
    async with db.transaction() as session:
        [row] = (await session.scalars(select(Escalation))).all()
    await db.dispose()
    assert row.status == "open" and row.generation == 1 and row.first_acknowledged_at is not None


async def test_escalate_this_message_prefills_the_form_from_the_message(workspace, database_url) -> None:
    async with running_bot(quiet(workspace), database_url, clock=Clock()) as (bot, slack):
        said = slack.fake.add_message(QA_OPS, NICO, "Queue routing stuck for spam-pt\nNobody gets new items.")
        before = len(slack.fake.calls_to("views.open"))
        reply = await slack.shortcut("escalate_message", said.ts, user=QUINN, channel=QA_OPS)
        assert reply.status == 200
        view = await opened_view(slack, before)
        fields = {b.get("block_id"): b.get("element", {}) for b in view["blocks"]}
        assert fields["title"]["initial_value"] == "Queue routing stuck for spam-pt"
        described = fields["description"]["initial_value"]
        assert (
            "Nobody gets new items." in described
            and "/archives/C0QAOPS01/p" in fields["link"]["initial_value"]
        )
        values = raise_values(queue="spam-pt", platform="routing", title="Queue routing stuck")
        assert await submit(slack, view, QUINN, values) == {}
        await settled(bot)
        [root] = [m for m in slack.fake.messages_in(ESCALATIONS) if m.blocks]
        assert "Queue routing stuck" in texts(root.blocks) and "Spam PT" in texts(root.blocks)
    db = Database(database_url)
    async with db.transaction() as session:
        [row] = (await session.scalars(select(Escalation))).all()
    await db.dispose()
    assert (row.source_channel, row.source_ts) == (QA_OPS, said.ts)


async def test_a_form_opened_before_a_reopening_is_refused(workspace, database_url) -> None:
    """Robin opens Resolve; meanwhile Quinn resolves and reopens it. Robin's old form must not close
    the reopened escalation."""
    async with running_bot(quiet(workspace), database_url, clock=Clock()) as (bot, slack):
        root = await raise_one(slack, bot)
        before = len(slack.fake.calls_to("views.open"))
        await click(slack, root, views.RESOLVE, ROBIN)
        stale = await opened_view(slack, before)
        before = len(slack.fake.calls_to("views.open"))
        await click(slack, root, views.RESOLVE, QUINN)
        fresh = await opened_view(slack, before)
        done = {"resolution": text_value("Fixed by a restart."), **choice("cause", "infrastructure")}
        assert await submit(slack, fresh, QUINN, done) == {}
        await settled(bot)
        root = next(m for m in slack.fake.messages_in(ESCALATIONS) if m.ts == root.ts)
        await click(slack, root, views.REOPEN, QUINN)
        await settled(bot)
        refused = await submit(slack, stale, ROBIN, done)
        assert "reopened since you opened this form" in refused["errors"]["resolution"]
        assert "Not acknowledged yet (reopened)" in current(slack, ESCALATIONS, root)
