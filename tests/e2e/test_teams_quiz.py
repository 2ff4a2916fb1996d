"""The quiz's trainer and review commands in Microsoft Teams, end to end through the same handlers as
Slack: status and the report (card, chart image, the CSV pointed to the CLI) in a personal chat, who may
read it, and a missed question back in review, answered with a card button."""

from __future__ import annotations

import asyncio
import base64
import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app as cli
from tests.e2e import quiz_stories as story
from tests.e2e.harness import eventually, settled
from tests.e2e.teams_flow import actions, card_text, elements
from tests.e2e.teams_harness import LABELER, NORTHWIND_LEAD, TRAINER, running_teams_bot, teams_workspace
from tests.fakes import activities
from tests.fakes.activities import User, personal_conversation_id
from tests.fakes.bot_framework import cards

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
COHORT = story.cohort([f"3c0f6e2a-7b41-4d8e-9a15-0000000e000{n}" for n in range(1, 9)])


def chat_of(person: User) -> str:
    return personal_conversation_id(person.aad_object_id)


async def said(teams, person: User, words: str, timeout: float = 10) -> list:  # noqa: ANN001
    """The cards in the person's personal chat whose text has `words`, once there is one."""
    return await eventually(
        lambda: [s for s in teams.bf.posts(chat_of(person)) if words in card_text(s)], timeout
    )


async def test_a_trainer_gets_status_and_the_report_and_others_only_what_they_may(
    database_url, tmp_path: Path
) -> None:
    workspace = story.with_cohort(teams_workspace(), COHORT)
    await story.seed(database_url, workspace, COHORT, NOW - timedelta(days=3))
    async with running_teams_bot(database_url, workspace=workspace, clock=lambda: NOW) as (bot, teams):
        await teams.personal(f"quiz assign {story.TOPIC} to group:cohort by 2026-12-02", TRAINER)
        assert await said(teams, TRAINER, "assigned to 8 people")
        await teams.personal(f"quiz status {story.TOPIC}", TRAINER)
        status = card_text((await said(teams, TRAINER, f"{story.TITLE} · status"))[0])
        for line in story.status_lines(COHORT):
            assert line in status

        await teams.personal(f"quiz report {story.TOPIC}", TRAINER)
        report = card_text((await said(teams, TRAINER, "KR-20"))[0])
        assert story.report_headline(COHORT) in report
        for line in story.question_lines(COHORT):
            assert line in report
        # The chart is an image inside a card; the CSV, which Teams cannot take from a bot, points to the CLI.
        chart = (await said(teams, TRAINER, f"{story.TITLE}: results"))[0]
        image = next(e for e in elements(cards(chart)) if e.get("type") == "Image")
        assert base64.b64decode(image["url"].removeprefix("data:image/png;base64,"))[:4] == b"\x89PNG"
        pointer = f"tsqa quiz report {story.TOPIC} --csv FILE"
        assert await said(teams, TRAINER, pointer)
        out = tmp_path / "answers.csv"
        ran = await asyncio.to_thread(
            CliRunner().invoke,
            cli,
            ["quiz", "report", story.TOPIC, "--csv", str(out)],
            env={"DATABASE_URL": database_url},
        )
        assert ran.exit_code == 0, ran.output
        assert len(list(csv.DictReader(out.open()))) == story.answer_rows(COHORT)

        # A labeler is refused; a vendor lead sees their own vendor, and no other.
        await teams.personal(f"quiz report {story.TOPIC}", LABELER)
        refusal = card_text((await said(teams, LABELER, "⛔"))[0])
        assert "trainer" in refusal.lower() and "KR-20" not in refusal
        await teams.personal(f"quiz report {story.TOPIC}", NORTHWIND_LEAD)
        theirs = card_text((await said(teams, NORTHWIND_LEAD, "KR-20"))[0])
        assert story.report_headline(COHORT, "northwind") in theirs
        assert "bluebird" not in theirs.lower() and "nairobi" not in theirs
        await teams.personal(f"quiz report {story.TOPIC} bluebird", NORTHWIND_LEAD)
        assert await said(teams, NORTHWIND_LEAD, "your own vendor only")
        await settled(bot)
        assert len([s for s in teams.bf.posts(chat_of(NORTHWIND_LEAD)) if "KR-20" in card_text(s)]) == 1
        assert not [s for s in teams.bf.posts(chat_of(LABELER)) if "KR-20" in card_text(s)]


async def test_a_missed_question_comes_back_in_review_and_is_answered_with_a_button(database_url) -> None:
    await story.seed_missed(database_url, LABELER.aad_object_id, NOW - timedelta(days=2))
    async with running_teams_bot(database_url, clock=lambda: NOW) as (bot, teams):
        await teams.personal("quiz review", LABELER)
        question = (await said(teams, LABELER, "· 1/1"))[0]
        text = card_text(question)
        assert story.MISSED[1] in text
        letter = story.letter_in(text, story.MISSED[2])
        button = next(a for a in actions(question) if a["title"] == letter)
        press = activities.card_action(
            button["verb"], button["data"], LABELER, chat_of(LABELER), question.activity_id, **teams.where()
        )
        status, _ = await teams.send(press)
        assert status == 200
        verdict = await eventually(
            lambda: [u for u in teams.bf.updates() if u.activity_id == question.activity_id], 10
        )
        assert "Right" in "\n".join(card_text(u) for u in verdict)
        assert await said(teams, LABELER, "Review done: 1 of 1 right")
        reviews, lapses, due = await story.review_card(bot.db, LABELER.aad_object_id)
        assert (reviews, lapses) == (2, 0)  # the miss, then this right answer
        assert (due if due.tzinfo else due.replace(tzinfo=UTC)) > NOW
