"""Calibration results end to end over signed HTTP against the Slack fake, with a controllable clock:
one voter is nothing to compare, the reveal posts at most ten discussion threads, results the channel
refuses are retried, then told to the facilitator and posted again from their button, and the trend
shows agreement per vendor and queue across sessions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from handlers.calibration import views
from storage.engine import Database
from storage.models import CalibrationResult, Claim
from tests.e2e.calibration_flow import (
    DUE_AT,
    KAI,
    LEE,
    NICO,
    QA_OPS,
    QUINN,
    TARA,
    VOTES,
    ballot,
    click,
    command_answer,
    count,
    create,
    dms_of,
    form_values,
    open_form,
    posts,
    said,
    vote_all,
)
from tests.e2e.escalate_flow import Clock, buttons, run_timers, submit
from tests.e2e.harness import quiet, running_bot, seeded_fake, settled, texts


async def test_one_voter_is_nothing_to_compare_and_keeps_no_figures_for_the_trend(
    workspace, database_url
) -> None:
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        assert await create(slack, bot, participants=f"{LEE} {KAI}") == {}
        await run_timers(bot)
        await vote_all(slack, bot, {LEE: ["remove", "remove", "remove"]})
        clock.now = DUE_AT
        await run_timers(bot)
        [results] = [
            texts(m.blocks) for m in posts(slack, QA_OPS) if "Calibration results" in texts(m.blocks)
        ]
        assert "Fewer than two people rated: nothing to compare" in results
        assert "remove 1" not in results and "alpha" not in results  # no ballot shown as "the votes"
        assert not [m for m in posts(slack, QA_OPS) if "Discuss item" in texts(m.blocks)]
        db = Database(database_url)
        async with db.transaction() as session:
            kept = (await session.scalars(select(CalibrationResult))).one()
        await db.dispose()
        assert (kept.participants, kept.mean_accuracy, kept.alpha, kept.fleiss) == (1, None, None, None)
        assert "accuracy n/a" in await command_answer(slack, "trend")


async def test_the_reveal_posts_at_most_ten_threads_and_lists_the_rest(workspace, database_url) -> None:
    clock = Clock()
    many = "item_id\n" + "".join(f"ITEM-{300 + n}\n" for n in range(1, 13))
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        assert await create(slack, bot, participants=f"{LEE} {KAI}", items=many) == {}
        await run_timers(bot)
        await vote_all(slack, bot, {LEE: ["remove"] * 12, KAI: ["allow"] * 12})  # every item split
        clock.now = DUE_AT
        await run_timers(bot)
        [results] = [
            texts(m.blocks) for m in posts(slack, QA_OPS) if "Calibration results" in texts(m.blocks)
        ]
        assert "items 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12." in results
        assert "the first 10, and 2 more are listed here only" in results
        threads = [texts(m.blocks) for m in posts(slack, QA_OPS) if "Discuss item" in texts(m.blocks)]
        assert len(threads) == 10 and "ITEM-310" in threads[-1]


async def test_the_trend_shows_agreement_per_vendor_and_queue_across_sessions(
    workspace, database_url
) -> None:
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        for number, votes in ((1, VOTES), (2, {who: ["remove", "allow", "allow"] for who in VOTES})):
            due = f"{clock.now + timedelta(days=2):%Y-%m-%d} 15:00"
            assert await create(slack, bot, title=f"Round {number}", due=due) == {}
            await run_timers(bot)
            await vote_all(slack, bot, votes, session=number)
            panel = next(
                m
                for m in dms_of(slack, QUINN)
                if f"CAL-{number} ·" in texts(m.blocks) and "Reveal now" in texts(m.blocks)
            )
            await click(slack, QUINN, panel, views.REVEAL)
            await settled(bot)
            await run_timers(bot)
            clock.advance(days=7)

        trend = await command_answer(slack, "trend hate-en")
        assert "Northwind Review Services · Hate speech EN" in trend
        first, second = trend.index("CAL-1"), trend.index("CAL-2")
        assert first < second  # oldest first
        assert "Round 1 · alpha 0.60 · accuracy 89%" in trend
        assert (
            "Round 2 · alpha n/a" in trend
            or "Round 2 · alpha 1.00 (+0.40) · accuracy 100% (+11 pts)" in trend
        )
        assert "alpha n/a" not in trend.split("CAL-1")[1].split("\n")[0]
        # A vendor lead sees their own vendor's trend; another vendor's lead sees none; labelers may not ask.
        assert "Hate speech EN" in await command_answer(slack, "trend", user=NICO)
        assert "No revealed calibration sessions" in await command_answer(slack, "trend", user="U0BBLEAD1")
        assert "trainers" in await command_answer(slack, "trend", user=LEE)
        assert "Only the facilitator" in await command_answer(slack, "status CAL-2", user=LEE)
        assert "Finished (3)" in await command_answer(slack, "status CAL-2", user=TARA)


async def test_results_that_cannot_be_posted_are_retried_then_the_facilitator_is_told(
    workspace, database_url
) -> None:
    clock = Clock()
    fake = seeded_fake(workspace)
    fake.add_channel("C0NOBOT01", "calibration-room", members=[QUINN, LEE, KAI], bot_member=False)
    async with running_bot(quiet(workspace), database_url, clock=clock, fake=fake) as (bot, slack):
        await voted_in_a_room_without_the_bot(slack, bot, clock)
        for _ in range(12):  # every retry, with back-off, until the timer gives up
            await run_timers(bot)
            clock.advance(minutes=31)
        told = [
            texts(m.blocks) for m in dms_of(slack, QUINN) if "could not post the results" in texts(m.blocks)
        ]
        assert len(told) == 1 and "not_in_channel" in told[0] and "C0NOBOT01" in told[0]
        assert await count(database_url, CalibrationResult) == 1  # the votes froze and the figures are kept


async def voted_in_a_room_without_the_bot(slack, bot, clock: Clock) -> None:  # noqa: ANN001
    """A session made in C0NOBOT01 (the bot is not in it), voted by Lee and Kai; the clock at its due."""
    view = await open_form(slack, channel="C0NOBOT01")
    assert await submit(slack, view, QUINN, form_values(participants=f"{LEE} {KAI}")) == {}
    await settled(bot)
    await run_timers(bot)
    await vote_all(slack, bot, {LEE: VOTES[LEE], KAI: VOTES[KAI]})
    clock.now = DUE_AT


async def test_results_the_bot_could_not_post_are_posted_again_from_the_facilitators_button(
    workspace, database_url
) -> None:
    """The channel refusing the results holds back nothing else: the facilitator's private figures
    come first. After the retries, "Post the results again" (in the failure DM, and offered by Reveal
    now) posts them once the bot is in the channel; a second click on the same button posts nothing."""
    clock = Clock()
    fake = seeded_fake(workspace)
    room = fake.add_channel("C0NOBOT01", "calibration-room", members=[QUINN, LEE, KAI], bot_member=False)
    async with running_bot(quiet(workspace), database_url, clock=clock, fake=fake) as (bot, slack):
        await voted_in_a_room_without_the_bot(slack, bot, clock)
        for _ in range(12):
            await run_timers(bot)
            clock.advance(minutes=31)
        assert [m for m in dms_of(slack, QUINN) if "per participant (private)" in texts(m.blocks)]
        assert "votes are closed" in texts(ballot(slack, LEE).blocks)
        [told] = [m for m in dms_of(slack, QUINN) if "could not post the results" in texts(m.blocks)]
        again = buttons(told.blocks)[views.REPOST]
        assert again["text"]["text"] == "Post the results again"
        # Reveal now on the revealed session offers the same.
        before = len(slack.fake.calls_to("response_url"))
        await slack.action(views.REVEAL, "1", user=QUINN, channel=slack.fake.dm_channel(QUINN))
        offered = await said(slack, before)
        assert "revealed already" in offered and "not in" in offered
        offer = slack.fake.calls_to("response_url")[-1].args.get("blocks")
        assert buttons(offer)[views.REPOST]["value"] == again["value"]
        # A labeler cannot post them.
        before = len(slack.fake.calls_to("response_url"))
        await click(slack, LEE, told, views.REPOST)
        assert "Only the facilitator or an admin" in await said(slack, before)
        room.members.add(fake.state.bot_user_id)
        for _ in range(2):  # the same button twice: one try, one post
            await click(slack, QUINN, told, views.REPOST)
            await settled(bot)
            await run_timers(bot)
        results = [m for m in posts(slack, "C0NOBOT01") if "Calibration results" in texts(m.blocks)]
        assert len(results) == 1 and "3 items · 2 raters" in texts(results[0].blocks)
        assert await count(database_url, Claim, key="calibrate-post:1:1") == 1
