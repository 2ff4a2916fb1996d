"""Calibration items sent to the bot as a CSV file, over signed HTTP against the Slack fake (and the
Teams fake): read and kept as the sender's draft, the form opened from the answer with the file
chosen, the references checked against the queue chosen; every other file still reaches queue data."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from handlers.calibration import store, views
from storage.engine import Database
from storage.models import CalibrationDraft, CalibrationItem
from tests.e2e.calibration_flow import CSV, KAI, LEE, QUINN, TARA, count, dms_of, form_values, sessions
from tests.e2e.escalate_flow import Clock, buttons, opened_view, run_timers, submit
from tests.e2e.harness import SlackSide, eventually, quiet, running_bot, settled, texts
from tests.e2e.teams_flow import button, card_text, open_dialog, submit_dialog
from tests.e2e.teams_harness import LABELER, LEAD, TRAINER, running_teams_bot
from tests.e2e.test_ingest_uploads import decisions_csv, upload
from tests.e2e.test_teams_quiz import chat_of
from tests.e2e.test_teams_quiz import said as said_in_teams
from tests.fakes import activities


async def send_items(slack: SlackSide, user: str, name: str, data: str | bytes) -> Any:  # noqa: ANN401
    """`user` sends a file to the bot in their DM; the bot's one answer in the upload's thread."""
    dm = slack.fake.dm_channel(user)
    ts = await upload(slack, user, name, data.encode() if isinstance(data, str) else data, dm)
    replies = await eventually(lambda: slack.fake.messages_in(dm, thread_ts=ts)[1:], 15)
    assert len(replies) == 1, [r.text for r in replies]
    return replies[0]


async def open_from(slack: SlackSide, answer: Any, user: str) -> dict[str, Any]:  # noqa: ANN401
    """Press "Create a session from these items" under the answer; the form it opens."""
    before = len(slack.fake.calls_to("views.open"))
    pressed = buttons(answer.blocks)[views.UPLOAD_FORM]
    dm = slack.fake.dm_channel(user)
    await slack.action(views.UPLOAD_FORM, pressed["value"], user=user, channel=dm, message_ts=answer.ts)
    return await opened_view(slack, before)


def from_file(**values: Any) -> dict[str, Any]:  # noqa: ANN401
    """The form's values with the uploaded file as the source and nothing pasted."""
    return form_values(source=views.SOURCE_UPLOAD, items="", **values)


async def drafts(database_url: str) -> int:
    return await count(database_url, CalibrationDraft)


async def stored_items(database_url: str) -> list[tuple[str, str | None, str | None, str | None]]:
    db = Database(database_url)
    async with db.transaction() as session:
        rows = await session.scalars(select(CalibrationItem).order_by(CalibrationItem.position))
        found = [(r.item_id, r.link, r.note, r.reference) for r in rows]
    await db.dispose()
    return found


async def test_a_file_sent_to_the_bot_becomes_a_session_through_its_button(workspace, database_url) -> None:
    data = CSV.replace("102,,allow", "102,,Allow")  # a reference's case is matched to the queue's label
    async with running_bot(quiet(workspace), database_url, clock=Clock()) as (bot, slack):
        answer = await send_items(slack, QUINN, "round-3.csv", data)
        assert "3 items read from round-3.csv" in texts(answer.blocks)
        assert (
            buttons(answer.blocks)[views.UPLOAD_FORM]["text"]["text"] == "Create a session from these items"
        )
        assert await drafts(database_url) == 1 and await sessions(database_url) == 0

        # Another trainer may not use Quinn's items, neither from the button nor through a form's state.
        before = len(slack.fake.calls_to("response_url"))
        other = slack.fake.dm_channel(TARA)
        value = buttons(answer.blocks)[views.UPLOAD_FORM]["value"]
        await slack.action(views.UPLOAD_FORM, value, user=TARA, channel=other, message_ts=answer.ts)
        refused = await eventually(lambda: slack.fake.calls_to("response_url")[before:])
        assert "sent by someone else" in str(refused[0].args)

        view = await open_from(slack, answer, QUINN)
        source = next(b for b in view["blocks"] if b.get("block_id") == "source")
        assert source["element"]["initial_option"]["value"] == views.SOURCE_UPLOAD
        assert (
            source["element"]["initial_option"]["text"]["text"] == "The uploaded file round-3.csv (3 items)"
        )
        stolen = await submit(slack, view, TARA, from_file(participants=f"{LEE} {KAI}"))
        assert "no uploaded file of yours" in stolen["errors"]["source"]
        assert await sessions(database_url) == 0

        assert await submit(slack, view, QUINN, from_file()) == {}
        await settled(bot)
        await run_timers(bot)
        assert await sessions(database_url) == 1
        assert await stored_items(database_url) == [
            ("ITEM-101", "https://tool.example/items/101", "quoted term in a news headline", "remove"),
            ("ITEM-102", "https://tool.example/items/102", None, "allow"),
            ("ITEM-103", None, "reclaimed term between friends", "allow"),
        ]
        ballots = [texts(m.blocks) for m in dms_of(slack, LEE) if "Item 1 of 3" in texts(m.blocks)]
        assert len(ballots) == 1 and "ITEM-101" in ballots[0]


