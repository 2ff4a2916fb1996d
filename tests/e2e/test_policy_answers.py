"""Policy answers end to end over signed HTTP against the Slack fake: /policy answers privately with
citations and shares once; a mention is answered in its thread; a question the library cannot answer
goes to the owners (once per meaning, by its asker), an owner answers through the form (their
policy's sections only) and saves it, a correction replaces it, and a later paraphrase is answered
from that saved answer first; an answer stored before a restart is told once after it; a DM is
answered in the DM; feedback counts once per person, on a private answer the asker's alone."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from bot import timers
from handlers.policy import answer_views as views
from handlers.policy import answers, gaps, owners
from storage.engine import Database
from storage.models import PolicyFeedback, PolicyOwnerAsk, PolicyQuestion, PolicyVerifiedAnswer
from tests.e2e.harness import SlackSide, eventually, quiet, running_bot, seeded_fake, settled, texts
from tests.e2e.policy_flow import (
    KAI,
    LEE,
    NOW,
    OWNERS,
    PARAPHRASE,
    QA_OPS,
    QUINN,
    SPAM_QUESTION,
    UNANSWERABLE,
    ask,
    buttons,
    click,
    clock,
    count,
    dms,
    form_values,
    posts,
    submit,
    thread_of,
    with_library,
)


async def test_a_question_is_answered_privately_with_citations_and_shared_once(
    workspace, database_url
) -> None:
    await with_library(database_url)
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        blocks = await ask(slack, SPAM_QUESTION)
        shown = texts(blocks)
        assert "Spam and platform manipulation" in shown and "version 2" in shown, shown
        assert "https://policies.example.com/spam#" in shown
        # The best section first, its matched words (stemmed: "comment" found "comments") in bold.
        assert "› Repeated identical posts · version 2, effective 2026-11-01" in shown.splitlines()[1]
        excerpt = shown.splitlines()[2]
        assert all(f"*{word}*" in excerpt for word in ("posts", "many", "time", "comments")), excerpt
        assert "*repeat*" not in excerpt and "*same*" not in excerpt  # not asked: not bold
        share = buttons(blocks)[views.SHARE]
        assert posts(slack, QA_OPS) == []  # private until shared
        await click(slack, share, LEE)
        await click(slack, share, LEE)  # a double click
        await settled(bot)
        shared = posts(slack, QA_OPS)
        assert len(shared) == 1 and "Spam and platform manipulation" in texts(shared[0].blocks)
        assert views.SHARE not in buttons(shared[0].blocks)
        # Someone else cannot share it.
        await click(slack, share, KAI)
        await settled(bot)
        assert len(posts(slack, QA_OPS)) == 1
    assert await count(database_url, PolicyQuestion) == 1


async def test_helpful_clicked_twice_is_recorded_once(workspace, database_url) -> None:
    await with_library(database_url)
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        blocks = await ask(slack, SPAM_QUESTION)
        helpful = buttons(blocks)[views.HELPFUL]
        await click(slack, helpful, KAI)  # the answer is still LEE's alone: refused
        await settled(bot)
        assert await count(database_url, PolicyFeedback) == 0
        await click(slack, helpful, LEE)
        await click(slack, helpful, LEE)
        await click(slack, buttons(blocks)[views.NOT_HELPFUL], LEE)  # a change of mind changes nothing
        await click(slack, buttons(blocks)[views.SHARE], LEE)  # shared: the channel may judge it too
        await settled(bot)
        await click(slack, helpful, KAI)
        await settled(bot)
        said = [texts(c.args.get("blocks")) for c in slack.fake.calls_to("response_url")]
        assert sum("already gave feedback" in s for s in said) == 2
        assert sum("Only the person who asked can give feedback" in s for s in said) == 1
    db = Database(database_url)
    async with db.transaction() as session:
        rows = sorted((r.user, r.helpful) for r in await session.scalars(select(PolicyFeedback)))
    await db.dispose()
    assert rows == sorted([(LEE, True), (KAI, True)])


async def test_a_mention_is_answered_in_its_thread(workspace, database_url) -> None:
    await with_library(database_url)
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        text = "<@U0TSQABOT> does a quoted insult in a news report count as harassment?"
        root = slack.fake.add_message(QA_OPS, LEE, "a thread about news items")
        message = slack.fake.add_message(QA_OPS, LEE, text, thread_ts=root.ts)
        event = {"type": "app_mention", "user": LEE, "text": text, "channel": QA_OPS}
        await slack.event(
            {**event, "ts": message.ts, "thread_ts": root.ts, "event_ts": message.ts}, "EvPOL0001"
        )
        replies = await eventually(
            lambda: [
                m for m in slack.fake.messages_in(QA_OPS, thread_ts=root.ts) if m.blocks and m.user != LEE
            ]
        )
        assert "Harassment and insults" in texts(replies[0].blocks)
        assert views.SHARE not in buttons(replies[0].blocks)
        assert slack.fake.calls_to("chat.postEphemeral") == []  # visible in the thread
        # An answer in the channel's thread is anyone's there to judge.
        await click(slack, buttons(replies[0].blocks)[views.HELPFUL], KAI, QA_OPS, replies[0].ts)
        await eventually(lambda: slack.fake.calls_to("response_url"))
    assert await count(database_url, PolicyFeedback) == 1


async def owners_asked(slack: SlackSide, bot: Any) -> Any:  # noqa: ANN401
    """LEE's question no one can answer, asked of the owners by LEE; the post in their channel."""
    blocks = await ask(slack, UNANSWERABLE)
    assert "no confident answer" in texts(blocks)
    await click(slack, buttons(blocks)[views.ASK_OWNER], LEE)
    await settled(bot)
    [asked] = posts(slack, OWNERS)
    return asked


