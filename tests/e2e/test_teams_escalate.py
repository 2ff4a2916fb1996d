"""Escalations in Microsoft Teams, end to end through the same handlers as Slack: `escalate …` in the
personal chat answers with a card whose button opens the raise dialog (task/fetch, the title
pre-filled); its submission (task/submit) posts the escalation card in the escalation channel, the
first reply in its reply chain mentions the R&D on-call and the vendor's contacts, and the reporter is
told in the personal chat. Acknowledge (Action.Execute) pressed twice records once and updates the
card in place; Post update and Resolve go through their dialogs; a reminder fires once on the test's
clock. "Escalate this message" (a message action) opens the dialog pre-filled from the message."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from handlers.escalate.routes import SHORTCUT
from storage.engine import Database
from storage.models import Escalation
from tests.e2e.escalate_flow import Clock, run_timers
from tests.e2e.harness import eventually, settled
from tests.e2e.teams_flow import (
    actions,
    as_card,
    button,
    card_text,
    inputs,
    now_reads,
    open_dialog,
    submit_dialog,
)
from tests.e2e.teams_harness import (
    ESCALATION_CHANNEL,
    LABELER,
    LEAD,
    NORTHWIND_LEAD,
    ONCALL,
    QA_OPS,
    RD_LEAD,
    TEAM_ID,
    TeamsSide,
    mentioned,
    message_action_open,
    message_action_submit,
    message_payload,
    running_teams_bot,
)
from tests.e2e.test_escalate import events
from tests.e2e.test_teams_quiz import chat_of, said
from tests.fakes import activities
from tests.fakes.activities import User
from tests.teams_cards import readable, validate_dialog_response

IN_TEAM = {"team_id": TEAM_ID}
MESSAGE_ID = "1764495600456"
HTML = "<p>Queue routing stuck for <b>spam-pt</b></p><p>Nobody gets new items &amp; the backlog grows.</p>"
LINK = f"https://teams.microsoft.com/l/message/{QA_OPS}/{MESSAGE_ID}?parentMessageId={MESSAGE_ID}"


def replies(teams: TeamsSide, root: Any, words: str = "") -> list[Any]:  # noqa: ANN401
    """The bot's messages in the escalation card's reply chain that say `words`."""
    chain = f"{ESCALATION_CHANNEL};messageid={root.activity_id}"
    return [s for s in teams.bf.posts(chain) if words in card_text(s)]


async def card_dialog(teams: TeamsSide, root: Any, title: str, person: User) -> dict[str, Any]:  # noqa: ANN401
    """The dialog a button on the escalation card (as it now stands) opens, in its channel."""
    card = teams.bf.activity(root.activity_id)
    return await open_dialog(
        teams, button(card, title), person, ESCALATION_CHANNEL, root.activity_id, **IN_TEAM
    )


async def submit_card_dialog(
    teams: TeamsSide,
    root: Any,
    dialog: dict[str, Any],
    values: dict[str, Any],
    person: User,  # noqa: ANN401
) -> Any:  # noqa: ANN401
    """A card's dialog submitted in the escalation channel; None when it closes."""
    return await submit_dialog(teams, dialog, values, person, ESCALATION_CHANNEL, root.activity_id, **IN_TEAM)


async def press(teams: TeamsSide, root: Any, title: str, person: User) -> None:  # noqa: ANN401
    """Press an Action.Execute button on the escalation card as it now stands."""
    found = button(teams.bf.activity(root.activity_id), title)
    assert found["type"] == "Action.Execute"
    status, _ = await teams.send(
        activities.card_action(
            found["verb"],
            found["data"],
            person,
            ESCALATION_CHANNEL,
            root.activity_id,
            **IN_TEAM,
            **teams.where(),
        )
    )
    assert status == 200


async def raise_from_message(teams: TeamsSide, bot: Any, **chosen: str) -> Any:  # noqa: ANN401
    """Raise ESC-n by "Escalate this message" on a Northwind lead's message; the card in the channel."""
    before = len(teams.bf.posts(ESCALATION_CHANNEL))
    payload = message_payload(MESSAGE_ID, NORTHWIND_LEAD, HTML, link=LINK)
    status, opened = await teams.send(
        message_action_open(SHORTCUT, payload, LEAD, QA_OPS, **IN_TEAM, **teams.where())
    )
    assert status == 200 and opened["task"]["type"] == "continue", opened
    dialog = opened["task"]["value"]["card"]["content"]
    values = {"queue": "hate-en", "platform": "media-service", "severity": "SEV2", **chosen}
    assert await submit_dialog(teams, dialog, values, LEAD, QA_OPS, MESSAGE_ID, **IN_TEAM) is None
    await settled(bot)
    posted = await eventually(lambda: teams.bf.posts(ESCALATION_CHANNEL)[before:], 10)
    assert len(posted) == 1
    return posted[0]


