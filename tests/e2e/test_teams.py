"""The digest capability and help in Microsoft Teams, end to end: Bot Framework activities over HTTP
to the running bot, its answers recorded by the Bot Framework fake, every card checked against the
Adaptive Cards 1.5 schema and Teams' size limit."""

from __future__ import annotations

from datetime import date

from bot.workspace import Workspace
from handlers.digest.service import digest_for_day
from handlers.queue_data.generate import generate_decisions
from tests.e2e.harness import EXAMPLE_NOW, eventually, load_examples, settled
from tests.e2e.teams_flow import CARD, actions, card_text, elements
from tests.e2e.teams_harness import (
    APP_ID,
    DIGEST_CHANNEL,
    LABELER,
    LEAD,
    NORTHWIND_CHANNEL,
    NORTHWIND_LEAD,
    QA_OPS,
    TEAM_ID,
    running_teams_bot,
    teams_workspace,
)
from tests.fakes import activities
from tests.fakes.activities import personal_conversation_id
from tests.fakes.bot_framework import cards
from tests.teams_cards import readable, validate_activity, validate_card

DAY = date(2026, 11, 23)


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


async def test_scheduled_digests_post_in_their_channels_with_the_chart_in_the_thread(database_url) -> None:
    workspace = await loaded(database_url)
    async with running_teams_bot(database_url, workspace=workspace, clock=lambda: EXAMPLE_NOW) as (
        bot,
        teams,
    ):
        roots = await eventually(lambda: teams.bf.posts(DIGEST_CHANNEL), timeout=15)
        assert len(roots) == 1
        expected = await digest_for_day(bot.db, workspace, DAY)
        text = card_text(roots[0])
        assert "Queue digest" in text and f"{expected['overall']['output']:,}" in text
        thread = f"{DIGEST_CHANNEL};messageid={roots[0].activity_id}"
        charts = await eventually(lambda: teams.bf.posts(thread), timeout=15)
        assert len(charts) == 1
        images = [e for e in elements(cards(charts[0])) if e.get("type") == "Image"]
        assert images and images[0]["url"].startswith("data:image/png;base64,")
        validate_activity(charts[0].body)  # under Teams' message size limit, schema-valid
        # The vendor channels get their vendor's digest only.
        northwind = await eventually(lambda: teams.bf.posts(NORTHWIND_CHANNEL), timeout=15)
        assert "Graphic imagery" not in card_text(northwind[0])
    # A restart on the same day posts nothing again.
    async with running_teams_bot(database_url, workspace=workspace, clock=lambda: EXAMPLE_NOW) as (
        bot,
        teams,
    ):
        await settled(bot)
        assert not teams.bf.posts(DIGEST_CHANNEL)


async def test_breakdown_button_replies_in_the_thread_once(database_url) -> None:
    workspace = await loaded(database_url)
    async with running_teams_bot(database_url, workspace=workspace, clock=lambda: EXAMPLE_NOW) as (
        bot,
        teams,
    ):
        root = (await eventually(lambda: teams.bf.posts(DIGEST_CHANNEL), timeout=15))[0]
        button = next(a for a in actions(root) if a["type"] == "Action.Execute")
        assert button["title"].startswith("Breakdown")
        press = activities.card_action(
            button["verb"],
            button["data"],
            LEAD,
            DIGEST_CHANNEL,
            root.activity_id,
            team_id=TEAM_ID,
            **teams.where(),
        )
        for _ in range(2):  # a double click
            status, body = await teams.send(dict(press, id=activities.next_message_id()))
            assert status == 200 and body["statusCode"] == 200
        thread = f"{DIGEST_CHANNEL};messageid={root.activity_id}"
        replies = await eventually(
            lambda: [s for s in teams.bf.posts(thread) if "Breakdown" in card_text(s)], timeout=10
        )
        await settled(bot)
        replies = [s for s in teams.bf.posts(thread) if "Breakdown" in card_text(s)]
        assert len(replies) == 1
        assert "Vendors" in card_text(replies[0]) and "Northwind Review Services" in card_text(replies[0])
        # A labeler's click tells them privately, and posts nothing more.
        await teams.send(
            activities.card_action(
                button["verb"],
                button["data"],
                LABELER,
                DIGEST_CHANNEL,
                root.activity_id,
                team_id=TEAM_ID,
                **teams.where(),
            )
        )
        chat = personal_conversation_id(LABELER.aad_object_id)
        refused = await eventually(lambda: teams.bf.posts(chat))
        assert "Only" in card_text(refused[0])
        assert len([s for s in teams.bf.posts(thread) if "Breakdown" in card_text(s)]) == 1