async def test_an_owner_answers_what_search_could_not_and_it_answers_the_next_question(
    workspace, database_url
) -> None:
    await with_library(database_url)
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        blocks = await ask(slack, UNANSWERABLE)
        assert "no confident answer" in texts(blocks)
        ask_owner = buttons(blocks)[views.ASK_OWNER]
        await click(slack, ask_owner, KAI)  # not the asker: refused
        await settled(bot)
        assert posts(slack, OWNERS) == []
        await click(slack, ask_owner, LEE)
        await click(slack, ask_owner, LEE)
        await settled(bot)
        asked = posts(slack, OWNERS)
        assert len(asked) == 1 and UNANSWERABLE in texts(asked[0].blocks)
        # The closest policy (harassment) is owned by two groups: each member is mentioned.
        assert "<@U0QALEAD1>" in texts(asked[0].blocks) and "<@U0TRAINER1>" in texts(asked[0].blocks)
        # The same question in other words' case and punctuation, by KAI: attached, not asked again.
        same = await ask(slack, "  May labelers take a LUNCH break, during a calibration meeting?", user=KAI)
        await click(slack, buttons(same)[views.ASK_OWNER], KAI)
        await settled(bot)
        assert len(posts(slack, OWNERS)) == 1

        # A labeler cannot open the form; the owner (an admin here) can, and answers.
        answer_button = buttons(asked[0].blocks)[views.OPEN_OWNER_ANSWER]
        await click(slack, answer_button, KAI, OWNERS, asked[0].ts)
        await settled(bot)
        assert slack.fake.calls_to("views.open") == []
        await click(slack, answer_button, QUINN, OWNERS, asked[0].ts)
        opened = await eventually(lambda: slack.fake.calls_to("views.open"))
        view = opened[-1].json("view")
        section = next(b for b in view["blocks"] if b.get("block_id") == "section")
        offered = [o["value"] for o in section["element"]["options"]]
        assert offered and all(v.startswith("harassment#") for v in offered)
        answer = "Yes. Breaks follow the site's schedule; calibration meetings are not live queue time."
        assert (await submit(slack, view, KAI, form_values(answer, offered[0])))[
            "response_action"
        ] == "errors"
        # A section of another policy is not one the form offered.
        other = await submit(slack, view, QUINN, form_values(answer, "spam#repeated-identical-posts"))
        assert other["response_action"] == "errors" and "section" in other["errors"]
        assert await submit(slack, view, QUINN, form_values(answer, offered[0])) == {}
        assert await submit(slack, view, QUINN, form_values(answer, offered[0])) == {}  # a second submit
        await settled(bot)
        thread = await eventually(lambda: thread_of(slack, asked[0]))
        await settled(bot)
        assert len(thread_of(slack, asked[0])) == 1 and answer.split(";")[0] in texts(thread[0].blocks)
        for asker in (LEE, KAI):  # each asker of that question is told, once
            told = await eventually(lambda asker=asker: dms(slack, asker))
            assert len(told) == 1 and "Breaks follow" in texts(told[0].blocks)

        save = buttons(thread[0].blocks)[views.SAVE_ANSWER]
        await click(slack, save, KAI, OWNERS, thread[0].ts)  # not an owner: refused
        await click(slack, save, QUINN, OWNERS, thread[0].ts)
        await click(slack, save, QUINN, OWNERS, thread[0].ts)
        await settled(bot)
        assert await count(database_url, PolicyVerifiedAnswer) == 1
        saved = await eventually(
            lambda: [m for m in thread_of(slack, asked[0]) if "Saved as a verified" in m.text]
        )
        assert len(saved) == 1

        # A corrected answer: told to each asker once more, and saved it replaces the first.
        corrected = "Yes, and a break may start during a calibration meeting if the site's schedule says so."
        assert await submit(slack, view, QUINN, form_values(corrected, offered[0], "2027-03-31")) == {}
        answered = await eventually(
            lambda: [m for m in thread_of(slack, asked[0]) if corrected in texts(m.blocks)]
        )
        await eventually(lambda: len(dms(slack, LEE)) == 2)
        assert "corrected their answer" in texts(dms(slack, LEE)[1].blocks)
        await click(slack, buttons(answered[0].blocks)[views.SAVE_ANSWER], QUINN, OWNERS, answered[0].ts)
        await settled(bot)
        await eventually(
            lambda: len([m for m in thread_of(slack, asked[0]) if "Saved as a verified" in m.text]) == 2
        )
        assert await count(database_url, PolicyVerifiedAnswer) == 1
        assert len(dms(slack, LEE)) == 2 and len(dms(slack, KAI)) == 2

        later = await ask(slack, PARAPHRASE, user=KAI)
        shown = texts(later)
        assert "A policy owner answered this question" in shown, shown
        assert shown.index("A policy owner answered") < shown.index("a break may start")
        assert "calibration meetings are not live queue time" not in shown

        # Past its review-by day the answer is flagged to its owners, once however often the job runs.
        later = replace(bot.services, clock=lambda: datetime(2027, 4, 1, 12, 0, tzinfo=UTC))
        assert await owners.flag_due_reviews(later) >= 1
        assert await owners.flag_due_reviews(later) == 0
        flagged = [
            m for m in slack.fake.messages_in(slack.fake.dm_channel(QUINN)) if "due for review" in m.text
        ]
        assert len(flagged) == 1
        # The week's knowledge gaps go to the owners' channel once per week.
        next_week = replace(bot.services, clock=lambda: datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
        assert await gaps.weekly(next_week) is True and await gaps.weekly(next_week) is False
        summary = [m for m in posts(slack, OWNERS) if "knowledge gaps" in texts(m.blocks)]
        assert len(summary) == 1 and UNANSWERABLE in texts(summary[0].blocks)


async def answered_while_down(
    workspace, database_url, before: Callable[[Database, Any], Awaitable[None]] | None = None
) -> tuple[Any, Any]:  # noqa: ANN001
    """LEE's question asked of the owners; the bot stops; `before` (what a dead process left), then
    an owner's answer stored with its timers while no bot runs. The fake Slack and the owners' post."""
    await with_library(database_url)
    fake = seeded_fake(quiet(workspace))
    async with running_bot(quiet(workspace), database_url, clock=clock, fake=fake) as (bot, slack):
        asked = await owners_asked(slack, bot)
    db = Database(database_url)
    [ask_row] = await _rows(db, PolicyOwnerAsk)
    if before is not None:
        await before(db, ask_row)
    await answers.record_owner_answer(
        db, ask_row.question_id, answer="Breaks follow the site's schedule.", policy_id="harassment",
        anchor="harassment-and-insults", review_by=NOW.date() + timedelta(days=30), owner=QUINN, now=NOW,
    )  # fmt: skip
    await db.dispose()
    return fake, asked


@asynccontextmanager
async def restarted(workspace, database_url, fake) -> AsyncIterator[SlackSide]:  # noqa: ANN001
    """The next process, its due timers run (twice: a second run must add nothing)."""
    async with running_bot(quiet(workspace), database_url, clock=clock, fake=fake) as (bot, slack):
        for _ in range(2):
            await timers.run_due(bot.services, bot.services.timers)
        yield slack
        await settled(bot)


async def test_an_answer_stored_before_a_restart_is_posted_and_told_once_after_it(
    workspace, database_url
) -> None:
    """The form's transaction stores the answer and its timers; the process dies before telling
    anyone. The next process posts it in the thread and DMs the asker, once each."""
    fake, asked = await answered_while_down(workspace, database_url)
    async with restarted(workspace, database_url, fake) as slack:
        await eventually(lambda: thread_of(slack, asked) and dms(slack, LEE))
    assert len(thread_of(slack, asked)) == 1 and "Breaks follow" in texts(thread_of(slack, asked)[0].blocks)
    assert len(dms(slack, LEE)) == 1 and "Breaks follow" in texts(dms(slack, LEE)[0].blocks)


async def test_an_ask_posted_but_not_recorded_before_a_crash_still_gets_its_answer_in_its_thread(
    workspace, database_url
) -> None:
    """The process died between posting the question to the owners and recording the post: its claim
    is left leased and the ask has no ts. Once that lease runs out, the answer's timer finds the
    earlier post (it looks first), records it, and replies under it: no second post, nothing lost."""
    from storage.models.core import Claim

    async def as_the_dead_process_left_it(db: Database, ask_row: Any) -> None:  # noqa: ANN401
        async with db.transaction() as session:
            await session.execute(
                update(PolicyOwnerAsk)
                .where(PolicyOwnerAsk.question_id == ask_row.question_id)
                .values(ts=None)
            )
            await session.execute(
                update(Claim)
                .where(Claim.key == f"policy-ask:{ask_row.question_id}")
                .values(done_at=None, result=None, owner="dead", lease_until=NOW - timedelta(minutes=1))
            )

    fake, asked = await answered_while_down(workspace, database_url, as_the_dead_process_left_it)
    async with restarted(workspace, database_url, fake) as slack:
        await eventually(lambda: thread_of(slack, asked))
    assert len(thread_of(slack, asked)) == 1 and "Breaks follow" in texts(thread_of(slack, asked)[0].blocks)
    assert len(posts(slack, OWNERS)) == 1  # the question was not posted to the owners twice


async def _rows(db: Database, model: type) -> list[Any]:
    async with db.transaction() as session:
        return list(await session.scalars(select(model)))


async def test_a_direct_message_is_answered_in_the_dm_with_a_citation(workspace, database_url) -> None:
    await with_library(database_url)
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        dm = slack.fake.dm_channel(LEE)
        message = slack.fake.add_message(dm, LEE, SPAM_QUESTION)
        event = {
            "type": "message", "channel": dm, "user": LEE, "text": SPAM_QUESTION, "ts": message.ts,
            "event_ts": message.ts, "channel_type": "im", "client_msg_id": f"msg-{message.ts}",
        }  # fmt: skip
        assert (await slack.event(event, "EvPOLDM01")).status == 200
        answered = await eventually(
            lambda: [m for m in slack.fake.messages_in(dm) if m.blocks and m.user != LEE]
        )
        shown = texts(answered[0].blocks)
        assert "Spam and platform manipulation" in shown and "version 2" in shown
        assert "https://policies.example.com/spam#repeated-identical-posts" in shown
        assert views.SHARE not in buttons(answered[0].blocks)  # a DM is already private to the asker
        assert slack.fake.calls_to("chat.postEphemeral") == []
    db = Database(database_url)
    [question] = await _rows(db, PolicyQuestion)
    await db.dispose()
    assert (question.via, question.user, question.confident) == ("direct", LEE, True)


async def test_show_and_changes_read_the_library(workspace, database_url) -> None:
    await with_library(database_url)
    async with running_bot(quiet(workspace), database_url, clock=clock) as (_bot, slack):
        listing = texts(await ask(slack, "show spam"))
        assert "version 2" in listing and "deceptive-links" in listing and "Engagement bait" in listing
        one = texts(await ask(slack, "show spam deceptive-links"))
        assert "Deceptive links" in one and "shortened links" in one
        assert "https://policies.example.com/spam#deceptive-links" in one
        changed = texts(await ask(slack, "changes spam"))
        assert "compared with version 1" in changed
        assert "added* Engagement bait" in changed and "changed* Repeated identical posts" in changed
        assert "+Two or more identical comments" in changed
        # A question that happens to start with "show" is answered as a question.
        question = await ask(slack, "show me the rule on shortened deceptive links")
        assert "Spam and platform manipulation" in texts(question) and views.SHARE in buttons(question)
