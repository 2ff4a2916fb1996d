"""Policy questions in Microsoft Teams, end to end through the same handlers as Slack: a question
typed in the personal chat is answered there with its citations and buttons; a question asked by
mentioning the bot in a channel is answered in that message's reply chain, for everyone there."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from handlers.policy.store import load_dir
from storage.engine import Database
from storage.migrate import upgrade
from tests.e2e.harness import eventually
from tests.e2e.teams_harness import LABELER, QA_OPS, running_teams_bot
from tests.e2e.test_teams import actions, card_text
from tests.fakes.activities import personal_conversation_id

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


async def with_library(database_url: str) -> None:
    db = Database(database_url)
    await upgrade(db)
    await load_dir(db, ROOT / "examples" / "policies", NOW)
    await db.dispose()


async def test_a_question_in_the_personal_chat_is_answered_there(database_url) -> None:
    await with_library(database_url)
    chat = personal_conversation_id(LABELER.aad_object_id)
    async with running_teams_bot(database_url, clock=lambda: NOW) as (_bot, teams):
        _, status = await teams.personal("is it spam to post the same comment many times?", LABELER)
        assert status == 200
        answers = await eventually(lambda: [s for s in teams.bf.posts(chat) if "Spam" in card_text(s)], 10)
        shown = card_text(answers[0])
        assert "Spam and platform manipulation" in shown and "version 2" in shown, shown
        titles = [a.get("title") for a in actions(answers[0])]
        assert "Helpful" in titles and "Not helpful" in titles
        assert "Share in channel" not in titles  # already where the person asked
        assert not [s for s in teams.bf.posts() if s.conversation_id.startswith(QA_OPS)]


async def test_a_channel_mention_is_answered_in_its_reply_chain(database_url) -> None:
    await with_library(database_url)
    async with running_teams_bot(database_url, clock=lambda: NOW) as (_bot, teams):
        _, status = await teams.mention(
            "does a quoted insult in a news report count as harassment?", LABELER, QA_OPS
        )
        assert status == 200
        replies = await eventually(
            lambda: [s for s in teams.bf.posts() if s.conversation_id.startswith(QA_OPS)], 10
        )
        assert "Harassment and insults" in card_text(replies[0])
        assert ";messageid=" in replies[0].conversation_id  # in the message's reply chain
        chat = personal_conversation_id(LABELER.aad_object_id)
        assert teams.bf.posts(chat) == []
