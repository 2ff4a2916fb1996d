"""Knowledge checks end to end over signed HTTP against the Slack fake: /quiz lists and starts a quiz
in the DM, letter buttons and the answer form record each answer once (double clicks, stale buttons),
a restart in the middle continues where the labeler was, the result comes against the pass mark."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from handlers.quiz import store
from handlers.quiz.bank import Choice, ImportedBank, NumericAnswer, Question
from storage.engine import Database
from storage.migrate import upgrade
from tests.e2e.harness import eventually, running_bot, settled, texts
from tests.e2e.test_ingest_uploads import upload
from tests.fakes import signing

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
LEE = "U0LABEL01"


def clock() -> datetime:
    return NOW


def spam_bank() -> ImportedBank:
    bank = ImportedBank(titles={"spam-basics": "Spam basics"}, pass_marks={"spam-basics": 0.6})
    bank.add(
        "spam-basics",
        Question(
            "links",
            "single",
            "Which link pattern is spam?",
            choices=(Choice("The same short link in 50 posts", 1.0), Choice("One news link", 0.0)),
            explanation="Repetition at scale is the signal.",
            policy="spam#links",
        ),
    )
    bank.add(
        "spam-basics",
        Question("burst", "numeric", "How many posts an hour make a burst?", numeric=(NumericAnswer(20, 2),)),
    )
    return bank


async def imported(database_url: str) -> None:
    db = Database(database_url)
    await upgrade(db)
    await store.import_bank(db, spam_bank(), NOW)
    await db.dispose()


def quiz_messages(slack, user: str = LEE) -> list:  # noqa: ANN001
    return [m for m in slack.fake.messages_in(slack.fake.dm_channel(user)) if m.blocks]


def buttons(message) -> list[dict]:  # noqa: ANN001
    return [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


async def click(slack, message, button: dict, user: str = LEE):  # noqa: ANN001, ANN201
    return await slack.action(
        button["action_id"],
        button.get("value", ""),
        user=user,
        channel=message.channel,
        message_ts=message.ts,
    )


async def test_a_quiz_taken_with_buttons_and_a_form_records_each_answer_once(workspace, database_url) -> None:
    await imported(database_url)
    async with running_bot(workspace, database_url, clock=clock) as (bot, slack):
        listing = (await slack.command("/quiz", "", user=LEE)).json()
        assert "Spam basics" in texts(listing["blocks"])
        await slack.command("/quiz", "spam-basics", user=LEE)
        first = (await eventually(lambda: quiz_messages(slack)))[0]
        assert "Spam basics · 1/2" in texts(first.blocks)
        if "Which link pattern" in texts(first.blocks):
            links, burst = first, None
        else:
            links, burst = None, first
        if links is None:  # the numeric question came first: answer it through the form
            burst = await answer_number(slack, bot, burst, "21")
            links = (
                await eventually(lambda: [m for m in quiz_messages(slack) if "Which link" in texts(m.blocks)])
            )[0]
        # The right option, whichever letter the shuffle gave it; clicked three times at once.
        right = next(
            b for b in buttons(links) if letter_of(links, "The same short link") == b["text"]["text"]
        )
        await asyncio.gather(*(click(slack, links, right) for _ in range(3)))
        await settled(bot)
        updated = next(m for m in quiz_messages(slack) if m.ts == links.ts)
        assert "✅" in texts(updated.blocks) and "spam#links" in texts(updated.blocks)
        assert not buttons(updated)  # answered in place: no buttons left to click
        # The stale button clicked again later: "already answered", nothing recorded twice.
        await click(slack, links, right)
        await settled(bot)
        if burst is None or "Which link" in texts(first.blocks):
            burst = (
                await eventually(lambda: [m for m in quiz_messages(slack) if "burst" in texts(m.blocks)])
            )[0]
            await answer_number(slack, bot, burst, "twenty", expect_error=True)
            await answer_number(slack, bot, burst, "21")
        result = await eventually(lambda: [m for m in quiz_messages(slack) if "result" in texts(m.blocks)])
        assert "Passed" in texts(result[0].blocks) and "100%" in texts(result[0].blocks)
        async with bot.db.transaction() as session:
            from sqlalchemy import func, select

            from storage.models import QuizAnswer

            assert (await session.execute(select(func.count()).select_from(QuizAnswer))).scalar_one() == 2
        said = [m.text for m in slack.fake.ephemeral_for(LEE)]
        assert any("already answered" in (t or "") for t in said)


def letter_of(message, option: str) -> str:  # noqa: ANN001
    """The letter the shuffle gave `option` in this question's message."""
    for line in texts(message.blocks).splitlines():
        if ") " in line and option in line:
            return line.split(")")[0].strip()
    raise AssertionError(f"{option!r} not listed")


async def answer_number(slack, bot, message, typed: str, expect_error: bool = False):  # noqa: ANN001, ANN201
    opener = buttons(message)[0]
    await click(slack, message, opener)
    opened = await eventually(lambda: slack.fake.calls_to("views.open"))
    view = opened[-1].json("view")
    values = {"text": {"value": {"type": "plain_text_input", "value": typed}}}
    reply = await slack.post(
        "view_submission",
        signing.view_submission_body(LEE, {**view, "id": "V1", "state": {"values": values}}),
    )
    if expect_error:
        assert json.loads(reply.text)["response_action"] == "errors"
        return message
    assert reply.text == ""
    await settled(bot)
    return message


