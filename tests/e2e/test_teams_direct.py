"""Free text to the bot in Microsoft Teams, end to end: the personal chat is the person's own
conversation with the bot (`direct`), answered there once; a channel @mention is not direct."""

from __future__ import annotations

from bot.chat.events import Mention
from tests.e2e.harness import eventually, settled
from tests.e2e.teams_flow import card_text
from tests.e2e.teams_harness import LABELER, LEAD, QA_OPS, running_teams_bot
from tests.e2e.test_direct_messages import QUESTION, listening
from tests.fakes.activities import personal_conversation_id


async def test_free_text_in_the_personal_chat_is_direct_and_answered_there_once(database_url) -> None:
    heard: list[Mention] = []
    async with running_teams_bot(database_url, router=listening(heard)) as (bot, teams):
        activity, status = await teams.personal(QUESTION, LABELER)
        assert status == 200
        chat = personal_conversation_id(LABELER.aad_object_id)
        answers = await eventually(lambda: teams.bf.posts(chat))
        assert f"Heard: {QUESTION}" in card_text(answers[0])
        await teams.personal(QUESTION, LABELER, id=activity["id"])  # Teams retries the same activity
        await settled(bot)
        assert len(teams.bf.posts(chat)) == 1
        assert heard == [Mention(QUESTION, LABELER.aad_object_id, chat, activity["id"], direct=True)]


async def test_a_channel_mention_with_free_text_is_not_direct(database_url) -> None:
    heard: list[Mention] = []
    async with running_teams_bot(database_url, router=listening(heard)) as (_bot, teams):
        activity, status = await teams.mention(QUESTION, LEAD, QA_OPS)
        assert status == 200
        await eventually(lambda: heard)
        assert [(m.text, m.user, m.channel, m.direct) for m in heard] == [
            (QUESTION, LEAD.aad_object_id, QA_OPS, False)
        ]
        assert heard[0].ts == activity["id"]
