"""Message shortcuts in Microsoft Teams, end to end: "Escalate this message" in a message's "More
actions" arrives as a message extension's `composeExtension/fetchTask`, is answered with the dialog the
shortcut's handler opens (pre-filled from the message's HTML as plain text), and the dialog's
`composeExtension/submitAction` reaches the same form handler as any dialog: errors keep it open with
what was typed, a good submission closes it, and Teams' retry of it runs nothing twice."""

from __future__ import annotations

import json

from bot.chat.events import FormSubmission, Shortcut
from tests.e2e.harness import settled
from tests.e2e.teams_flow import CARD, actions, elements
from tests.e2e.teams_harness import (
    LABELER,
    LEAD,
    QA_OPS,
    TEAM_ID,
    message_action_open,
    message_action_submit,
    message_payload,
    running_teams_bot,
)
from tests.e2e.test_shortcuts import EXAMPLE, FORM, escalating
from tests.teams_cards import readable, validate_dialog_response

MESSAGE_ID = "1764495600123"
HTML = (
    "<p>Queue <b>hate-en</b> stalled &amp; backlog &lt; 2h since 09:40</p>"
    '<p>cc <at id="0">Quinn Lead</at></p>'
)
PLAIN = "Queue hate-en stalled & backlog < 2h since 09:40\ncc @Quinn Lead"
LINK = f"https://teams.microsoft.com/l/message/{QA_OPS}/{MESSAGE_ID}?parentMessageId={MESSAGE_ID}"


def submit_button(dialog: dict) -> dict:
    card = {"attachments": [{"contentType": CARD, "content": dialog}]}
    return next(a for a in actions(card) if a["type"] == "Action.Submit")


async def test_a_message_action_opens_the_dialog_and_its_submit_reaches_the_form(database_url) -> None:
    heard: list[Shortcut] = []
    submitted: list[FormSubmission] = []
    where = {"team_id": TEAM_ID}
    async with running_teams_bot(database_url, router=escalating(heard, submitted)) as (bot, teams):
        payload = message_payload(MESSAGE_ID, LABELER, HTML, link=LINK)
        status, opened = await teams.send(
            message_action_open(EXAMPLE, payload, LEAD, QA_OPS, **where, **teams.where())
        )
        assert status == 200, opened
        validate_dialog_response(opened)
        assert opened["task"]["type"] == "continue"
        dialog = opened["task"]["value"]["card"]["content"]
        [summary] = [e for e in elements(dialog) if e.get("id") == "summary"]
        assert summary["type"] == "Input.Text" and summary["value"] == PLAIN
        [event] = heard
        assert (event.name, event.user, event.channel, event.message_ts) == (
            EXAMPLE,
            LEAD.aad_object_id,
            QA_OPS,
            MESSAGE_ID,
        )
        assert event.author == LABELER.aad_object_id and event.text == PLAIN and event.permalink == LINK

        button = submit_button(dialog)
        assert button["data"]["tsqa_form"] == FORM
        empty = {**button["data"], "summary": "  "}
        status, kept = await teams.send(
            message_action_submit(EXAMPLE, empty, LEAD, QA_OPS, MESSAGE_ID, **where, **teams.where())
        )
        assert status == 200 and kept["task"]["type"] == "continue"
        validate_dialog_response(kept)
        assert "Say what happened" in readable(kept["task"]["value"]["card"]["content"])

        filled = {**button["data"], "summary": PLAIN + " (checked twice)"}
        good = message_action_submit(EXAMPLE, filled, LEAD, QA_OPS, MESSAGE_ID, **where, **teams.where())
        for _ in range(2):  # Teams retries an invoke it got no answer to in time: once is enough
            status, closed = await teams.send(good)
            assert status == 200 and not closed
        await settled(bot)
    assert [s.values["summary"] for s in submitted] == ["  ", PLAIN + " (checked twice)"]
    assert {s.user for s in submitted} == {LEAD.aad_object_id}
    assert json.loads(submitted[-1].state) == {
        "channel": QA_OPS,
        "ts": MESSAGE_ID,
        "author": LABELER.aad_object_id,
    }


async def test_an_unknown_or_failing_message_action_says_so_in_the_dialog(database_url) -> None:
    heard: list[Shortcut] = []
    where = {"team_id": TEAM_ID}
    async with running_teams_bot(database_url, router=escalating(heard, [])) as (_bot, teams):
        payload = message_payload(MESSAGE_ID, LABELER, "<p>Northwind's queue is empty today</p>")
        status, unknown = await teams.send(
            message_action_open("retired_shortcut", payload, LEAD, QA_OPS, **where, **teams.where())
        )
        assert status == 200 and unknown["task"] == {
            "type": "message",
            "value": "There is nothing to open for that here.",
        }
        status, failed = await teams.send(
            message_action_open("broken_example", payload, LEAD, QA_OPS, **where, **teams.where())
        )
        assert status == 200 and failed["task"]["type"] == "message"
        assert "Something went wrong on my side" in failed["task"]["value"]
    assert heard == []