async def test_an_invalid_file_names_every_problem_by_line_and_keeps_nothing(workspace, database_url) -> None:
    data = (
        "item_id,link,note,reference\n"
        "ITEM-1,https://tool.example/1,,allow\n"
        "ITEM-2,javascript:alert(1),,\n"
        "ITEM-1,,,remove\n"
        ",,a note without an item,\n"
    )
    async with running_bot(quiet(workspace), database_url, clock=Clock()) as (_bot, slack):
        answer = await send_items(slack, QUINN, "bad *items*.csv", data)
        shown = texts(answer.blocks)
        assert "bad *items*.csv: no items kept" in shown.replace("\\*", "*")
        assert "line 3: link 'javascript:alert(1)' is not a link" in shown
        assert "line 4: item ITEM-1 repeats line 2" in shown
        assert "line 5: the item_id is empty" in shown
        assert views.UPLOAD_FORM not in buttons(answer.blocks)
        assert await drafts(database_url) == 0


async def test_a_draft_that_cannot_be_kept_is_told_with_a_reference(
    workspace, database_url, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> int:  # noqa: ANN401
        raise RuntimeError("the database went away")

    monkeypatch.setattr(store, "save_draft", broken)
    async with running_bot(quiet(workspace), database_url, clock=Clock()) as (_bot, slack):
        answer = await send_items(slack, QUINN, "round-6.csv", CSV)
        assert "round-6.csv: could not be loaded because of an error on my side" in answer.text
        assert views.UPLOAD_FORM not in buttons(answer.blocks)
        assert await drafts(database_url) == 0


async def test_queue_data_sent_to_the_bot_is_still_ingested(workspace, database_url) -> None:
    async with running_bot(quiet(workspace), database_url, clock=Clock()) as (_bot, slack):
        answer = await send_items(slack, QUINN, "monday.csv", decisions_csv(workspace, ["graphic-img"]))
        assert "stored" in answer.text and "items read" not in answer.text
        assert await drafts(database_url) == 0


async def test_a_labelers_items_file_is_not_claimed(workspace, database_url) -> None:
    async with running_bot(quiet(workspace), database_url, clock=Clock()) as (_bot, slack):
        answer = await send_items(slack, LEE, "items.csv", CSV)
        assert "not loaded. Queue data is loaded from admins (QA leads)" in answer.text
        assert await drafts(database_url) == 0


async def test_a_reference_the_chosen_queue_lacks_is_refused_on_submit(workspace, database_url) -> None:
    data = CSV.replace("102,,allow", "102,,delete").replace("103,,reclaimed", "103,,reclaimed")
    async with running_bot(quiet(workspace), database_url, clock=Clock()) as (_bot, slack):
        answer = await send_items(slack, QUINN, "round-4.csv", data)
        assert "3 items read from round-4.csv" in texts(answer.blocks)  # no queue yet: not checked
        view = await open_from(slack, answer, QUINN)
        refused = await submit(slack, view, QUINN, from_file())
        assert refused["response_action"] == "errors"
        said = refused["errors"]["source"]
        assert said.startswith(
            "round-4.csv: item ITEM-102: reference 'delete' is not one of hate-en's labels"
        )
        assert "ITEM-101" not in said and "ITEM-103" not in said
        assert await sessions(database_url) == 0


async def test_a_file_in_the_teams_personal_chat_becomes_a_session(database_url) -> None:
    chat = chat_of(LEAD)
    async with running_teams_bot(database_url, clock=Clock()) as (bot, teams):
        url = teams.bf.add_file("round-5.csv", CSV)
        await teams.send(activities.file_in_personal_chat("round-5.csv", url, LEAD, **teams.where()))
        [answer] = await said_in_teams(teams, LEAD, "3 items read from round-5.csv")
        opener = button(answer, "Create a session from these items")
        dialog = await open_dialog(teams, opener, LEAD, chat, answer.activity_id)
        assert "The uploaded file round-5.csv (3 items)" in json.dumps(dialog)
        values = {
            "title": "Teams upload round", "queue": "hate-en", "source": views.SOURCE_UPLOAD, "items": "",
            "participants": f"{LABELER.aad_object_id} {TRAINER.aad_object_id}", "due": "2026-11-26 15:00",
            "count": "", "days": "",
        }  # fmt: skip
        assert await submit_dialog(teams, dialog, values, LEAD, chat, answer.activity_id) is None
        await settled(bot)
        await run_timers(bot)
        assert await sessions(database_url) == 1
        assert [item[0] for item in await stored_items(database_url)] == ["ITEM-101", "ITEM-102", "ITEM-103"]
        [ballot] = await said_in_teams(teams, LABELER, "Item 1 of 3")
        assert "ITEM-101" in card_text(ballot)