async def test_request_dialog_shows_errors_in_the_dialog_then_answers_privately(database_url) -> None:
    workspace = await loaded(database_url)
    async with running_teams_bot(database_url, workspace=workspace, clock=lambda: EXAMPLE_NOW) as (
        _bot,
        teams,
    ):
        for activity in activities.installed_personal(NORTHWIND_LEAD, **teams.where()):
            assert (await teams.send(activity))[0] == 200
        chat = personal_conversation_id(NORTHWIND_LEAD.aad_object_id)
        home = await eventually(lambda: teams.bf.posts(chat))
        await settled(_bot)
        assert len(teams.bf.posts(chat)) == 1  # two install activities, one welcome
        opener = next(a for a in actions(home[0]) if a["type"] == "Action.Submit")
        assert opener["data"]["msteams"]["type"] == "task/fetch"
        status, opened = await teams.send(
            activities.dialog_open(opener["data"], NORTHWIND_LEAD, chat, **teams.where())
        )
        assert status == 200 and opened["task"]["type"] == "continue"
        dialog = opened["task"]["value"]["card"]["content"]
        validate_card(dialog)
        choices = [
            c["value"] for e in elements(dialog) if e.get("type") == "Input.ChoiceSet" for c in e["choices"]
        ]
        assert "graphic-img" not in choices  # a vendor lead is offered their own queues only
        submit = next(
            a
            for a in actions({"attachments": [{"contentType": CARD, "content": dialog}]})
            if a["type"] == "Action.Submit"
        )
        bad = {**submit["data"], "queue": "spam-pt", "day": "23/11/2026"}
        status, again = await teams.send(activities.dialog_submit(bad, NORTHWIND_LEAD, chat, **teams.where()))
        assert status == 200 and again["task"]["type"] == "continue"
        shown = readable(again["task"]["value"]["card"]["content"])
        assert "is not a date" in shown
        forged = {**submit["data"], "queue": "graphic-img", "day": "2026-11-23"}  # not theirs
        _, refused = await teams.send(activities.dialog_submit(forged, NORTHWIND_LEAD, chat, **teams.where()))
        assert "northwind" in readable(refused["task"]["value"]["card"]["content"])
        good = {**submit["data"], "queue": "spam-pt", "day": "2026-11-23"}
        status, closed = await teams.send(
            activities.dialog_submit(good, NORTHWIND_LEAD, chat, **teams.where())
        )
        assert status == 200 and not closed
        answers = await eventually(lambda: len(teams.bf.posts(chat)) >= 2 and teams.bf.posts(chat))
        assert "Queue digest · spam-pt" in card_text(answers[1])


async def test_forged_or_missing_tokens_get_401_and_nothing_runs(database_url) -> None:
    async with running_teams_bot(database_url) as (bot, teams):
        before = len(teams.bf.sent)
        message = activities.personal_message("help", LEAD, **teams.where())
        for token in (
            teams.bf.forged_token(APP_ID),
            teams.bf.token(APP_ID, expired=True),
            teams.bf.token("another-app"),
            teams.bf.token(APP_ID, "https://elsewhere.example"),
        ):
            status, _ = await teams.send(message, token=token)
            assert status == 401
        status, _ = await activities.send(teams.url, message, "")
        assert status == 401
        await settled(bot)
        assert len(teams.bf.sent) == before
        assert (await teams.send(message))[0] == 200  # the same activity, properly signed, runs


async def test_a_retried_activity_is_answered_once(database_url) -> None:
    async with running_teams_bot(database_url) as (bot, teams):
        message = activities.personal_message("help", LABELER, **teams.where())
        for _ in range(3):  # Teams retries an activity whose answer it did not get
            assert (await teams.send(message))[0] == 200
        await settled(bot)
        assert len(teams.bf.posts(personal_conversation_id(LABELER.aad_object_id))) == 1


async def test_queue_data_sent_in_a_personal_chat_is_loaded_and_answered_there(database_url) -> None:
    workspace = teams_workspace()
    frame = generate_decisions(workspace, date(2026, 11, 20), 2, seed=5, scale=0.1)
    northwind = frame[frame["vendor"] == "northwind"].to_csv(index=False).encode()
    async with running_teams_bot(database_url, clock=lambda: EXAMPLE_NOW) as (bot, teams):
        # Bluebird's lead may not load Northwind's queues: refused with the reason, nothing stored.
        bluebird_lead = activities.User("3c0f6e2a-7b41-4d8e-9a15-0000000b0001", "Bea Vendorlead")
        url = teams.bf.add_file("northwind.csv", northwind)
        await teams.send(
            activities.file_in_personal_chat("northwind.csv", url, bluebird_lead, **teams.where())
        )
        chat = personal_conversation_id(bluebird_lead.aad_object_id)
        refused = await eventually(lambda: teams.bf.posts(chat), 15)
        assert "refused, nothing stored" in card_text(refused[0])
        # Northwind's lead loads the same file.
        await teams.send(
            activities.file_in_personal_chat("northwind.csv", url, NORTHWIND_LEAD, **teams.where())
        )
        chat = personal_conversation_id(NORTHWIND_LEAD.aad_object_id)
        stored = await eventually(lambda: teams.bf.posts(chat), 15)
        assert f"stored {len(frame[frame['vendor'] == 'northwind']):,} new decisions" in card_text(stored[0])
        digest = await digest_for_day(bot.db, workspace, date(2026, 11, 21), queues=["hate-en"])
        assert digest["overall"]["output"] > 0


async def test_only_teams_in_this_tenant_is_served(database_url) -> None:
    """A Bot Framework token also comes with Web Chat and Direct Line, whose clients choose `from`:
    such an activity claiming to be an admin, or one from another tenant, runs nothing."""
    async with running_teams_bot(database_url) as (bot, teams):
        lead_chat = personal_conversation_id(LEAD.aad_object_id)
        webchat = activities.personal_message("digest", LEAD, **teams.where())
        webchat["channelId"] = "webchat"
        status, _ = await teams.send(webchat)
        assert status == 401  # the key that signed it is endorsed for msteams only
        elsewhere = activities.personal_message(
            "digest", LEAD, tenant_id="0e0e0e0e-0000-4000-8000-000000000000", **teams.where()
        )
        assert (await teams.send(elsewhere))[0] == 200
        await settled(bot)
        assert not teams.bf.posts(lead_chat)