async def escalation_row(database_url: str) -> Escalation:
    db = Database(database_url)
    async with db.transaction() as session:
        [row] = (await session.scalars(select(Escalation))).all()
    await db.dispose()
    return row


async def test_raise_remind_acknowledge_update_and_resolve_in_teams(database_url) -> None:
    clock = Clock()
    start = clock.now
    chat = chat_of(LEAD)
    async with running_teams_bot(database_url, clock=clock) as (bot, teams):
        # A command has no trigger in Teams: the answer is a card whose button opens the dialog.
        await teams.personal("escalate hate-en Media not loading", LEAD)
        [offer] = await said(teams, LEAD, "Open the escalation form")
        dialog = await open_dialog(
            teams, button(offer, "Open the escalation form"), LEAD, chat, offer.activity_id
        )
        fields = inputs(dialog)
        assert fields["title"]["value"] == "Media not loading"
        assert {c["value"] for c in fields["queue"]["choices"]} >= {"hate-en", "spam-pt", "graphic-img"}
        assert {c["value"] for c in fields["platform"]["choices"]} == {
            "labelling-tool",
            "media-service",
            "routing",
        }

        # A missing field keeps the dialog open with what was typed; the good one closes it.
        raised = {"queue": "hate-en", "platform": "media-service", "severity": "SEV2"}
        kept = await submit_dialog(
            teams, dialog, {**raised, "description": ""}, LEAD, chat, offer.activity_id
        )
        assert kept["task"]["type"] == "continue"
        assert "Say what is happening" in readable(kept["task"]["value"]["card"]["content"])
        assert teams.bf.posts(ESCALATION_CHANNEL) == []
        good = {**raised, "description": "Images stay blank for every labeler."}
        assert await submit_dialog(teams, dialog, good, LEAD, chat, offer.activity_id) is None
        await settled(bot)

        [root] = await eventually(lambda: teams.bf.posts(ESCALATION_CHANNEL), 10)
        shown = card_text(root)
        assert "ESC-1 · SEV2 · Media not loading" in shown and "Not acknowledged" in shown
        assert "Hate speech EN" in shown and "Northwind Review Services" in shown and "Media service" in shown
        assert {a["title"] for a in actions(root)} == {
            "Acknowledge",
            "Post update",
            "Change severity",
            "Resolve",
        }
        [first] = await eventually(lambda: replies(teams, root), 10)
        assert mentioned(first.activity) == {ONCALL.aad_object_id, NORTHWIND_LEAD.aad_object_id}
        first_text = card_text(first)
        assert "<at>Robin Oncall</at>" in first_text and "<at>Nico Vendorlead</at>" in first_text
        assert RD_LEAD.name not in first_text  # tier 2 only when tier 1 stays silent
        [told] = await said(teams, LEAD, "is posted in")
        assert "ESC-1" in card_text(told) and "Media not loading" in card_text(told)

        # Tier 1 is reminded once at fifteen minutes (SEV2), not a second before, not twice.
        clock.now = start + timedelta(minutes=15) - timedelta(seconds=1)
        await run_timers(bot)
        assert replies(teams, root, "is not acknowledged") == []
        clock.now = start + timedelta(minutes=15)
        await run_timers(bot)
        await run_timers(bot)
        [reminder] = replies(teams, root, "is not acknowledged after 15 min")
        assert mentioned(reminder.activity) == {ONCALL.aad_object_id}
        assert len(replies(teams, root, "is not acknowledged")) == 1

        # A labeler may not acknowledge; the on-call's double press records once, the card in place.
        await press(teams, root, "Acknowledge", LABELER)
        await settled(bot)
        assert await said(teams, LABELER, "Only admins, this platform's R&D people")
        assert "Not acknowledged" in now_reads(teams, root.activity_id)
        await asyncio.gather(*(press(teams, root, "Acknowledge", ONCALL) for _ in range(2)))
        await settled(bot)
        await eventually(lambda: replies(teams, root, "acknowledged this"), 10)
        assert await events(database_url, "acknowledged") == 1
        assert len(replies(teams, root, "acknowledged this")) == 1
        assert "Acknowledged by <at>Robin Oncall</at> after 15 min" in now_reads(teams, root.activity_id)
        assert await said(teams, ONCALL, "already acknowledged")
        current = teams.bf.activity(root.activity_id)
        assert "Acknowledge" not in {a.get("title") for a in actions(current or {})}

        # Post update: its dialog from the card; the same dialog submitted twice makes one update.
        clock.now = start + timedelta(minutes=22)
        update = await card_dialog(teams, root, "Post update", ONCALL)
        assert set(inputs(update)) == {"update"}
        empty = await submit_card_dialog(teams, root, update, {"update": " "}, ONCALL)
        assert "Write what changed" in readable(empty["task"]["value"]["card"]["content"])
        rolled = {"update": "Rolled back the media cache release."}
        twice = [await submit_card_dialog(teams, root, update, rolled, ONCALL) for _ in range(2)]
        assert twice == [None, None]
        await settled(bot)
        await eventually(lambda: replies(teams, root, "Update from"), 10)
        assert await events(database_url, "update") == 1
        assert "Rolled back the media cache release." in now_reads(teams, root.activity_id)

        # Resolve: its dialog; the card says who and how long, the reporter is told, no page came.
        clock.now = start + timedelta(minutes=52)
        current = teams.bf.activity(root.activity_id)
        resolve = await card_dialog(teams, root, "Resolve", ONCALL)
        assert "release" in {c["value"] for c in inputs(resolve)["cause"]["choices"]}
        done = {"resolution": "Cache release rolled back; media loads again.", "cause": "release"}
        assert await submit_card_dialog(teams, root, resolve, done, ONCALL) is None
        await settled(bot)
        await eventually(lambda: replies(teams, root, "resolved this"), 10)
        now = now_reads(teams, root.activity_id)
        assert (
            "Resolved by <at>Robin Oncall</at> after 52 min" in now
            and "a release or configuration change" in now
        )
        assert {a.get("title") for a in actions(teams.bf.activity(root.activity_id) or {})} == {"Reopen"}
        assert await said(teams, LEAD, "is resolved")
        await run_timers(bot)  # tier 2's page fell due at 30 minutes, but the acknowledgement silenced it
        assert replies(teams, root, "Paging") == [] and teams.bf.posts(chat_of(RD_LEAD)) == []
        assert len(teams.bf.posts(ESCALATION_CHANNEL)) == 1  # one card, only ever updated
    row = await escalation_row(database_url)
    assert row.status == "resolved" and row.owner == ONCALL.aad_object_id
    assert row.reporter == LEAD.aad_object_id and row.channel == ESCALATION_CHANNEL


