"""The issue's whole story in one scenario over signed HTTP against the Slack fake: a trainer sends a
GIFT bank to the bot, assigns it to a vendor channel, two labelers take it with buttons in their DMs,
the question one of them missed comes back in review, and the report shows the figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.harness import eventually, running_bot, settled, texts
from tests.e2e.test_ingest_uploads import upload
from tests.e2e.test_quiz import buttons, click, letter_of

TRAINER, LEE, KAI = "U0TRAINER1", "U0LABEL01", "U0LABEL02"
START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)

GIFT = b"""$CATEGORY: chain-basics

// [id:links] [policy:spam#links]
::Links::The same short link in fifty posts within an hour is:{
  =spam#Right.
  ~a news share
  ####Repetition at scale is the signal.
}

// [id:quote] [policy:hate-speech#counter-speech]
::Quote::Quoting an insult to condemn it is allowed.{T}

// [id:bait] [policy:spam#engagement]
::Bait::"Like and share to win a phone" with no prize is:{
  =engagement bait
  ~a giveaway
}
"""
RIGHT = {"links": "spam", "bait": "engagement bait"}


def quiz_messages(slack, user: str) -> list:  # noqa: ANN001
    return [m for m in slack.fake.messages_in(slack.fake.dm_channel(user)) if m.blocks]


async def take(slack, bot, user: str, miss: str | None = None) -> None:  # noqa: ANN001
    """Start from the assignment's button and answer every question, wrong only on `miss`."""
    invite = next(m for m in quiz_messages(slack, user) if "Quiz assigned" in texts(m.blocks))
    await click(slack, invite, buttons(invite)[0], user=user)
    for number in (1, 2, 3):
        question = (
            await eventually(
                lambda n=number: [m for m in quiz_messages(slack, user) if f"· {n}/3" in texts(m.blocks)]
            )
        )[0]
        text = texts(question.blocks)
        qid = "links" if "short link" in text else "bait" if "Like and share" in text else "quote"
        if qid == "quote":
            right_letter = letter_of(question, "True")
            wrong_letter = letter_of(question, "False")
        else:
            right_letter = letter_of(question, RIGHT[qid])
            wrong_letter = next(
                b["text"]["text"] for b in buttons(question) if b["text"]["text"] != right_letter
            )
        wanted = wrong_letter if qid == miss else right_letter
        await click(
            slack, question, next(b for b in buttons(question) if b["text"]["text"] == wanted), user=user
        )
        await settled(bot)


async def test_import_assign_take_review_and_report(workspace, database_url) -> None:
    now = [START]
    async with running_bot(workspace, database_url, clock=lambda: now[0]) as (bot, slack):
        trainer_dm = slack.fake.dm_channel(TRAINER)
        ts = await upload(slack, TRAINER, "chain.gift", GIFT, trainer_dm)
        imported = await eventually(lambda: slack.fake.messages_in(trainer_dm, thread_ts=ts)[1:])
        assert "3 imported" in imported[0].text

        await slack.command(
            "/quiz", "assign chain-basics to <#C0NWIND01|vendor-northwind> by 2026-12-02", user=TRAINER
        )
        for person in (LEE, KAI):
            await eventually(
                lambda p=person: [m for m in quiz_messages(slack, p) if "Quiz assigned" in texts(m.blocks)]
            )

        await take(slack, bot, LEE)
        await take(slack, bot, KAI, miss="links")
        lee_result = next(m for m in quiz_messages(slack, LEE) if "result" in texts(m.blocks))
        kai_result = next(m for m in quiz_messages(slack, KAI) if "result" in texts(m.blocks))
        assert "Passed" in texts(lee_result.blocks) and "100%" in texts(lee_result.blocks)
        assert "67%" in texts(kai_result.blocks) and "spam#links" in texts(kai_result.blocks)

        now[0] = START + timedelta(days=2)  # the missed question is due for review
        await slack.command("/quiz", "review", user=KAI)
        again = (
            await eventually(lambda: [m for m in quiz_messages(slack, KAI) if "· 1/1" in texts(m.blocks)])
        )[0]
        assert "short link" in texts(again.blocks)
        right = next(b for b in buttons(again) if b["text"]["text"] == letter_of(again, "spam"))
        await click(slack, again, right, user=KAI)
        await settled(bot)
        assert any(
            "Review done: 1 of 1 right" in (m.text or "")
            for m in slack.fake.messages_in(slack.fake.dm_channel(KAI))
        )

        await slack.command("/quiz", "report chain-basics", user=TRAINER)
        report = (
            await eventually(
                lambda: [
                    m for m in slack.fake.messages_in(trainer_dm) if m.blocks and "KR-20" in texts(m.blocks)
                ],
                10,
            )
        )[0]
        body = texts(report.blocks).replace("*", "")
        assert "2 labelers took it" in body
        assert "links" in body and "spam#links" in body  # the most-missed question, with its section
