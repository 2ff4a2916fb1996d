"""Training cohorts created end to end over signed HTTP against the Slack fake, on a controllable clock:
the form laid out on Lisbon's working days, a double submit, a plan that cannot fit, bad input."""

from __future__ import annotations

from datetime import date

from storage.models import TrainingCohort, TrainingMember, TrainingSession
from tests.e2e.escalate_flow import Clock, opened_view, run_timers, submit
from tests.e2e.harness import running_bot, settled, texts
from tests.e2e.training_flow import (
    KAI,
    LEE,
    NOW,
    QA_OPS,
    QUINN,
    TARA,
    cohort_named,
    cohort_values,
    count,
    create_cohort,
    days_of,
    dm_texts,
    training_workspace,
)

# The new-labeler plan on Lisbon's 09:00-17:30 days (510 minutes), worked out by hand. The start, Tue 1 Dec,
# is a holiday, so Wed 2 Dec: welcome 2 h, process 3 h, policy-basics 3 h (480 min used, reading's 4 h
# does not fit); Thu 3 Dec: reading 4 h, spam practice 3 h, the check 1 h; nesting takes whole days from
# the next working day: Fri 4, Mon 7, (Tue 8 a holiday) Wed 9, Thu 10, Fri 11 Dec; go-live Mon 14 Dec.
LAID_OUT = [
    ("welcome-1", "2026-12-02 09:00", "11:00"),
    ("process-1", "2026-12-02 11:00", "14:00"),
    ("policy-basics-1", "2026-12-02 14:00", "17:00"),
    ("policy-reading-1", "2026-12-03 09:00", "13:00"),
    ("spam-practice-1", "2026-12-03 13:00", "16:00"),
    ("spam-check-1", "2026-12-03 16:00", "17:00"),
    ("nesting-1", "2026-12-04 09:00", "17:30"),
    ("nesting-2", "2026-12-07 09:00", "17:30"),
    ("nesting-3", "2026-12-09 09:00", "17:30"),
    ("nesting-4", "2026-12-10 09:00", "17:30"),
    ("nesting-5", "2026-12-11 09:00", "17:30"),
]
HOLIDAYS = {date(2026, 12, 1), date(2026, 12, 8)}


async def test_a_cohort_from_the_form_skips_portuguese_holidays_and_a_double_submit_makes_one(
    workspace, database_url
) -> None:
    clock = Clock(NOW)
    async with running_bot(training_workspace(workspace), database_url, clock=clock) as (bot, slack):
        before = len(slack.fake.calls_to("views.open"))
        await slack.command("/training", "new", user=TARA, channel=QA_OPS)
        view = await opened_view(slack, before)
        values = cohort_values(start="2026-12-01", target="2026-12-31")
        assert await submit(slack, view, TARA, values) == {}
        assert await submit(slack, view, TARA, values) == {}  # the same form sent twice
        await settled(bot)
        await run_timers(bot)
        await run_timers(bot)

        assert await count(bot, TrainingCohort) == 1
        assert await count(bot, TrainingSession) == len(LAID_OUT)
        assert await count(bot, TrainingMember) == 3
        cohort = await cohort_named(bot)
        local = [(s.id, f"{s.start:%Y-%m-%d %H:%M}", f"{s.end:%H:%M}") for s in cohort.sessions]
        assert local == LAID_OUT
        assert all(str(s.start.tzinfo) == "Europe/Lisbon" for s in cohort.sessions)
        assert not {s.start.date() for s in cohort.sessions} & HOLIDAYS
        assert days_of(cohort, "nesting") == [date(2026, 12, d) for d in (4, 7, 9, 10, 11)]

        posted = [texts(m.blocks) for m in slack.fake.messages_in(QA_OPS) if m.blocks]
        created = [p for p in posted if "Training cohort *lisbon-dec* created" in p]
        assert len(created) == 1, posted
        assert "2 labelers, go-live Mon 14 Dec 2026" in created[0]
        assert "Starts Wed 2 Dec 2026: Tue 1 Dec 2026 is Restoration of Independence Day" in created[0]
        assert "Tue 08 Dec 09:00" not in created[0] and "Tue 01 Dec 09:00" not in created[0]
        for person in (TARA, LEE, KAI):
            welcomes = [t for t in dm_texts(slack, person) if "training cohort *lisbon-dec*" in t]
            assert len(welcomes) == 1, (person, dm_texts(slack, person))
            assert "first session Wed 02 Dec 09:00 WET" in welcomes[0]
        assert "You train training cohort" in dm_texts(slack, TARA)[0]
        assert "You join training cohort" in dm_texts(slack, LEE)[0]
        assert not [t for t in dm_texts(slack, QUINN) if "lisbon-dec" in t]


async def test_a_plan_that_cannot_fit_is_said_on_the_target_at_once(workspace, database_url) -> None:
    async with running_bot(training_workspace(workspace), database_url, clock=Clock(NOW)) as (bot, slack):
        # Target Fri 4 Dec; the plan's go-live is Mon 14 Dec (as above). Working days after the target up
        # to go-live: Mon 7, Wed 9, Thu 10, Fri 11, Mon 14 (Tue 8 a holiday, the weekends off) = 5.
        answer = await create_cohort(slack, bot, start="2026-12-02", target="2026-12-04")
        assert answer["response_action"] == "errors"
        assert answer["errors"] == {
            "target": "The plan needs until Mon 14 Dec 2026, 5 working days after the target Fri 4 Dec 2026: "
            "move the target or shorten the plan."
        }
        assert await count(bot, TrainingCohort) == 0
        assert await count(bot, TrainingSession) == 0
        await run_timers(bot)
        assert not [t for p in (TARA, LEE, KAI) for t in dm_texts(slack, p) if "lisbon-dec" in t]


async def test_bad_input_is_said_on_each_field_and_nothing_is_stored(workspace, database_url) -> None:
    async with running_bot(training_workspace(workspace), database_url, clock=Clock(NOW)) as (bot, slack):
        unknown = await create_cohort(slack, bot, vendor="eastwind", queues="nope-en", plan="advanced")
        errors = unknown["errors"]
        assert errors["vendor"] == (
            "There is no vendor “eastwind” in the workspace file (vendors: northwind, bluebird)."
        )
        assert (
            errors["queues"] == "There is no queue nope-en in the workspace file (queues of lisbon: hate-en)."
        )
        assert errors["plan"] == "There is no training plan “advanced” (plans: new-labeler)."
        assert set(errors) == {"vendor", "queues", "plan"}

        elsewhere = await create_cohort(slack, bot, site="nairobi")
        assert (
            elsewhere["errors"]["site"] == "northwind does not work at nairobi (its sites: lisbon, manila)."
        )
        assert set(elsewhere["errors"]) <= {"site", "queues"}

        wrong_queue = await create_cohort(slack, bot, queues="hate-en graphic-img")
        assert wrong_queue["errors"]["queues"] == (  # a queue's id is never capitalised
            "graphic-img is bluebird's queue, not northwind's (queues of northwind at lisbon: hate-en)."
        )
        assert set(wrong_queue["errors"]) == {"queues"}

        assert await count(bot, TrainingCohort) == 0
        assert await count(bot, TrainingSession) == 0 and await count(bot, TrainingMember) == 0