async def test_the_queue_named_in_the_command_is_chosen_in_the_dialog(database_url) -> None:
    async with running_teams_bot(database_url, clock=Clock()) as (_bot, teams):
        await teams.personal("escalate hate-en Media not loading", LEAD)
        [offer] = await said(teams, LEAD, "Open the escalation form")
        dialog = await open_dialog(
            teams, button(offer, "Open the escalation form"), LEAD, chat_of(LEAD), offer.activity_id
        )
        fields = inputs(dialog)
        assert fields["title"]["value"] == "Media not loading"
        assert fields["queue"].get("value") == "hate-en"
        assert "No decisions from this queue" in (fields["impact"].get("value") or "")  # from queue data


async def test_escalate_this_message_prefills_the_dialog_and_raises_from_it(database_url) -> None:
    async with running_teams_bot(database_url, clock=Clock()) as (bot, teams):
        payload = message_payload(MESSAGE_ID, NORTHWIND_LEAD, HTML, link=LINK)
        status, opened = await teams.send(
            message_action_open(SHORTCUT, payload, LEAD, QA_OPS, **IN_TEAM, **teams.where())
        )
        assert status == 200 and opened["task"]["type"] == "continue", opened
        validate_dialog_response(opened)
        dialog = opened["task"]["value"]["card"]["content"]
        fields = inputs(dialog)
        assert fields["title"]["value"] == "Queue routing stuck for spam-pt"
        described = fields["description"]["value"]
        assert "Nobody gets new items & the backlog grows." in described and fields["link"]["value"] == LINK

        status, refused = await teams.send(
            message_action_open(SHORTCUT, payload, LABELER, QA_OPS, **IN_TEAM, **teams.where())
        )
        assert status == 200 and refused["task"]["type"] == "message"  # said in the dialog's place
        assert "Escalations are raised by admins" in refused["task"]["value"]

        submit = next(a for a in actions(as_card(dialog)) if a["type"] == "Action.Submit")
        typed = {name: field.get("value", "") for name, field in fields.items()}
        chosen = {
            "queue": "spam-pt",
            "platform": "routing",
            "severity": "SEV3",
            "title": "Queue routing stuck",
        }
        data = {**submit["data"], **typed, **chosen}
        raised = message_action_submit(SHORTCUT, data, LEAD, QA_OPS, MESSAGE_ID, **IN_TEAM, **teams.where())
        for _ in range(2):  # Teams retries an invoke it got no answer to in time: one escalation
            status, closed = await teams.send(raised)
            assert status == 200 and not closed
        await settled(bot)
        [root] = await eventually(lambda: teams.bf.posts(ESCALATION_CHANNEL), 10)
        shown = card_text(root)
        assert (
            "ESC-1 · SEV3 · Queue routing stuck" in shown and "Spam PT" in shown and "Queue routing" in shown
        )
        assert "Nobody gets new items & the backlog grows." in shown
        [first] = await eventually(lambda: replies(teams, root), 10)
        assert mentioned(first.activity) == {ONCALL.aad_object_id, NORTHWIND_LEAD.aad_object_id}
        # Queue routing has no tier 2 in the example: the admins hear exactly that.
        missing = card_text((await said(teams, LEAD, "the directory is missing"))[0])
        assert "Queue routing (routing) has no R&D escalation" in missing
    row = await escalation_row(database_url)
    assert (row.source_channel, row.source_ts) == (QA_OPS, MESSAGE_ID)
    assert row.reporter == LEAD.aad_object_id and row.queue == "spam-pt"


