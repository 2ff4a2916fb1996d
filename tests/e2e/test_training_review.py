"""Stories for the training review's fixes, end to end over signed HTTP against the Slack fake on a
controllable clock: a labeler's status shows their own row, rosters answered only to those who run a
cohort, the form's channel used only when the submitter is in it, no move of a started session or into
the past, one-digit hours, a move back and forth applied every time, and a trainer required."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from storage.models import Claim, TrainingCohort, TrainingMember, TrainingSession
from tests.e2e.escalate_flow import Clock, opened_view, run_timers, submit
from tests.e2e.harness import SlackSide, eventually, running_bot, seeded_fake, settled, texts
from tests.e2e.test_ingest_uploads import upload
from tests.e2e.training_flow import (
    KAI,
    LEE,
    NOW,
    QA_OPS,
    TARA,
    cohort_named,
    cohort_values,
    count,
    create_cohort,
    dm_texts,
    pressed,
    said,
    training_workspace,
    with_text,
)

NOT_YOURS = "⛔ That cohort is run by its trainers, admins and the QA trainers."
ELSEWHERE = "C0ELSEWH1"  # a channel Tara is not in (Lee and Kai are)
EMPTY = "C0EMPTY01"  # a channel with nobody in it but the bot
CREATED = "Training cohort *lisbon-dec* created"
# process-1 as laid out (Wed 2 Dec 11:00, see test_training.py) and moved to Thu 3 Dec 09:00 (see
# test_training_moves.py): the ten sessions from process-1 to nesting-5 change each time.
ORIGINAL = {
    "process-1": "2026-12-02 11:00",
    "policy-basics-1": "2026-12-02 14:00",
    "policy-reading-1": "2026-12-03 09:00",
    "nesting-5": "2026-12-11 09:00",
}
THURSDAY = {
    "process-1": "2026-12-03 09:00",
    "policy-basics-1": "2026-12-03 12:00",
    "policy-reading-1": "2026-12-04 09:00",
    "nesting-5": "2026-12-14 09:00",
}


def fake_with_channels(workspace: Any) -> Any:  # noqa: ANN401
    fake = seeded_fake(workspace)
    fake.add_channel(ELSEWHERE, "elsewhere", members=[LEE, KAI])
    fake.add_channel(EMPTY, "empty-room", members=[])
    return fake


async def timers_like(bot: Any, prefix: str) -> int:  # noqa: ANN401
    async with bot.services.db.transaction() as session:
        query = select(func.count()).select_from(Claim).where(Claim.key.like(f"{prefix}%"))
        return int(await session.scalar(query) or 0)


def at(cohort: Any, ids: dict[str, str]) -> dict[str, str]:  # noqa: ANN401
    return {s.id: f"{s.start:%Y-%m-%d %H:%M}" for s in cohort.sessions if s.id in ids}


async def test_a_labeler_sees_the_counts_and_only_their_own_row(workspace, database_url) -> None:
    clock = Clock(NOW)
    async with running_bot(training_workspace(workspace), database_url, clock=clock) as (bot, slack):
        assert await create_cohort(slack, bot, start="2026-12-02") == {}
        clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # welcome-1 (09:00-11:00) over: no check-ins
        await run_timers(bot)
        missed = "missed Welcome and tools tour on Wed 02 Dec"

        everyone = await said(slack, "status lisbon-dec", TARA)
        assert "Cohort *lisbon-dec*: 0 of 2 labelers ready" in everyone
        assert f"<@{LEE}>: {missed}" in everyone and f"<@{KAI}>: {missed}" in everyone

        own = await said(slack, "status lisbon-dec", LEE)
        assert "Cohort *lisbon-dec*: 0 of 2 labelers ready" in own
        assert f"<@{LEE}>: {missed}" in own
        assert f"<@{LEE}> · " in own
        assert KAI not in own, own

        theirs = await said(slack, "status lisbon-dec", KAI)
        assert f"<@{KAI}>: {missed}" in theirs and LEE not in theirs, theirs

        # The Status button of the welcome DM answers the same way.
        welcome = with_text(slack, LEE, "You join training cohort *lisbon-dec*")[0]
        pressed_own = await pressed(slack, welcome, "training-status", LEE)
        assert f"<@{LEE}>: {missed}" in pressed_own and KAI not in pressed_own, pressed_own
        trainer = with_text(slack, TARA, "You train training cohort *lisbon-dec*")[0]
        pressed_all = await pressed(slack, trainer, "training-status", TARA)
        assert f"<@{LEE}>: {missed}" in pressed_all and f"<@{KAI}>: {missed}" in pressed_all


async def test_a_roster_from_a_labeler_is_refused_without_saying_who_is_where(
    workspace, database_url
) -> None:
    async with running_bot(training_workspace(workspace), database_url, clock=Clock(NOW)) as (bot, slack):
        assert await create_cohort(slack, bot, start="2026-12-02") == {}
        in_cohort = f"user,labeler_id\n{LEE},nw-t01\n{KAI},nw-t02\n".encode()
        nowhere = f"user,labeler_id\n{TARA},nw-t08\n".encode()  # a trainer, in no cohort as a labeler
        for number, content in enumerate((in_cohort, nowhere), 1):
            await upload(slack, LEE, f"roster-{number}.csv", content, slack.fake.dm_channel(LEE))
            answers = await _dm_answers(slack, LEE, number)
            assert answers[-1] == NOT_YOURS, answers
        cohort = await cohort_named(bot)
        assert {m.labeler_id for m in cohort.labelers} == {None}

        await upload(slack, TARA, "roster.csv", in_cohort, slack.fake.dm_channel(TARA))
        kept = await _eventually_dm(slack, TARA, "Labeler IDs kept")
        assert "Labeler IDs kept for 2 labelers of *lisbon-dec*" in kept
        cohort = await cohort_named(bot)
        assert {m.user_id: m.labeler_id for m in cohort.labelers} == {LEE: "nw-t01", KAI: "nw-t02"}


async def _dm_answers(slack: SlackSide, user: str, at_least: int) -> list[str]:
    found = await eventually(lambda: [t for t in dm_texts(slack, user) if "⛔" in t][at_least - 1 :])
    assert found, dm_texts(slack, user)
    return [t for t in dm_texts(slack, user) if "⛔" in t]


async def _eventually_dm(slack: SlackSide, user: str, words: str) -> str:
    found = await eventually(lambda: with_text(slack, user, words))
    assert found, dm_texts(slack, user)
    return texts(found[-1].blocks)


async def _form_from(slack: SlackSide, bot: Any, channel: str) -> dict[str, Any]:  # noqa: ANN401
    """`/training new` in QA ops, the form's state naming `channel` (as a client could send it back)."""
    before = len(slack.fake.calls_to("views.open"))
    await slack.command("/training", "new", user=TARA, channel=QA_OPS)
    view = await opened_view(slack, before)
    token = view["private_metadata"].partition("|")[0]
    forged = {**view, "private_metadata": f"{token}|{channel}"}
    answer = await submit(slack, forged, TARA, cohort_values(start="2026-12-02"))
    await settled(bot)
    await run_timers(bot)
    return answer


