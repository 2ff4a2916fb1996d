"""Taking a quiz in Microsoft Teams, end to end over Bot Framework activities: a quiz in a personal chat
answered with buttons and a dialog (a double click answers once), and a quiz a trainer assigns to a
group, each member told once."""

from __future__ import annotations

from tests.e2e.harness import EXAMPLE_NOW, eventually, settled
from tests.e2e.teams_flow import actions, card_text
from tests.e2e.teams_harness import LABELER, LEAD, running_teams_bot
from tests.fakes import activities
from tests.fakes.activities import personal_conversation_id
from tests.fakes.bot_framework import cards
from tests.teams_cards import readable


async def test_a_quiz_in_a_personal_chat_with_buttons_and_a_dialog(database_url) -> None:
    from handlers.quiz import store
    from handlers.quiz.bank import Choice, ImportedBank, NumericAnswer, Question
    from storage.engine import Database
    from storage.migrate import upgrade

    bank = ImportedBank(titles={"spam-basics": "Spam basics"}, pass_marks={"spam-basics": 0.5})
    bank.add(
        "spam-basics",
        Question(
            "links",
            "single",
            "Which is spam?",
            choices=(Choice("The same link 50 times", 1.0), Choice("One link")),
        ),
    )
    bank.add(
        "spam-basics",
        Question("burst", "numeric", "Posts an hour in a burst?", numeric=(NumericAnswer(20, 2),)),
    )
    db = Database(database_url)
    await upgrade(db)
    await store.import_bank(db, bank, EXAMPLE_NOW)
    await db.dispose()
    async with running_teams_bot(database_url, clock=lambda: EXAMPLE_NOW) as (bot, teams):
        chat = personal_conversation_id(LABELER.aad_object_id)
        await teams.personal("quiz spam-basics", LABELER)
        for _ in range(2):
            question = await eventually(
                lambda: [
                    s
                    for s in teams.bf.posts(chat)
                    if "·" in card_text(s)
                    and "/2" in card_text(s)
                    and not any(u.activity_id == s.activity_id for u in teams.bf.updates())
                ]
            )
            sent = question[-1]
            text = card_text(sent)
            if "Which is spam?" in text:
                letter = next(
                    line.split(")")[0] for line in text.splitlines() if "The same link 50 times" in line
                )
                button = next(a for a in actions(sent) if a["title"] == letter)
                press = activities.card_action(
                    button["verb"], button["data"], LABELER, chat, sent.activity_id, **teams.where()
                )
                for _ in range(2):  # a double click
                    status, _ = await teams.send(dict(press, id=activities.next_message_id()))
                    assert status == 200
            else:
                opener = next(a for a in actions(sent) if a["type"] == "Action.Submit")
                _, opened = await teams.send(
                    activities.dialog_open(opener["data"], LABELER, chat, sent.activity_id, **teams.where())
                )
                dialog = opened["task"]["value"]["card"]["content"]
                submit = next(a for a in dialog["actions"] if a["type"] == "Action.Submit")
                _, again = await teams.send(
                    activities.dialog_submit(
                        {**submit["data"], "text": "lots"}, LABELER, chat, **teams.where()
                    )
                )
                assert "is not a number" in readable(again["task"]["value"]["card"]["content"])
                _, closed = await teams.send(
                    activities.dialog_submit({**submit["data"], "text": "19"}, LABELER, chat, **teams.where())
                )
                assert not closed
            # The card is updated in place with the verdict.
            await eventually(
                lambda sent=sent: any(u.activity_id == sent.activity_id for u in teams.bf.updates()), 10
            )
            await settled(bot)
        result = await eventually(lambda: [s for s in teams.bf.posts(chat) if "result" in card_text(s)], 10)
        assert "Passed" in card_text(result[0]) and "100%" in card_text(result[0])
        verdicts = [u for u in teams.bf.updates() if "Right" in "\n".join(readable(c) for c in cards(u))]
        assert len(verdicts) == 2  # two questions, each answered once despite the double click


async def test_a_trainer_assigns_a_quiz_to_a_group_in_teams_and_each_member_is_told_once(
    database_url,
) -> None:
    from handlers.quiz import store
    from handlers.quiz.bank import Choice, ImportedBank, Question
    from storage.engine import Database
    from storage.migrate import upgrade
    from tests.e2e.teams_harness import TRAINER

    bank = ImportedBank(titles={"spam-basics": "Spam basics"})
    bank.add(
        "spam-basics",
        Question("links", "single", "Which is spam?", choices=(Choice("Repeats", 1.0), Choice("News"))),
    )
    db = Database(database_url)
    await upgrade(db)
    await store.import_bank(db, bank, EXAMPLE_NOW)
    await db.dispose()
    async with running_teams_bot(database_url, clock=lambda: EXAMPLE_NOW) as (bot, teams):
        # group:qa-leads holds the QA lead; the trainer assigns it by 2026-11-26, twice (a retry of intent).
        for _ in range(2):
            await teams.personal("quiz assign spam-basics to group:qa-leads by 2026-11-26", TRAINER)
            await settled(bot)
        lead_chat = personal_conversation_id(LEAD.aad_object_id)
        invites = [s for s in teams.bf.posts(lead_chat) if "Quiz assigned" in card_text(s)]
        assert len(invites) == 1
        start = next(a for a in actions(invites[0]) if a["type"] == "Action.Execute")
        await teams.send(
            activities.card_action(
                start["verb"], start["data"], LEAD, lead_chat, invites[0].activity_id, **teams.where()
            )
        )
        question = await eventually(
            lambda: [s for s in teams.bf.posts(lead_chat) if "Which is spam?" in card_text(s)]
        )
        assert "Spam basics · 1/1" in card_text(question[0])
        trainer_chat = personal_conversation_id(TRAINER.aad_object_id)
        assert any("assigned to 1" in card_text(s) for s in teams.bf.posts(trainer_chat))
