"""Assignments end to end over signed HTTP against the Slack fake: a trainer assigns a quiz to a
channel, each member (never the bot) gets one DM with a Start button, a labeler takes it from there,
reminders come after a restart to those who have not passed, and /quiz status splits by vendor."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import timers
from handlers.quiz import store
from storage.engine import Database
from storage.migrate import upgrade
from tests.e2e.harness import eventually, running_bot, settled, texts
from tests.e2e.test_quiz import buttons, click, spam_bank

TRAINER, LEE, KAI = "U0TRAINER1", "U0LABEL01", "U0LABEL02"


async def imported(database_url: str) -> None:
    db = Database(database_url)
    await upgrade(db)
    await store.import_bank(db, spam_bank(), datetime(2026, 11, 30, tzinfo=UTC))
    await db.dispose()


def dms(slack, user: str) -> list:  # noqa: ANN001
    """The quiz's DMs to `user` (admins also hear about digests)."""
    found = slack.fake.messages_in(slack.fake.dm_channel(user))
    return [m for m in found if m.blocks and "Spam basics" in texts(m.blocks)]


async def answered(slack, reply, user: str) -> str:  # noqa: ANN001
    """What the command said to the person: in the ack, or later by response_url."""
    if reply.text:
        return texts(reply.json()["blocks"])
    found = await eventually(lambda: slack.fake.ephemeral_for(user))
    return texts(found[-1].blocks)


async def test_a_channel_assignment_reaches_each_member_once_with_reminders_after_a_restart(
    workspace, database_url
) -> None:
    await imported(database_url)
    now = [datetime(2026, 11, 30, 10, 0, tzinfo=UTC)]
    command = "assign spam-basics to <#C0NWIND01|vendor-northwind> by 2026-12-02"
    async with running_bot(workspace, database_url, clock=lambda: now[0]) as (bot, slack):
        refused = await slack.command("/quiz", command, user=LEE)
        assert "may run `/quiz assign`" in await answered(slack, refused, LEE)
        said = await answered(slack, await slack.command("/quiz", command, user=TRAINER), TRAINER)
        members = [p.id for p in workspace.people]
        assert f"assigned to {len(members)} people by 2026-12-02" in said
        await slack.command("/quiz", command, user=TRAINER)  # the same command again: nobody told twice
        await settled(bot)
        for person in members:
            assert len([m for m in dms(slack, person) if "Quiz assigned" in texts(m.blocks)]) == 1, person
        assert not slack.fake.messages_in(slack.fake.dm_channel("UBOT0001"))
        # /quiz lists the assignment; Lee starts from the DM's button and passes.
        listing = (await slack.command("/quiz", "", user=LEE)).json()
        assert "Assigned to you:" in texts(listing["blocks"]) and "due 2026-12-02" in texts(listing["blocks"])
        invite = dms(slack, LEE)[0]
        assert "Quiz assigned: Spam basics" in texts(invite.blocks)
        await click(slack, invite, buttons(invite)[0])
        first = await eventually(lambda: [m for m in dms(slack, LEE) if "1/2" in texts(m.blocks)])
        assert first
    now[0] = datetime(2026, 12, 1, 9, 5, tzinfo=UTC)  # the day before, after 09:00 Dublin, after a restart
    async with running_bot(workspace, database_url, clock=lambda: now[0]) as (bot, slack):
        await timers.run_due(bot.services, bot.services.timers)
        await timers.run_due(bot.services, bot.services.timers)  # nothing is sent twice
        for person in members:
            reminders = [m for m in dms(slack, person) if "is due tomorrow" in texts(m.blocks)]
            assert len(reminders) == 1, person
        status = await answered(
            slack, await slack.command("/quiz", "status spam-basics", user=TRAINER), TRAINER
        )
        assert f"{len(members)} assigned, 0 finished" in status and "Northwind" in status
        lab = await answered(slack, await slack.command("/quiz", "status spam-basics", user=KAI), KAI)
        assert "may run `/quiz status`" in lab