async def test_a_restart_in_the_middle_continues_where_the_labeler_was(workspace, database_url) -> None:
    await imported(database_url)
    async with running_bot(workspace, database_url, clock=clock) as (_bot, slack):
        await slack.command("/quiz", "spam-basics 2", user=LEE)
        first = (await eventually(lambda: quiz_messages(slack)))[0]
    async with running_bot(workspace, database_url, clock=clock) as (bot, slack):
        reply = (await slack.command("/quiz", "resume", user=LEE)).json()
        assert "Continuing" in texts(reply["blocks"])
        again = (await eventually(lambda: quiz_messages(slack)))[0]
        assert texts(again.blocks).split("\n")[:2] == texts(first.blocks).split("\n")[:2]
        # The button of the question asked again works: it is still the current question.
        if buttons(again)[0]["action_id"] == "quiz:answer":
            await click(slack, again, buttons(again)[0])
            await settled(bot)
            assert "2/2" in "\n".join(texts(m.blocks) for m in quiz_messages(slack))


async def test_a_trainer_sends_a_gift_bank_to_the_bot_and_a_labeler_may_not(workspace, database_url) -> None:
    from pathlib import Path

    gift = (
        Path(__file__).resolve().parents[2] / "examples" / "quiz" / "hate-speech-basics.gift"
    ).read_bytes()
    async with running_bot(workspace, database_url, clock=clock) as (bot, slack):
        dm = slack.fake.dm_channel(LEE)
        refused_ts = await upload(slack, LEE, "bank.gift", gift, dm)
        refused = await eventually(lambda: slack.fake.messages_in(dm, thread_ts=refused_ts)[1:])
        assert "trainers and admins" in refused[0].text
        assert await store.topics(bot.db) == []
        trainer_dm = slack.fake.dm_channel("U0TRAINER1")
        ts = await upload(slack, "U0TRAINER1", "bank.gift", gift, trainer_dm)
        answer = await eventually(lambda: slack.fake.messages_in(trainer_dm, thread_ts=ts)[1:])
        assert "imported" in answer[0].text and "0 skipped" in answer[0].text
        assert [t.topic.id for t in await store.topics(bot.db)] == ["hate-speech-basics"]


async def test_a_timed_quiz_nobody_finishes_is_closed_by_the_server_once(workspace, database_url) -> None:
    from datetime import timedelta

    from bot.timers import run_due

    bank = spam_bank()
    bank.time_limits["spam-basics"] = 120
    db = Database(database_url)
    await upgrade(db)
    await store.import_bank(db, bank, NOW)
    await db.dispose()
    now = [NOW]
    async with running_bot(workspace, database_url, clock=lambda: now[0]) as (bot, slack):
        await slack.command("/quiz", "spam-basics", user=LEE)
        await eventually(lambda: quiz_messages(slack))
        assert "Time limit" in texts(quiz_messages(slack)[0].blocks)
        now[0] = NOW + timedelta(seconds=121)
        for _ in range(2):  # two polls (or two replicas): the result is said once
            await run_due(bot.services, bot.router.timers)
        dm = slack.fake.dm_channel(LEE)
        said = [m for m in slack.fake.messages_in(dm) if m.blocks and "result" in texts(m.blocks)]
        assert len(said) == 1 and "Not passed" in texts(said[0].blocks) and "0%" in texts(said[0].blocks)


async def test_a_missed_question_comes_back_in_review(workspace, database_url) -> None:
    from datetime import timedelta

    await imported(database_url)
    now = [NOW]
    async with running_bot(workspace, database_url, clock=lambda: now[0]) as (bot, slack):
        await slack.command("/quiz", "spam-basics", user=LEE)
        for number in (1, 2):
            current = (
                await eventually(
                    lambda n=number: [m for m in quiz_messages(slack) if f"· {n}/2" in texts(m.blocks)]
                )
            )[0]
            if "Which link" in texts(current.blocks):  # answered wrong on purpose
                wrong = next(
                    b for b in buttons(current) if letter_of(current, "One news link") == b["text"]["text"]
                )
                await click(slack, current, wrong)
            else:
                await answer_number(slack, bot, current, "21")
            await settled(bot)
        reply = (await slack.command("/quiz", "review", user=LEE)).json()
        assert "Nothing to review now" in texts(reply["blocks"])
        now[0] = NOW + timedelta(days=2)
        reply = (await slack.command("/quiz", "review", user=LEE)).json()
        assert "is in our DM" in texts(reply["blocks"])
        review_q = (
            await eventually(lambda: [m for m in quiz_messages(slack) if "· 1/1" in texts(m.blocks)])
        )[0]
        assert "Which link pattern is spam?" in texts(review_q.blocks)
        right = next(
            b for b in buttons(review_q) if letter_of(review_q, "The same short link") == b["text"]["text"]
        )
        await click(slack, review_q, right)
        await settled(bot)
        dm = slack.fake.dm_channel(LEE)
        assert any("Review done: 1 of 1 right" in (m.text or "") for m in slack.fake.messages_in(dm))
