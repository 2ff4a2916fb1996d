"""Calibration in Microsoft Teams, end to end over Bot Framework activities against the running bot."""

from __future__ import annotations

from handlers.calibration import views
from tests.e2e.calibration_flow import CSV, DUE
from tests.e2e.escalate_flow import Clock, run_timers
from tests.e2e.harness import settled
from tests.e2e.teams_flow import button, card_text, open_dialog, submit_dialog
from tests.e2e.teams_harness import LABELER, LEAD, TRAINER, running_teams_bot
from tests.e2e.test_teams_quiz import chat_of
from tests.e2e.test_teams_quiz import said as said_in_teams
from tests.fakes import activities
from tests.fakes.activities import User
from tests.fakes.bot_framework import cards
from tests.teams_cards import readable


async def test_a_session_in_teams_runs_through_the_same_handlers(database_url) -> None:
    """Teams: the command answers with a card whose button opens the dialog; ballots are cards in each
    person's personal chat, voted with Action.Execute and updated in place; the results go where the
    session was made."""
    clock = Clock()
    chat = chat_of(LEAD)
    async with running_teams_bot(database_url, clock=clock) as (bot, teams):
        await teams.personal("calibrate new", LEAD)
        [offer] = await said_in_teams(teams, LEAD, "Create a calibration session")
        opener = button(offer, "Create a calibration session")
        dialog = await open_dialog(teams, opener, LEAD, chat, offer.activity_id)
        people = f"{LABELER.aad_object_id} {TRAINER.aad_object_id}"
        values = {
            "title": "Teams round", "queue": "hate-en", "source": views.SOURCE_CSV, "items": CSV,
            "participants": people, "due": DUE, "count": "", "days": "",
        }  # fmt: skip
        assert await submit_dialog(teams, dialog, values, LEAD, chat, offer.activity_id) is None
        await settled(bot)
        await run_timers(bot)

        async def press(person: User, activity_id: str, title: str) -> None:
            found = button(teams.bf.activity(activity_id), title)
            assert found["type"] == "Action.Execute"
            sent = activities.card_action(
                found["verb"], found["data"], person, chat_of(person), activity_id, **teams.where()
            )
            status, _ = await teams.send(sent)
            assert status == 200
            await settled(bot)

        def reads(activity_id: str) -> str:
            return "\n".join(readable(card) for card in cards(teams.bf.activity(activity_id)))

        for person, labels in (
            (LABELER, ["remove", "allow", "allow"]),
            (TRAINER, ["remove", "remove", "allow"]),
        ):
            [ballot_card] = await said_in_teams(teams, person, "Item 1 of 3")
            for label in labels:
                await press(person, ballot_card.activity_id, label)
            assert "All 3 items rated" in reads(ballot_card.activity_id)
        [panel] = await said_in_teams(teams, LEAD, "Reveal now")
        assert "Not yet (0): nobody" in reads(panel.activity_id)
        await press(LEAD, panel.activity_id, "Reveal now")
        await run_timers(bot)
        results = [s for s in teams.bf.posts(chat) if "Calibration results" in card_text(s)]
        assert len(results) == 1
        shown = card_text(results[0])
        assert "3 items · 2 raters" in shown and "Krippendorff's alpha" in shown
        assert "2. ITEM-102 · allow 1 · remove 1 · reference allow · 50% agree ⚠️" in shown.replace("`", "")
