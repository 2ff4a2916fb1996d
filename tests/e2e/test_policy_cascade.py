"""Policy cascades end to end over signed HTTP against the Slack fake: an admin publishes the spam
update to Northwind's channel (posted once, however often published), a member acknowledges twice and
counts once, a stranger is refused, acknowledging starts the quiz in the DM, reminders reach the pending
members once across a restart, and /policy cascade shows who is pending."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update

from bot import timers
from bot.workspace import Workspace
from handlers.policy import store
from handlers.policy.cascade_reminders import REMIND_KIND
from handlers.quiz import attempts
from handlers.quiz import store as quiz_store
from storage.engine import Database
from storage.migrate import upgrade
from storage.models import Claim, PolicyCascadeMember, QuizAttempt
from tests.conftest import ROOT
from tests.e2e.harness import eventually, running_bot, seeded_fake, settled, texts
from tests.e2e.test_quiz import buttons, click, spam_bank
from tests.e2e.test_quiz_assign import answered

ADMIN, TRAINER, LEE, KAI, NICO = "U0QALEAD1", "U0TRAINER1", "U0LABEL01", "U0LABEL02", "U0NWLEAD1"
NORTHWIND = "C0NWIND01"
HELPER_BOT = "U0HELPBOT"
BLUEBIRD, BLUEBIRD_LEAD = "C0BLUEB01", "U0BBLEAD1"
PUBLISH = "publish spam --to northwind --ack-by 2026-12-03 --quiz spam-basics"


async def done_timers(db: Database, kind: str) -> list[str]:
    """The keys of the timers of one kind that have run."""
    async with db.transaction() as session:
        return list(
            await session.scalars(select(Claim.key).where(Claim.kind == kind, Claim.done_at.is_not(None)))
        )


async def reopen(database_url: str, key: str) -> None:
    """A timer back to due and unowned, as a process that died while running it leaves it."""
    db = Database(database_url)
    async with db.transaction() as session:
        await session.execute(
            update(Claim).where(Claim.key == key).values(done_at=None, owner=None, lease_until=None)
        )
    await db.dispose()


async def library(database_url: str) -> None:
    """The example policy library and the spam quiz, as `tsqa policy load` and `tsqa quiz import` do."""
    db = Database(database_url)
    await upgrade(db)
    await store.load_dir(db, ROOT / "examples" / "policies", datetime(2026, 11, 30, tzinfo=UTC))
    await quiz_store.import_bank(db, spam_bank(), datetime(2026, 11, 30, tzinfo=UTC))
    await db.dispose()


def northwind_fake(workspace: Workspace):  # noqa: ANN201
    """Everyone in every channel, except Northwind's: its lead and Lee only (and the bot, and another
    app's bot user, neither of them a member to track)."""
    fake = seeded_fake(workspace)
    fake.add_user(HELPER_BOT, "helper", real_name="Helper app", is_bot=True)
    fake.add_channel(NORTHWIND, "vendor-northwind", members=[NICO, LEE, HELPER_BOT])
    return fake


def updates(slack) -> list:  # noqa: ANN001
    return [m for m in slack.fake.messages_in(NORTHWIND) if m.blocks and "Policy update" in texts(m.blocks)]


def reminders(slack, user: str) -> list:  # noqa: ANN001
    found = slack.fake.messages_in(slack.fake.dm_channel(user))
    return [m for m in found if m.blocks and "is due tomorrow" in texts(m.blocks)]


async def said_to(slack, user: str, words: str) -> list:  # noqa: ANN001
    return await eventually(lambda: [m for m in slack.fake.ephemeral_for(user) if words in texts(m.blocks)])


