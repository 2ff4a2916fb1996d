"""An appeal's durable timers in a running bot (Slack fake, real database, the test's clock): the review
reminders fall on the due day and each working day late, name the reviewers but not the auditor, stop once
the appeal is decided and survive a restart; the weekly DM reaches a labeler once a week with what they may
still appeal."""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.appeals import lifecycle, store
from handlers.appeals.store import Ruling
from tests.e2e.appeals_flow import (
    LABELER,
    QUINN,
    REVIEWS,
    TARA,
    ap001_appealed,
    with_appeals,
)
from tests.e2e.escalate_flow import Clock, dms, posts, run_timers, thread
from tests.e2e.harness import EXAMPLE_NOW, eventually, running_bot, texts


def reminders(slack, root) -> list[str]:  # noqa: ANN001
    return [m.text or "" for m in thread(slack, REVIEWS, root) if "⏰" in (m.text or "")]


async def test_reminders_on_the_due_day_and_each_working_day_late_until_decided(
    workspace, loaded_url
) -> None:
    ws = with_appeals(workspace)
    clock = Clock(EXAMPLE_NOW)  # Tuesday 24 November 2026, 10:15 in Dublin
    async with running_bot(ws, loaded_url, clock=clock) as (bot, slack):
        await ap001_appealed(bot, slack, ws, clock())
        await run_timers(bot)
        root = posts(slack, REVIEWS)[0]
        assert reminders(slack, root) == []

        clock.now = datetime(2026, 11, 27, 8, 59, tzinfo=UTC)  # Friday, a minute before
        await run_timers(bot)
        assert reminders(slack, root) == []
        clock.advance(minutes=1)
        await run_timers(bot)
        await run_timers(bot)
        said = reminders(slack, root)
        assert len(said) == 1 and "due for review today (2026-11-27)" in said[0]
        assert f"<@{TARA}>" in said[0] and f"<@{QUINN}>" not in said[0]  # Quinn audited it (qa-01)

    # a restart over the weekend: Monday's reminder still comes, once
    async with running_bot(ws, loaded_url, clock=clock) as (bot, slack2):
        slack2.fake.state = slack.fake.state
        clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        await run_timers(bot)
        said = reminders(slack2, root)
        assert len(said) == 2 and "past its review target (2026-11-27, 1 working day(s) late)" in said[1]

        await store.decide(bot.db, 1, Ruling("overturned", TARA, "4.2 covers it."), clock())
        await run_timers(bot)
        clock.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        await run_timers(bot)
        assert len(reminders(slack2, root)) == 2  # decided: Tuesday's reminder says nothing


async def test_the_weekly_dm_lists_what_a_labeler_may_still_appeal_once_a_week(workspace, loaded_url) -> None:
    ws = with_appeals(workspace)
    clock = Clock(EXAMPLE_NOW)
    async with running_bot(ws, loaded_url, clock=clock) as (bot, slack):
        await ap001_appealed(bot, slack, ws, clock())
        await run_timers(bot)

        clock.now = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # Monday, the weekly time
        await lifecycle.weekly_due(bot.services)
        await lifecycle.weekly_due(bot.services)  # the job twice (two replicas): one DM
        await run_timers(bot)
        weekly = [m for m in dms(slack, LABELER) if "may want to appeal" in (m.text or "") + str(m.blocks)]
        assert len(weekly) == 1
        text = str(weekly[0].blocks)
        assert "ap-002" in text and "ap-001" not in text  # ap-001 is appealed already
        assert "Appeal (until 2026-12-01)" in text
        assert dms(slack, "U0LABEL02") == []  # no roster entry, nothing to tell

        # a week later the window has closed on everything: no DM at all
        clock.advance(days=7)
        await lifecycle.weekly_due(bot.services)
        await run_timers(bot)
        assert len([m for m in dms(slack, LABELER) if "may want to appeal" in str(m.blocks)]) == 1


async def test_the_home_tab_says_what_waits_for_each_person(workspace, loaded_url) -> None:
    ws = with_appeals(workspace)
    clock = Clock(EXAMPLE_NOW)
    async with running_bot(ws, loaded_url, clock=clock) as (bot, slack):
        await ap001_appealed(bot, slack, ws, clock())

        async def home_of(user: str, event_id: str) -> str:
            before = len(slack.fake.calls_to("views.publish"))
            await slack.event({"type": "app_home_opened", "user": user, "tab": "home"}, event_id)
            published = await eventually(lambda: slack.fake.calls_to("views.publish")[before:])
            return texts(published[-1].json("view")["blocks"])

        assert "1 appeal(s) wait for a decision in" in await home_of(TARA, "EvApHome1")
        labeler = await home_of(LABELER, "EvApHome2")
        assert "You may still appeal 1 audited decision(s)" in labeler  # ap-002; ap-001 is appealed
        assert "wait for a decision" not in labeler
        other = await home_of("U0LABEL02", "EvApHome3")
        assert (
            "*Appeals*" not in other
            and "You may still appeal" not in other
            and "wait for a decision" not in other
        )


async def test_a_review_channel_the_bot_is_not_in_is_said_to_the_admins_once_and_posted_when_mended(
    workspace, loaded_url
) -> None:
    ws = with_appeals(workspace)
    clock = Clock(EXAMPLE_NOW)
    async with running_bot(ws, loaded_url, clock=clock) as (bot, slack):
        slack.fake.add_channel(REVIEWS, "qa-appeals", [p.id for p in ws.people], bot_member=False)
        await ap001_appealed(bot, slack, ws, clock())
        for _ in range(12):  # each try fails; the back-off doubles up to an hour
            await run_timers(bot)
            clock.advance(hours=1)
        told = [m for m in dms(slack, QUINN) if "cannot be posted in" in (m.text or "")]
        assert len(told) == 1 and "reviewers do not see it" in told[0].text
        assert posts(slack, REVIEWS) == []

        slack.fake.add_channel(REVIEWS, "qa-appeals", [p.id for p in ws.people])  # the bot is added
        clock.advance(hours=1)
        await run_timers(bot)
        roots = posts(slack, REVIEWS)
        assert len(roots) == 1 and "Appeal #1" in texts(roots[0].blocks)
        assert len([m for m in dms(slack, LABELER) if "is filed" in (m.text or "")]) == 1
