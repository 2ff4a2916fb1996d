"""Policy questions in Microsoft Teams, end to end through the same handlers as Slack: a question
typed in the personal chat is answered there with its citations and buttons; a question asked by
mentioning the bot in a channel is answered in that message's reply chain, for everyone there; a
question the library cannot answer goes to the owners' channel, an owner answers it in a dialog, the
asker is told once in the personal chat, and the saved answer answers a reworded question first."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot import timers
from handlers.policy.store import load_dir
from storage.engine import Database
from storage.migrate import upgrade
from storage.models import PolicyVerifiedAnswer
from tests.e2e.harness import eventually, settled
from tests.e2e.policy_flow import count
from tests.e2e.teams_flow import CARD, actions, card_text, elements
from tests.e2e.teams_harness import LABELER, LEAD, QA_OPS, TEAM_ID, TRAINER, running_teams_bot
from tests.e2e.test_teams_quiz import chat_of, said
from tests.fakes import activities
from tests.fakes.activities import personal_conversation_id
from tests.teams_cards import readable, validate_card

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


OWNERS = "19:5e6f708192a3b4c5d6e7f8091a2b3c4d@thread.tacv2"  # policy-owners in the Teams example
UNANSWERABLE = "may labelers take a lunch break during a calibration meeting?"
PARAPHRASE = "can a labeler take lunch breaks in calibration meetings?"
ANSWER = "Yes. Breaks follow the site's schedule; calibration meetings are not live queue time."


def button(sent, title: str) -> dict:  # noqa: ANN001 - a Sent from the fake
    return next(a for a in actions(sent) if a.get("title") == title)


def in_owners_channel(teams, words: str) -> list:  # noqa: ANN001
    """The bot's cards in the owners' channel and its reply chains with `words` in them."""
    return [s for s in teams.bf.posts() if s.conversation_id.startswith(OWNERS) and words in card_text(s)]


async def test_an_owner_answers_in_teams_and_the_saved_answer_answers_the_next_question(
    database_url,
) -> None:
    """The owners' flow on Teams: ask -> the owners' channel (owners mentioned) -> the owner's dialog ->
    the answer in the post's reply chain and once in the asker's personal chat -> saved -> answers a
    reworded question first. A labeler can neither open the dialog nor save."""
    await with_library(database_url)
    chat = chat_of(LABELER)
    async with running_teams_bot(database_url, clock=lambda: NOW) as (bot, teams):
        await teams.personal(UNANSWERABLE, LABELER)
        unsure = (await said(teams, LABELER, "no confident answer"))[0]
        ask_owner = button(unsure, "Ask a policy owner")
        assert ask_owner["type"] == "Action.Execute"
        for _ in range(2):  # a double press asks once
            press = activities.card_action(
                ask_owner["verb"], ask_owner["data"], LABELER, chat, unsure.activity_id, **teams.where()
            )
            assert (await teams.send(press))[0] == 200
        await settled(bot)
        [asked] = in_owners_channel(teams, UNANSWERABLE)
        assert asked.conversation_id == OWNERS  # a new post, not a reply
        mentioned = {
            e["mentioned"]["id"] for e in asked.body["attachments"][0]["content"]["msteams"]["entities"]
        }
        assert {LEAD.aad_object_id, TRAINER.aad_object_id} <= mentioned  # both owner groups' members
        assert "<at>Quinn Lead</at>" in card_text(asked) and "<at>Tara Trainer</at>" in card_text(asked)

        opener = button(asked, "Answer")
        assert opener["data"]["msteams"]["type"] == "task/fetch"
        where = {"team_id": TEAM_ID, **teams.where()}
        status, refused = await teams.send(
            activities.dialog_open(opener["data"], LABELER, OWNERS, asked.activity_id, **where)
        )
        assert status == 200 and refused["task"] == {
            "type": "message",
            "value": "⛔ Only this policy's owners or an admin can do that.",
        }
        status, opened = await teams.send(
            activities.dialog_open(opener["data"], LEAD, OWNERS, asked.activity_id, **where)
        )
        assert status == 200 and opened["task"]["type"] == "continue"
        dialog = opened["task"]["value"]["card"]["content"]
        validate_card(dialog)
        sections = [
            c["value"] for e in elements(dialog) if e.get("type") == "Input.ChoiceSet" for c in e["choices"]
        ]
        assert sections and all(v.startswith("harassment#") for v in sections)
        submit = button({"attachments": [{"contentType": CARD, "content": dialog}]}, "Post answer")
        filled = {**submit["data"], "answer": ANSWER, "section": sections[0], "review_by": "2027-02-28"}
        status, closed = await teams.send(
            activities.dialog_submit(filled, LABELER, OWNERS, asked.activity_id, **where)
        )
        assert status == 200 and "Only this policy's owners" in readable(
            closed["task"]["value"]["card"]["content"]
        )
        for _ in range(2):  # a second submit of the same dialog repeats nothing
            status, closed = await teams.send(
                activities.dialog_submit(filled, LEAD, OWNERS, asked.activity_id, **where)
            )
            assert status == 200 and not closed
        for _ in range(2):
            await timers.run_due(bot.services, bot.services.timers)
        await settled(bot)
        thread = f"{OWNERS};messageid={asked.activity_id}"
        [answered] = [s for s in teams.bf.posts(thread) if "Breaks follow" in card_text(s)]
        told = await said(teams, LABELER, "Breaks follow")
        assert len(told) == 1 and "Harassment and insults" in card_text(told[0])

        save = button(answered, "Save as answer")
        assert save["type"] == "Action.Execute"
        for person in (LABELER, LEAD, LEAD):  # the labeler is refused; the owner's second press is a no-op
            press = activities.card_action(
                save["verb"], save["data"], person, thread, answered.activity_id, **where
            )
            assert (await teams.send(press))[0] == 200
        await settled(bot)
        await timers.run_due(bot.services, bot.services.timers)
        assert len(await said(teams, LABELER, "Only this policy's owners")) == 1
        assert await said(teams, LEAD, "already saved")
        assert len([s for s in teams.bf.posts(thread) if "Saved as a verified" in card_text(s)]) == 1

        await teams.personal(PARAPHRASE, LABELER)
        later = card_text((await said(teams, LABELER, "A policy owner answered this question"))[0])
        assert later.index("A policy owner answered") < later.index("Breaks follow"), later
        assert len(await said(teams, LABELER, "Breaks follow")) == 2  # told once, then this answer
    assert await count(database_url, PolicyVerifiedAnswer) == 1
