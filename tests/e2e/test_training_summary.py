"""The weekly training summary end to end over signed HTTP against the Slack fake, on a controllable
clock: Monday 09:00 in the workspace's timezone, one DM with the burn-up chart each to the trainer, the
vendor's BPO contacts and the admins, once however often the timers run, and next week's already set."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.models import Claim
from tests.e2e.escalate_flow import Clock, run_timers
from tests.e2e.harness import running_bot, texts
from tests.e2e.training_flow import (
    KAI,
    LEE,
    NICO,
    NOW,
    QUINN,
    TARA,
    cohort_named,
    create_cohort,
    training_workspace,
    with_text,
)

HEADLINE = "Weekly training summary, *lisbon-dec*: 0 of 2 ready"
# Created Mon 30 Nov 10:00: the first summary is the next Monday, 7 Dec, 09:00 in Dublin (UTC+0 in winter).
FIRST = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


async def test_the_weekly_summary_goes_once_to_trainers_contacts_and_admins_with_its_chart(
    workspace, database_url
) -> None:
    clock = Clock(NOW)
    async with running_bot(training_workspace(workspace), database_url, clock=clock) as (bot, slack):
        assert await create_cohort(slack, bot, start="2026-12-02") == {}
        cohort = await cohort_named(bot)
        clock.now = datetime(2026, 12, 7, 8, 59, tzinfo=UTC)
        await run_timers(bot)
        assert not [p for p in (TARA, NICO, QUINN) if with_text(slack, p, HEADLINE)]

        clock.now = FIRST
        await run_timers(bot)
        await run_timers(bot)
        for person in (TARA, NICO, QUINN):  # the trainer, Northwind's operations contact, the admin
            sent = with_text(slack, person, HEADLINE)
            assert len(sent) == 1, person
            assert "Projected go-live *Mon 14 Dec 2026*, target Thu 31 Dec 2026" in texts(sent[0].blocks)
            charts = [
                f
                for f in slack.fake.state.files.values()
                if f.channel == slack.fake.dm_channel(person) and f.name == "lisbon-dec-burn-up.png"
            ]
            assert len(charts) == 1, person
            assert charts[0].data is not None and charts[0].data.startswith(b"\x89PNG\r\n\x1a\n")
        for person in (LEE, KAI):
            assert not with_text(slack, person, "Weekly training summary")

        async with bot.services.db.transaction() as session:
            rows = (
                await session.execute(
                    select(Claim.key, Claim.due_at, Claim.done_at).where(Claim.kind == "training.summary")
                )
            ).all()
        summaries = {key: (due, done) for key, due, done in rows if key.count(":") == 2}
        this_week, next_week = (
            f"training-summary:{cohort.id}:2026-12-07",
            f"training-summary:{cohort.id}:2026-12-14",
        )
        assert set(summaries) == {this_week, next_week}
        assert summaries[this_week][1] is not None
        assert summaries[next_week] == (datetime(2026, 12, 14, 9, 0, tzinfo=UTC), None)