async def test_the_first_reply_names_the_vendor_role_as_written(database_url) -> None:
    async with running_teams_bot(database_url, clock=Clock()) as (bot, teams):
        root = await raise_from_message(teams, bot)
        [first] = await eventually(lambda: replies(teams, root), 10)
        assert "BPO operations" in card_text(first), card_text(first)


async def test_severity_change_moves_the_reminder_and_a_double_reopen_reopens_once(database_url) -> None:
    """SEV2 waits fifteen minutes; changed to SEV1 in its dialog (the current severity chosen), tier 1
    hears at five. Resolved by the reporter, then Reopen (Action.Execute) pressed twice: reopened once,
    Acknowledge back on the card."""
    clock = Clock()
    start = clock.now
    async with running_teams_bot(database_url, clock=clock) as (bot, teams):
        root = await raise_from_message(teams, bot, severity="SEV2")
        clock.now = start + timedelta(minutes=2)
        severity = await card_dialog(teams, root, "Change severity", ONCALL)
        assert inputs(severity)["severity"]["value"] == "SEV2"
        sev1 = {"severity": "SEV1", "reason": "two sites idle"}
        assert await submit_card_dialog(teams, root, severity, sev1, ONCALL) is None
        await settled(bot)
        await eventually(lambda: replies(teams, root, "changed the severity"), 10)
        assert "ESC-1 · SEV1 · Queue routing stuck" in now_reads(teams, root.activity_id)
        clock.now = start + timedelta(minutes=5)
        await run_timers(bot)
        await run_timers(bot)
        assert len(replies(teams, root, "is not acknowledged after 5 min")) == 1

        resolve = await card_dialog(teams, root, "Resolve", LEAD)
        done = {"resolution": "Routing rules restored.", "cause": "data"}
        assert await submit_card_dialog(teams, root, resolve, done, LEAD) is None
        await settled(bot)
        await eventually(lambda: replies(teams, root, "resolved this"), 10)
        await asyncio.gather(*(press(teams, root, "Reopen", LEAD) for _ in range(2)))
        await settled(bot)
        await eventually(lambda: replies(teams, root, "reopened this"), 10)
        assert await events(database_url, "reopened") == 1
        assert len(replies(teams, root, "reopened this")) == 1
        assert "Not acknowledged yet (reopened)" in now_reads(teams, root.activity_id)
        assert "Acknowledge" in {a.get("title") for a in actions(teams.bf.activity(root.activity_id) or {})}
    row = await escalation_row(database_url)
    assert (row.status, row.severity, row.generation) == ("open", "SEV1", 1)