async def test_the_cohort_is_posted_in_the_forms_channel_only_when_the_creator_is_in_it(
    workspace, database_url
) -> None:
    ws = training_workspace(workspace)
    async with running_bot(ws, database_url, clock=Clock(NOW), fake=fake_with_channels(ws)) as (bot, slack):
        assert await _form_from(slack, bot, ELSEWHERE) == {}
        assert not [m for m in slack.fake.messages_in(ELSEWHERE) if CREATED in texts(m.blocks)]
        assert len([t for t in dm_texts(slack, TARA) if CREATED in t]) == 1, dm_texts(slack, TARA)
        assert (await cohort_named(bot)).channel is None

    async with running_bot(ws, database_url, clock=Clock(NOW)) as (bot, slack):
        assert await create_cohort(slack, bot, name="porto-dec", start="2026-12-02") == {}
        await run_timers(bot)
        posted = [texts(m.blocks) for m in slack.fake.messages_in(QA_OPS) if m.blocks]
        assert len([p for p in posted if "Training cohort *porto-dec* created" in p]) == 1, posted
        assert not [t for t in dm_texts(slack, TARA) if "Training cohort *porto-dec* created" in t]
        assert (await cohort_named(bot, "porto-dec")).channel == QA_OPS


async def test_a_started_session_and_a_time_passed_do_not_move(workspace, database_url) -> None:
    clock = Clock(NOW)  # Mon 30 Nov 10:00 in Lisbon
    async with running_bot(training_workspace(workspace), database_url, clock=clock) as (bot, slack):
        assert await create_cohort(slack, bot, start="2026-12-02") == {}
        await run_timers(bot)
        passed = await said(slack, "move lisbon-dec welcome-1 2026-11-30 09:00", TARA)
        assert "Mon 30 Nov 09:00 WET has passed: move `welcome-1` to a time still to come" in passed, passed

        clock.now = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)  # welcome-1 runs 09:00-11:00
        started = await said(slack, "move lisbon-dec welcome-1 2026-12-03 09:00", TARA)
        assert "`welcome-1` has started already (Wed 02 Dec 09:00 WET)" in started, started
        await run_timers(bot)

        cohort = await cohort_named(bot)
        assert {s.sequence for s in cohort.sessions} == {0}
        assert cohort.moves == 0
        assert f"{cohort.session('welcome-1').start:%Y-%m-%d %H:%M}" == "2026-12-02 09:00"
        assert await timers_like(bot, "training-moved:") == 0
        assert not [p for p in (TARA, LEE, KAI) if with_text(slack, p, "moved")]


