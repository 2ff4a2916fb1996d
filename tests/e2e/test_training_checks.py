"""A knowledge check end to end over signed HTTP against the Slack fake, on a controllable clock: its quiz
topic assigned to each labeler once when the check is due, a labeler passing it through the buttons and
`/training status` counting it; a topic not loaded tells the trainer once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.e2e.escalate_flow import Clock, opened_view, run_timers, submit, text_value
from tests.e2e.harness import SlackSide, eventually, running_bot, settled, texts
from tests.e2e.test_quiz import buttons, click, letter_of
from tests.e2e.test_quiz_assign import imported
from tests.e2e.training_flow import (
    KAI,
    LEE,
    NOW,
    TARA,
    create_cohort,
    said,
    training_workspace,
    with_text,
)

CHECK_DUE = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)  # spam-check-1: Thu 3 Dec 16:00-17:00 in Lisbon
ASSIGNED = "Quiz assigned: Spam basics"


def questions(slack: SlackSide, words: str) -> list[Any]:
    return with_text(slack, LEE, "Spam basics ·", words)


async def answer_number(slack: SlackSide, bot: Any, message: Any, typed: str) -> None:  # noqa: ANN401
    """The numeric question's button opens its form (a new one: the cohort's form was opened before)."""
    before = len(slack.fake.calls_to("views.open"))
    await click(slack, message, buttons(message)[0])
    view = await opened_view(slack, before)
    assert await submit(slack, view, LEE, {"text": text_value(typed)}) == {}
    await settled(bot)


async def pass_the_quiz(slack: SlackSide, bot: Any, invite: Any) -> None:  # noqa: ANN401
    """Lee starts from the assignment's button and answers both questions right, in the order drawn."""
    await click(slack, invite, buttons(invite)[0])
    first = (await eventually(lambda: with_text(slack, LEE, "Spam basics · 1/2")))[0]
    if "burst" in texts(first.blocks):
        await answer_number(slack, bot, first, "21")
    links = (await eventually(lambda: questions(slack, "Which link pattern")))[0]
    right = next(b for b in buttons(links) if b["text"]["text"] == letter_of(links, "The same short link"))
    await click(slack, links, right)
    await settled(bot)
    if "burst" not in texts(first.blocks):
        burst = (await eventually(lambda: questions(slack, "burst")))[0]
        await answer_number(slack, bot, burst, "21")
    result = await eventually(lambda: with_text(slack, LEE, "result", "Passed"))
    assert result, [texts(m.blocks) for m in slack.fake.messages_in(slack.fake.dm_channel(LEE))]


async def test_a_knowledge_check_is_assigned_when_due_and_its_pass_counted(workspace, database_url) -> None:
    await imported(database_url)
    clock = Clock(NOW)
    async with running_bot(training_workspace(workspace), database_url, clock=clock) as (bot, slack):
        assert await create_cohort(slack, bot, start="2026-12-02") == {}
        clock.now = datetime(2026, 12, 3, 15, 59, tzinfo=UTC)
        await run_timers(bot)
        assert not [p for p in (LEE, KAI) if with_text(slack, p, ASSIGNED)]
        clock.now = CHECK_DUE
        await run_timers(bot)
        await run_timers(bot)
        for person in (LEE, KAI):
            assert len(with_text(slack, person, ASSIGNED)) == 1, person
        assert not with_text(slack, TARA, ASSIGNED)  # the trainer is not a labeler

        clock.now = datetime(2026, 12, 3, 16, 20, tzinfo=UTC)
        await pass_the_quiz(slack, bot, with_text(slack, LEE, ASSIGNED)[0])

        clock.now = datetime(2026, 12, 3, 17, 30, tzinfo=UTC)  # the check's session is over
        status = await said(slack, "status lisbon-dec", TARA)
        # Five sessions to attend, the check and nesting: 7 conditions; Lee met the check only.
        assert f"<@{LEE}> · 1/7 done" in status
        assert f"<@{KAI}> · 0/7 done" in status
        kai = next(line for line in status.splitlines() if line.startswith(f"<@{KAI}>:"))
        lee = next(line for line in status.splitlines() if line.startswith(f"<@{LEE}>:"))
        assert "has not taken Spam policy knowledge check (quiz spam-basics), due Thu 03 Dec" in kai
        assert (
            "Spam policy knowledge check" not in lee and "missed Welcome and tools tour on Wed 02 Dec" in lee
        )


async def test_a_check_whose_topic_is_not_loaded_tells_the_trainer_once(workspace, database_url) -> None:
    clock = Clock(NOW)
    async with running_bot(training_workspace(workspace), database_url, clock=clock) as (bot, slack):
        assert await create_cohort(slack, bot, start="2026-12-02") == {}
        clock.now = CHECK_DUE
        await run_timers(bot)
        await run_timers(bot)
        missing = with_text(slack, TARA, "is due but there is no quiz `spam-basics`")
        assert len(missing) == 1
        assert "*Spam policy knowledge check* (lisbon-dec)" in texts(missing[0].blocks)
        assert not [p for p in (LEE, KAI) if with_text(slack, p, "Quiz assigned")]
