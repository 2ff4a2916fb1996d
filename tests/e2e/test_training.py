"""Training cohorts end to end over signed HTTP against the Slack fake, on a controllable clock."""

from __future__ import annotations

from tests.e2e.escalate_flow import Clock, run_timers
from tests.e2e.harness import running_bot, texts
from tests.e2e.training_flow import KAI, LEE, NOW, QA_OPS, TARA, create_cohort, dm_texts, training_workspace


async def test_a_cohort_from_the_form_is_laid_out_and_everyone_is_welcomed(workspace, database_url) -> None:
    clock = Clock(NOW)
    async with running_bot(training_workspace(workspace), database_url, clock=clock) as (bot, slack):
        assert await create_cohort(slack, bot) == {}
        await run_timers(bot)
        posted = [texts(m.blocks) for m in slack.fake.messages_in(QA_OPS) if m.blocks]
        assert any("lisbon-dec" in p for p in posted), posted
        for person in (TARA, LEE, KAI):
            assert any("lisbon-dec" in t for t in dm_texts(slack, person)), person
