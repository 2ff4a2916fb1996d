"""Calibration ballots reaching the participants, over signed HTTP against the Slack fake with a
controllable clock: an invitation that fails is tried again and, failing at every try, told to the
facilitator; reminders reach who has not finished, once at their time (to someone without a ballot,
the ballot itself); and the due time reveals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.calibration import views
from handlers.calibration.agreement import session_statistics
from handlers.policy.store import load_dir
from storage.engine import Database
from storage.migrate import upgrade
from tests.conftest import ROOT
from tests.e2e.calibration_flow import (
    DUE_AT,
    KAI,
    LEE,
    QA_OPS,
    QUINN,
    TARA,
    ballot,
    command_answer,
    create,
    dms_of,
    posts,
    progress,
    said,
    vote_all,
    votes_of,
)
from tests.e2e.escalate_flow import Clock, run_timers
from tests.e2e.harness import quiet, running_bot, texts

REMINDER_CSV = """ITEM-201,,quoted slur in a news report,allow
ITEM-202,,,remove
ITEM-203,,,allow
"""


async def test_reminders_reach_who_has_not_finished_once_and_the_due_time_reveals(
    workspace, database_url
) -> None:
    db = Database(database_url)
    await upgrade(db)
    await load_dir(db, ROOT / "examples" / "policies", Clock().now)
    await db.dispose()
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        assert await create(slack, bot, participants=f"{LEE} {KAI}", items=REMINDER_CSV) == {}
        await run_timers(bot)
        await vote_all(slack, bot, {LEE: ["remove", "remove", "allow"], KAI: ["allow"]})

        def reminders(person: str) -> list[str]:
            return [texts(m.blocks) for m in dms_of(slack, person) if "⏰" in texts(m.blocks)]

        clock.now = DUE_AT - timedelta(hours=24)
        await run_timers(bot)
        await run_timers(bot)
        assert reminders(LEE) == []
        assert len(reminders(KAI)) == 1 and "rated 1 of 3" in reminders(KAI)[0]
        clock.now = DUE_AT - timedelta(hours=2)
        await run_timers(bot)
        assert len(reminders(KAI)) == 2 and reminders(LEE) == []
        assert posts(slack, QA_OPS) == []

        clock.now = DUE_AT
        await run_timers(bot)
        await run_timers(bot)
        results = [texts(m.blocks) for m in posts(slack, QA_OPS) if "Calibration results" in texts(m.blocks)]
        assert len(results) == 1
        assert "3 items · 2 raters" in results[0]
        assert "Fleiss' kappa*\nnot computed: items have 1 to 2 ratings" in results[0]
        ratings = [("ITEM-201", LEE, "remove"), ("ITEM-202", LEE, "remove"), ("ITEM-203", LEE, "allow"),
                   ("ITEM-201", KAI, "allow")]  # fmt: skip
        report = session_statistics(ratings, {"ITEM-201": "allow", "ITEM-202": "remove", "ITEM-203": "allow"})
        # Only ITEM-201 has two ratings, and they differ: alpha = 1 - (2-1)·2/(2·2 - 2) = 0.
        assert report.alpha == pytest.approx(0.0) and "Krippendorff's alpha*\n0.00" in results[0]
        threads = [texts(m.blocks) for m in posts(slack, QA_OPS) if "Discuss item" in texts(m.blocks)]
        assert len(threads) == len(report.discussion) >= 1
        assert "ITEM-201" in threads[0] and "Quoted slurs in news reports" in threads[0]
        assert "votes are closed" in texts(ballot(slack, KAI).blocks)

        before = len(slack.fake.calls_to("response_url"))
        await slack.action(f"{views.VOTE}0", "1|2|allow", user=KAI, channel=slack.fake.dm_channel(KAI))
        assert "revealed" in await said(slack, before)
        assert await votes_of(database_url, KAI) == [(1, "allow")]
        listed = await command_answer(slack, "list", user=KAI)
        assert "CAL-1" in listed and "revealed" in listed


async def test_the_facilitator_hears_who_could_not_get_their_ballot(workspace, database_url) -> None:
    async with running_bot(quiet(workspace), database_url, clock=Clock()) as (bot, slack):
        assert await create(slack, bot, participants=f"{LEE} {KAI} U0GHOST01") == {}
        await run_timers(bot)
        await run_timers(bot)
        told = [
            texts(m.blocks) for m in dms_of(slack, QUINN) if "could not send the ballot" in texts(m.blocks)
        ]
        assert len(told) == 1 and "<@U0GHOST01>" in told[0] and f"<@{LEE}>" not in told[0]
        assert "Item 1 of 3" in texts(ballot(slack, LEE).blocks)  # the others were invited all the same
        assert "Not yet (3)" in progress(slack)


async def test_an_invitation_that_failed_for_a_while_is_tried_again(workspace, database_url) -> None:
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        slack.fake.error_next("conversations.open", "internal_error")  # the first DM opened: Lee's
        assert await create(slack, bot) == {}
        await run_timers(bot)
        assert not [m for m in dms_of(slack, LEE) if "Item 1 of 3" in texts(m.blocks)]
        clock.advance(minutes=2)  # past the back-off
        await run_timers(bot)
        for person in (LEE, KAI, TARA):  # Lee invited now; the others still once
            assert len([m for m in dms_of(slack, person) if "CAL-1 " in texts(m.blocks)]) == 1, person
        assert not [m for m in dms_of(slack, QUINN) if "could not send the ballot" in texts(m.blocks)]


async def test_a_reminder_to_someone_without_a_ballot_sends_the_ballot(workspace, database_url) -> None:
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        slack.fake.error_next("conversations.open", "account_inactive")  # Lee, for now
        assert await create(slack, bot, participants=f"{LEE} {KAI}") == {}
        await run_timers(bot)
        assert not dms_of(slack, LEE)

        def reminders(person: str) -> list[str]:
            return [texts(m.blocks) for m in dms_of(slack, person) if "⏰" in texts(m.blocks)]

        clock.now = DUE_AT - timedelta(hours=24)
        await run_timers(bot)
        assert "Item 1 of 3" in texts(ballot(slack, LEE).blocks) and reminders(LEE) == []
        assert len(reminders(KAI)) == 1
        clock.now = DUE_AT - timedelta(hours=2)
        await run_timers(bot)
        assert len(reminders(LEE)) == 1 and "Your ballot is above" in reminders(LEE)[0]
        assert len([m for m in dms_of(slack, LEE) if "Item 1 of 3" in texts(m.blocks)]) == 1


async def test_an_invitation_failing_at_every_try_is_told_to_the_facilitator(workspace, database_url) -> None:
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        slack.fake.error_next("conversations.open", "internal_error")
        assert await create(slack, bot) == {}
        for _ in range(10):  # each try fails for Lee alone (the others' ballots are claimed, sent once)
            slack.fake.error_next("conversations.open", "internal_error")
            clock.advance(minutes=31)
            await run_timers(bot)
        assert not [m for m in dms_of(slack, LEE) if "CAL-1 " in texts(m.blocks)]
        told = [
            texts(m.blocks) for m in dms_of(slack, QUINN) if "could not send the ballot" in texts(m.blocks)
        ]
        assert len(told) == 1 and f"<@{LEE}> (internal_error)" in told[0] and f"<@{KAI}>" not in told[0]
        assert len([m for m in dms_of(slack, KAI) if "CAL-1 " in texts(m.blocks)]) == 1
