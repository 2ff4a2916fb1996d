"""A cohort file sent to the bot in a DM over signed HTTP: checked whole, every problem said and nothing
stored; a good file creates its cohorts once (sent again: nothing new), with channels read from Slack."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import TrainingCohort, TrainingMember
from tests.e2e.escalate_flow import Clock, run_timers
from tests.e2e.harness import eventually, running_bot, texts
from tests.e2e.test_ingest_uploads import upload
from tests.e2e.training_flow import KAI, LEE, NOW, QUINN, TARA, dm_texts, training_workspace, with_text

HEADER = "cohort,vendor,site,queues,plan,start,target,trainers,labeler,labeler_id\n"
GOOD = HEADER + (
    f"lisbon-jan,northwind,lisbon,hate-en,new-labeler,2026-12-02,2026-12-31,{TARA},{LEE},lab-lee\n"
    f"lisbon-jan,northwind,lisbon,hate-en,new-labeler,2026-12-02,2026-12-31,{TARA},{KAI},\n"
)
BAD = HEADER + (
    f"lisbon-jan,northwind,lisbon,hate-en,new-labeler,2026-12-02,2026-12-04,{TARA},{LEE},\n"  # cannot fit
    f"lisbon-feb,nowhere,lisbon,hate-en,new-labeler,2026-12-02,2026-12-31,{TARA},{KAI},\n"  # no such vendor
)


async def _cohorts(bot) -> int:  # noqa: ANN001
    async with bot.services.db.transaction() as session:
        return await session.scalar(select(func.count()).select_from(TrainingCohort))


async def test_a_cohort_file_in_a_dm_is_checked_whole_then_created_once(workspace, database_url) -> None:
    clock = Clock(NOW)
    async with running_bot(training_workspace(workspace), database_url, clock=clock) as (bot, slack):
        dm = slack.fake.dm_channel(QUINN)
        await upload(slack, QUINN, "bad-cohorts.csv", BAD.encode(), dm)
        refused = await eventually(lambda: with_text(slack, QUINN, "Nothing was kept from *bad-cohorts.csv*"))
        said = texts(refused[0].blocks)
        assert "line 2: target:" in said and "Mon 14 Dec 2026" in said  # the plan needs until 11 Dec
        assert "line 3: vendor:" in said and "nowhere" in said
        assert await _cohorts(bot) == 0

        await upload(slack, QUINN, "cohorts.csv", GOOD.encode(), dm)
        made = await eventually(lambda: with_text(slack, QUINN, "cohort(s) created from *cohorts.csv*"))
        assert "*lisbon-jan*: 2 labelers" in texts(made[0].blocks)
        await run_timers(bot)
        assert await _cohorts(bot) == 1
        async with bot.services.db.transaction() as session:
            ids = dict(
                (await session.execute(select(TrainingMember.user_id, TrainingMember.labeler_id))).all()
            )
        assert ids == {TARA: None, LEE: "lab-lee", KAI: None}
        for person in (TARA, LEE, KAI):
            assert sum("lisbon-jan" in t and "first session" in t for t in dm_texts(slack, person)) == 1

        await upload(slack, QUINN, "cohorts.csv", GOOD.encode(), dm)
        again = await eventually(lambda: with_text(slack, QUINN, "was imported before: nothing new"))
        assert len(again) == 1 and await _cohorts(bot) == 1


async def test_a_cohort_file_from_a_labeler_is_refused(workspace, database_url) -> None:
    async with running_bot(training_workspace(workspace), database_url, clock=Clock(NOW)) as (bot, slack):
        await upload(slack, LEE, "cohorts.csv", GOOD.encode(), slack.fake.dm_channel(LEE))
        assert await eventually(lambda: with_text(slack, LEE, "created by admins and trainers"))
        assert await _cohorts(bot) == 0