async def test_a_one_digit_hour_moves(workspace, database_url) -> None:
    async with running_bot(training_workspace(workspace), database_url, clock=Clock(NOW)) as (bot, slack):
        assert await create_cohort(slack, bot, start="2026-12-02") == {}
        answer = await said(slack, "move lisbon-dec process-1 2026-12-03 9:00", TARA)
        assert "Moved 10 session(s) of *lisbon-dec*" in answer, answer
        assert "`process-1` Thu 03 Dec 09:00 WET – 12:00" in answer
        assert at(await cohort_named(bot), THURSDAY) == THURSDAY


async def test_a_move_there_back_and_there_again_is_applied_each_time(workspace, database_url) -> None:
    async with running_bot(training_workspace(workspace), database_url, clock=Clock(NOW)) as (bot, slack):
        assert await create_cohort(slack, bot, start="2026-12-02") == {}
        await run_timers(bot)
        assert at(await cohort_named(bot), ORIGINAL) == ORIGINAL
        steps = [
            ("2026-12-03 09:00", THURSDAY, 1),
            ("2026-12-02 11:00", ORIGINAL, 2),
            ("2026-12-03 09:00", THURSDAY, 3),
        ]
        for when, expected, number in steps:
            answer = await said(slack, f"move lisbon-dec process-1 {when}", TARA)
            assert "Moved 10 session(s) of *lisbon-dec*" in answer, (number, answer)
            await settled(bot)
            await run_timers(bot)
            cohort = await cohort_named(bot)
            assert at(cohort, expected) == expected, number
            assert cohort.moves == number
            assert {s.id: s.sequence for s in cohort.sessions} == {
                s.id: (0 if s.id == "welcome-1" else number) for s in cohort.sessions
            }
        await run_timers(bot)
        for person in (TARA, LEE, KAI):
            notices = with_text(slack, person, "Training cohort *lisbon-dec*:", "moved")
            assert len(notices) == 3, (person, [texts(n.blocks) for n in notices])


async def test_trainers_who_bring_nobody_are_refused_on_the_trainers_field(workspace, database_url) -> None:
    ws = training_workspace(workspace)
    async with running_bot(ws, database_url, clock=Clock(NOW), fake=fake_with_channels(ws)) as (bot, slack):
        answer = await create_cohort(slack, bot, start="2026-12-02", trainers=f"<#{EMPTY}|empty-room>")
        assert answer.get("response_action") == "errors", answer
        assert answer["errors"] == {"trainers": "The trainers named bring nobody: name at least one person."}
        assert await count(bot, TrainingCohort) == 0
        assert await count(bot, TrainingSession) == 0 and await count(bot, TrainingMember) == 0


async def test_a_go_live_passed_with_labelers_not_ready_moves_with_the_calendar(
    workspace, database_url
) -> None:
    clock = Clock(NOW)
    async with running_bot(training_workspace(workspace), database_url, clock=clock) as (bot, slack):
        # The target is the go-live as laid out (Mon 14 Dec); nobody checks in, so nobody is ready.
        assert await create_cohort(slack, bot, start="2026-12-02", target="2026-12-14") == {}
        on_time = await said(slack, "status lisbon-dec", TARA)
        assert "✅ Projected go-live *Mon 14 Dec 2026*, target Mon 14 Dec 2026" in on_time, on_time
        # Sat 19 Dec: go-live cannot come before Mon 21 Dec, the first working day from today; working
        # days after the target up to it: Tue 15, Wed 16, Thu 17, Fri 18, Mon 21 = 5.
        clock.now = datetime(2026, 12, 19, 10, 0, tzinfo=UTC)
        late = await said(slack, "status lisbon-dec", TARA)
        assert "Cohort *lisbon-dec*: 0 of 2 labelers ready" in late
        assert (
            "⚠️ Projected go-live *Mon 21 Dec 2026*, 5 working days after the target Mon 14 Dec 2026" in late
        ), late