async def test_an_update_is_posted_once_acknowledged_once_and_reminded_once_across_a_restart(
    workspace, database_url
) -> None:
    workspace = workspace.model_copy(update={"digests": []})
    await library(database_url)
    now = [datetime(2026, 12, 1, 10, 0, tzinfo=UTC)]
    async with running_bot(workspace, database_url, fake=northwind_fake(workspace), clock=lambda: now[0]) as (
        bot,
        slack,
    ):
        refused = await answered(slack, await slack.command("/policy", PUBLISH, user=TRAINER), TRAINER)
        assert "may run `/policy publish`" in refused and not updates(slack)
        summary = await answered(slack, await slack.command("/policy", PUBLISH, user=ADMIN), ADMIN)
        assert "published to 1 channel(s), 2 members to acknowledge by 2026-12-03" in summary
        await slack.command("/policy", PUBLISH, user=ADMIN)  # again: nothing posted twice
        await settled(bot)
        assert len(slack.fake.calls_to("users.list")) == 1  # the bot users, read once for both
        [post] = updates(slack)
        shown = texts(post.blocks)
        assert "Spam and platform manipulation · version 2" in shown and "Engagement bait" in shown
        assert "Effective 2026-11-01" in shown and "https://policies.example.com/spam" in shown

        button = buttons(post)[0]
        assert button["text"]["text"] == "I have read and understood"
        await click(slack, post, button, user=LEE)
        assert await said_to(slack, LEE, "Recorded: you have read and understood")
        quiz = await eventually(
            lambda: [
                m for m in slack.fake.messages_in(slack.fake.dm_channel(LEE)) if "1/2" in texts(m.blocks)
            ]
        )
        assert quiz and "Spam basics" in texts(quiz[0].blocks)  # the quiz starts in Lee's DM
        await click(slack, post, button, user=LEE)
        assert await said_to(slack, LEE, "already recorded")
        await click(slack, post, button, user=KAI)  # not in Northwind's channel
        assert await said_to(slack, KAI, "I don't have you among them")
        await settled(bot)
        async with bot.db.transaction() as session:
            acked = await session.scalar(
                select(func.count())
                .select_from(PolicyCascadeMember)
                .where(PolicyCascadeMember.acked_at.is_not(None))
            )
        assert acked == 1
        assert (
            len([m for m in slack.fake.messages_in(slack.fake.dm_channel(LEE)) if "1/2" in texts(m.blocks)])
            == 1
        )

    fake = northwind_fake(workspace)  # one Slack across the restart, so its DMs add up
    now[0] = datetime(2026, 12, 2, 9, 5, tzinfo=UTC)  # the day before, after 09:00 Dublin
    async with running_bot(workspace, database_url, fake=fake, clock=lambda: now[0]) as (bot, slack):
        assert await timers.run_due(bot.services, bot.services.timers) == 1
        assert len(reminders(slack, NICO)) == 1
        [remind] = await done_timers(bot.db, REMIND_KIND)
    await reopen(database_url, remind)  # as if the process had died before recording the timer done
    async with running_bot(workspace, database_url, fake=fake, clock=lambda: now[0]) as (bot, slack):
        assert await timers.run_due(bot.services, bot.services.timers) == 1  # a new process fires it again
        assert len(reminders(slack, NICO)) == 1  # and sends nobody a second DM
        # Lee acknowledged but has not passed the quiz yet: still pending; Kai was never a member.
        assert len(reminders(slack, LEE)) == 1 and not reminders(slack, KAI)
        status = await answered(slack, await slack.command("/policy", "cascade spam", user=ADMIN), ADMIN)
        assert "1 of 2 acknowledged (50%), 0 passed the quiz (0%)" in status
        assert "Northwind Review Services" in status and "Pending (2)" in status
        lead = await answered(slack, await slack.command("/policy", "cascade spam", user=NICO), NICO)
        assert "1/2 acknowledged" in lead
        labeler = await answered(slack, await slack.command("/policy", "cascade spam", user=KAI), KAI)
        assert "may run `/policy cascade`" in labeler


async def test_each_vendor_lead_sees_only_their_channels_and_a_later_click_restarts_a_quiz_not_passed(
    workspace, database_url
) -> None:
    workspace = workspace.model_copy(update={"digests": []})
    await library(database_url)
    fake = northwind_fake(workspace)
    fake.add_channel(BLUEBIRD, "vendor-bluebird", members=[KAI, BLUEBIRD_LEAD])
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    async with running_bot(workspace, database_url, fake=fake, clock=lambda: now) as (bot, slack):
        both = "publish spam --to northwind bluebird --ack-by 2026-12-03 --quiz spam-basics"
        summary = await answered(slack, await slack.command("/policy", both, user=ADMIN), ADMIN)
        assert "published to 2 channel(s), 4 members" in summary
        north = await answered(slack, await slack.command("/policy", "cascade spam", user=NICO), NICO)
        assert "Northwind Review Services" in north and "Pending (2)" in north and LEE in north
        assert "Bluebird" not in north and KAI not in north and BLUEBIRD_LEAD not in north
        blue = await answered(
            slack, await slack.command("/policy", "cascade spam", user=BLUEBIRD_LEAD), BLUEBIRD_LEAD
        )
        assert "Bluebird Moderation" in blue and "Pending (2)" in blue and KAI in blue
        assert "Northwind" not in blue and LEE not in blue and NICO not in blue

        [post] = updates(slack)
        button = buttons(post)[0]

        def starts() -> list:
            return [m for m in slack.fake.messages_in(slack.fake.dm_channel(LEE)) if "1/2" in texts(m.blocks)]

        await click(slack, post, button, user=LEE)
        assert len(await eventually(starts)) == 1
        await click(slack, post, button, user=LEE)  # the attempt is still open: nothing new starts
        assert await said_to(slack, LEE, "already recorded")
        await settled(bot)
        assert len(starts()) == 1
        attempt = await attempts.open_attempt(bot.db, LEE, "spam-basics")
        assert attempt is not None
        async with bot.db.transaction() as session:  # the attempt ends without a pass (time ran out)
            await session.execute(
                update(QuizAttempt).where(QuizAttempt.attempt_id == attempt.attempt_id).values(deadline=now)
            )
        assert await attempts.close_expired(bot.db, attempt.attempt_id, now) is not None
        await click(slack, post, button, user=LEE)  # acknowledged, not passed, nothing open: again
        assert len(await eventually(lambda: starts() if len(starts()) == 2 else [])) == 2
