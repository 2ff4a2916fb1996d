"""The digest capability and help in Microsoft Teams, end to end: Bot Framework activities over HTTP
to the running bot, its answers recorded by the Bot Framework fake, every card checked against the
Adaptive Cards 1.5 schema and Teams' size limit."""

from __future__ import annotations

from datetime import date

from bot.workspace import Workspace
from handlers.digest.service import digest_for_day
from tests.e2e.harness import EXAMPLE_NOW, eventually, load_examples
from tests.e2e.teams_harness import LABELER, LEAD, QA_OPS, running_teams_bot, teams_workspace
from tests.fakes.activities import personal_conversation_id
from tests.fakes.bot_framework import cards
from tests.teams_cards import readable, validate_activity

DAY = date(2026, 11, 23)


def card_text(sent) -> str:  # noqa: ANN001 - a Sent from the fake
    validate_activity(sent.body)
    return "\n".join(readable(card) for card in cards(sent))


async def loaded(database_url: str) -> Workspace:
    workspace = teams_workspace()
    await load_examples(database_url, workspace, EXAMPLE_NOW.date())
    return workspace


async def test_help_in_a_personal_chat_lists_commands_without_slashes(database_url) -> None:
    async with running_teams_bot(database_url) as (_bot, teams):
        _, status = await teams.personal("help", LABELER)
        assert status == 200
        chat = personal_conversation_id(LABELER.aad_object_id)
        sent = await eventually(lambda: teams.bf.posts(chat))
        text = card_text(sent[0])
        assert "digest" in text and "/digest" not in text
        assert "Here is what I can do" in text or "I help Trust & Safety QA teams" in text


async def test_digest_in_a_personal_chat_and_by_mention_give_the_same_figures(database_url) -> None:
    workspace = await loaded(database_url)
    async with running_teams_bot(database_url, workspace=workspace, clock=lambda: EXAMPLE_NOW) as (
        bot,
        teams,
    ):
        expected = await digest_for_day(bot.db, workspace, DAY, queues=["spam-pt"])
        output = f"{expected['overall']['output']:,}"
        chat = personal_conversation_id(LEAD.aad_object_id)
        await teams.personal("digest spam-pt", LEAD)
        first = await eventually(lambda: teams.bf.posts(chat))
        personal = card_text(first[0])
        assert "Queue digest · spam-pt" in personal and output in personal
        # In a channel the same command is private too: the answer goes to the asker's personal chat.
        await teams.mention("digest spam-pt", LEAD, QA_OPS)
        both = await eventually(lambda: len(teams.bf.posts(chat)) >= 2 and teams.bf.posts(chat))
        assert card_text(both[1]) == personal
        assert not [s for s in teams.bf.posts() if s.conversation_id.startswith(QA_OPS)]
