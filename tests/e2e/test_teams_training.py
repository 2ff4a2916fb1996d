"""Training cohorts in Microsoft Teams, end to end through the same handlers as Slack: `training new`
has no trigger in Teams, so its answer is a card whose button opens the dialog; the submitted dialog
makes the cohort, posted where the command was sent, and every member is welcomed in their personal
chat. On the test's clock a labeler's reminder carries Check in (a double press records once); the
trainer's roll call takes a mark in place; status answers with the readiness card, the calendar points
to the CLI where Teams takes no file from a bot; a move tells each person once; the weekly summary
comes with its chart as an image."""

from __future__ import annotations

import asyncio
import base64
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from bot.workspace import Workspace
from bot.workspace_training import TrainingSettings
from storage.engine import Database
from storage.models import TrainingAttendance
from tests.e2e.escalate_flow import Clock, run_timers
from tests.e2e.harness import eventually, settled
from tests.e2e.teams_flow import actions, button, card_text, elements, inputs, open_dialog, submit_dialog
from tests.e2e.teams_harness import (
    LABELER,
    LEAD,
    NORTHWIND_LEAD,
    QA_OPS,
    TEAM_ID,
    TRAINER,
    TeamsSide,
    running_teams_bot,
    teams_workspace,
)
from tests.e2e.test_teams_quiz import chat_of, said
from tests.e2e.training_flow import PLANS
from tests.fakes import activities
from tests.fakes.activities import User
from tests.fakes.bot_framework import cards
from tests.teams_cards import readable

# Mon 30 Nov 2026, 10:00 in Lisbon (UTC+0 in winter); Tue 1 Dec is a public holiday in Portugal, so the
# cohort starting Wed 2 Dec opens with "Welcome and tools tour", 09:00-11:00 Lisbon time.
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
FIRST_CHECK_IN = datetime(2026, 12, 2, 8, 45, tzinfo=UTC)  # the 15-minute reminder, check-in open
KAI = User("3c0f6e2a-7b41-4d8e-9a15-0000000c0002", "Kai Labeler")
IN_TEAM = {"team_id": TEAM_ID}
COHORT = "lisbon-dec"


def training_workspace() -> Workspace:
    """The Teams example, no digests falling due, its plans found wherever the test runs."""
    workspace = teams_workspace().model_copy(update={"digests": []})
    return workspace.model_copy(update={"training": TrainingSettings(plans=str(PLANS))})


def plain(text: str) -> str:
    """Card text as read: a line that mentions someone is markdown, its other characters escaped."""
    return re.sub(r"\\(.)", r"\1", text)


def form_values(**given: str) -> dict[str, str]:
    """The dialog as a trainer fills it in Teams: people by their names as the workspace file lists them."""
    values = {
        "name": COHORT, "vendor": "northwind", "site": "lisbon", "queues": "hate-en",
        "plan": "new-labeler", "start": "2026-12-02", "target": "2026-12-31",
        "trainers": TRAINER.name, "labelers": f"{LABELER.name}, {KAI.name}",
    }  # fmt: skip
    return {**values, **given}


async def create_cohort(teams: TeamsSide, bot: Any, person: User = TRAINER) -> Any:  # noqa: ANN401
    """`training new` by mention in qa-ops: the offer comes privately (the personal chat), its button's
    dialog is submitted there, and the cohort card is posted in qa-ops, where the command was sent."""
    before = len(teams.bf.posts(QA_OPS))
    _, status = await teams.mention("training new", person, QA_OPS)
    assert status == 200
    [offer] = await said(teams, person, "Open the form to create a training cohort")
    chat = chat_of(person)
    dialog = await open_dialog(teams, button(offer, "New cohort"), person, chat, offer.activity_id)
    assert set(inputs(dialog)) >= {"name", "vendor", "site", "queues", "plan", "trainers", "labelers"}
    closed = await submit_dialog(teams, dialog, form_values(), person, chat, offer.activity_id)
    assert closed is None, closed
    await settled(bot)
    [card] = await eventually(
        lambda: [s for s in teams.bf.posts(QA_OPS)[before:] if f"Training cohort {COHORT}" in card_text(s)],
        10,
    )
    return card


async def press_in_chat(teams: TeamsSide, sent: Any, title: str, person: User) -> None:  # noqa: ANN401
    """Press an Action.Execute button on a card the bot sent in the person's personal chat."""
    found = button(sent, title)
    assert found["type"] == "Action.Execute", found
    status, _ = await teams.send(
        activities.card_action(
            found["verb"], found["data"], person, chat_of(person), sent.activity_id, **teams.where()
        )
    )
    assert status == 200


async def attendance_rows(database_url: str) -> int:
    db = Database(database_url)
    async with db.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(TrainingAttendance))
    await db.dispose()
    return int(count or 0)


async def test_a_cohort_from_the_dialog_is_posted_where_asked_and_everyone_is_welcomed(database_url) -> None:
    clock = Clock(NOW)
    async with running_teams_bot(database_url, workspace=training_workspace(), clock=clock) as (bot, teams):
        # A labeler may not create one: refused, with no button to a dialog.
        await teams.mention("training new", LABELER, QA_OPS)
        [refused] = await said(teams, LABELER, "⛔")
        assert "New cohort" not in {a["title"] for a in actions(refused)}

        await teams.mention("training new", TRAINER, QA_OPS)
        [offer] = await said(teams, TRAINER, "Open the form to create a training cohort")
        chat = chat_of(TRAINER)
        dialog = await open_dialog(teams, button(offer, "New cohort"), TRAINER, chat, offer.activity_id)
        # Someone the workspace file does not list keeps the dialog open, saying whom it could not place.
        unknown = form_values(labelers=f"{LABELER.name}, Sam Nobody")
        kept = await submit_dialog(teams, dialog, unknown, TRAINER, chat, offer.activity_id)
        assert kept["task"]["type"] == "continue", kept
        said_in_dialog = plain(readable(kept["task"]["value"]["card"]["content"]))
        assert "I don't know whom" in said_in_dialog and "Nobody" in said_in_dialog, said_in_dialog
        # Teams retries an invoke it got no answer to in time: the same submission twice, one cohort.
        for _ in range(2):
            assert await submit_dialog(teams, dialog, form_values(), TRAINER, chat, offer.activity_id) is None
        await settled(bot)
        await run_timers(bot)
        [card] = await eventually(
            lambda: [s for s in teams.bf.posts(QA_OPS) if f"Training cohort {COHORT}" in card_text(s)], 10
        )
        shown = card_text(card)
        assert "Training cohort lisbon-dec created: 2 labelers" in shown, shown
        # Tue 1 Dec is a holiday in Portugal: the first session is Wednesday's, in Lisbon time.
        assert "Wed 02 Dec 09:00 WET" in shown and "Tue 01 Dec" not in shown
        assert {"Calendar file", "Status"} <= {a["title"] for a in actions(card)}
        for person, role in ((TRAINER, "train"), (LABELER, "join"), (KAI, "join")):
            [welcome] = await said(teams, person, f"You {role} training cohort lisbon-dec")
            assert "first session Wed 02 Dec 09:00 WET" in card_text(welcome), person
        assert teams.bf.posts(chat_of(LEAD)) == []  # the admin is in no cohort: no welcome
        # Northwind's lead lists their vendor's cohorts.
        await teams.personal("training", NORTHWIND_LEAD)
        [listed] = await said(teams, NORTHWIND_LEAD, "1 active training cohort(s)")
        assert "lisbon-dec · northwind · lisbon · 2 labelers" in plain(card_text(listed))
        await run_timers(bot)
        assert len([s for s in teams.bf.posts(QA_OPS) if "Training cohort" in card_text(s)]) == 1


def card_text_of(teams: TeamsSide, activity_id: str) -> str:
    """A card as it reads now: the fake applies the bot's updates in place."""
    activity = teams.bf.activity(activity_id)
    assert activity is not None, "the card is gone"
    return "\n".join(readable(card) for card in cards(activity))


def last_with(teams: TeamsSide, person: User, words: str) -> Any:  # noqa: ANN401
    """The latest card in the person's personal chat that says `words`, if any."""
    found = [s for s in teams.bf.posts(chat_of(person)) if words in card_text(s)]
    return found[-1] if found else None


async def test_a_reminder_carries_check_in_and_a_double_press_records_once(database_url) -> None:
    clock = Clock(NOW)
    async with running_teams_bot(database_url, workspace=training_workspace(), clock=clock) as (bot, teams):
        await create_cohort(teams, bot)
        await run_timers(bot)
        clock.now = FIRST_CHECK_IN
        await run_timers(bot)
        [reminder] = await said(teams, LABELER, "in 15 min")
        assert "Welcome and tools tour" in card_text(reminder)
        trainer_reminder = await said(teams, TRAINER, "in 15 min")
        assert "Check in" not in {a["title"] for a in actions(trainer_reminder[0])}  # labelers only

        await asyncio.gather(*(press_in_chat(teams, reminder, "Check in", LABELER) for _ in range(2)))
        await settled(bot)
        assert await said(teams, LABELER, "Checked in to Welcome and tools tour at 08:45")
        assert await said(teams, LABELER, "already")
        assert await attendance_rows(database_url) == 1


async def test_status_shows_readiness_and_the_calendar_points_to_the_cli(database_url) -> None:
    """Wed 2 Dec 11:30: the welcome (09:00-11:00) is over; Lee checked in, Kai did not. Hand-counted:
    each labeler has 5 sessions to attend (welcome, process, policy basics, policy reading, spam
    practice: none longer than a day), 1 check and nesting = 7; the nesting days are Fri 4, Mon 7,
    Wed 9 (Tue 8 is a holiday), Thu 10 and Fri 11 Dec, so go-live is Mon 14 Dec, before the target."""
    clock = Clock(NOW)
    async with running_teams_bot(database_url, workspace=training_workspace(), clock=clock) as (bot, teams):
        await create_cohort(teams, bot)
        await run_timers(bot)
        clock.now = FIRST_CHECK_IN
        await run_timers(bot)
        [reminder] = await said(teams, LABELER, "in 15 min")
        await press_in_chat(teams, reminder, "Check in", LABELER)
        await said(teams, LABELER, "Checked in to Welcome and tools tour")
        clock.now = datetime(2026, 12, 2, 11, 30, tzinfo=UTC)
        # The trainer sends the labeler IDs of the queue data (a roster CSV) in the personal chat.
        roster = f"user,labeler_id\n{LABELER.aad_object_id},nw-0101\n{KAI.aad_object_id},nw-0102\n"
        url = teams.bf.add_file("roster.csv", roster)
        await teams.send(activities.file_in_personal_chat("roster.csv", url, TRAINER, **teams.where()))
        assert await said(teams, TRAINER, "Labeler IDs kept for 2 labelers of lisbon-dec")

        await teams.personal(f"training status {COHORT}", TRAINER)
        [status] = await said(teams, TRAINER, "labelers ready")
        shown = plain(card_text(status))
        assert "Cohort lisbon-dec: 0 of 2 labelers ready" in shown, shown
        assert "Projected go-live Mon 14 Dec 2026, target Thu 31 Dec 2026" in shown
        assert "At risk (1)\n<at>Kai Labeler</at>: missed Welcome and tools tour on Wed 02 Dec\n" in shown, (
            shown
        )
        assert "<at>Lee Labeler</at> · 1/7 done" in shown and "<at>Kai Labeler</at> · 0/7 done" in shown

        await teams.personal(f"training calendar {COHORT}", TRAINER)
        [told] = await said(teams, TRAINER, "tsqa training calendar")
        assert f"tsqa training calendar {COHORT} > {COHORT}.ics" in card_text(told)

        # A labeler sees their own row only; their welcome's Calendar file button says the same CLI line.
        await teams.personal(f"training status {COHORT}", KAI)
        kai_reads = plain(card_text(await eventually(lambda: last_with(teams, KAI, "labelers ready"), 10)))
        assert "<at>Kai Labeler</at> · 0/7 done" in kai_reads and "Lee Labeler" not in kai_reads, kai_reads
        [welcome] = await said(teams, LABELER, "You join training cohort lisbon-dec")
        await press_in_chat(teams, welcome, "Calendar file", LABELER)
        assert await said(teams, LABELER, f"tsqa training calendar {COHORT} > {COHORT}.ics")
        await settled(bot)
        assert not last_with(teams, TRAINER, "I sent you the calendar file")  # it was not sent


async def test_a_move_tells_each_person_once(database_url) -> None:
    """The knowledge check (Thu 3 Dec 16:00) moved to Fri 4 Dec 09:00: nesting, on days of its own,
    follows from Mon 7 Dec (Mon 7, Wed 9, Thu 10, Fri 11, Mon 14; Tue 8 is a holiday), so six sessions
    move and go-live is Tue 15 Dec. The same move typed twice is one move; each member is told once."""
    clock = Clock(NOW)
    async with running_teams_bot(database_url, workspace=training_workspace(), clock=clock) as (bot, teams):
        await create_cohort(teams, bot)
        await run_timers(bot)
        for _ in range(2):
            await teams.personal(f"training move {COHORT} spam-check-1 2026-12-04 09:00", TRAINER)
            await settled(bot)
        [answer] = await said(teams, TRAINER, "Moved 6 session(s) of lisbon-dec")
        assert "go-live now Tue 15 Dec 2026" in card_text(answer)
        assert await said(teams, TRAINER, "Nothing moved")  # the second time: already there
        await run_timers(bot)
        for person in (TRAINER, LABELER, KAI):
            [notice] = await said(teams, person, "Training cohort lisbon-dec: 6 session(s) moved")
            shown = plain(card_text(notice))
            assert "Fri 04 Dec 09:00 WET" in shown and "Mon 14 Dec 09:00 WET" in shown, shown
        assert teams.bf.posts(chat_of(LEAD)) == []  # not in the cohort: not told
        await run_timers(bot)
        for person in (TRAINER, LABELER, KAI):
            assert len(await said(teams, person, "session(s) moved")) == 1


async def press_in_channel(teams: TeamsSide, sent: Any, found: dict[str, Any], person: User) -> Any:  # noqa: ANN401
    """Press an Action.Execute button on a card the bot posted in qa-ops; (status, answer)."""
    assert found["type"] == "Action.Execute", found
    return await teams.send(
        activities.card_action(
            found["verb"], found["data"], person, QA_OPS, sent.activity_id, **IN_TEAM, **teams.where()
        )
    )


async def test_the_roll_call_takes_a_mark_in_place_and_the_weekly_summary_has_its_chart(database_url) -> None:
    """The welcome ends at 11:00: Tara's roll call shows Lee checked in and Kai not; Tara marks Kai
    excused on it (the card updated, not a new one) and Kai is no longer at risk for it. On Mon 7 Dec
    at 09:00 (Dublin, the workspace's zone) the weekly summary reaches the trainer, Northwind's BPO
    contact and the admin, each once, with the burn-up chart as an image."""
    clock = Clock(NOW)
    async with running_teams_bot(database_url, workspace=training_workspace(), clock=clock) as (bot, teams):
        card = await create_cohort(teams, bot)
        await run_timers(bot)
        clock.now = FIRST_CHECK_IN
        await run_timers(bot)
        [reminder] = await said(teams, LABELER, "in 15 min")
        await press_in_chat(teams, reminder, "Check in", LABELER)
        await said(teams, LABELER, "Checked in to Welcome and tools tour")

        clock.now = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)
        await run_timers(bot)
        [roll] = await said(teams, TRAINER, "Attendance for Welcome and tools tour")
        shown = plain(card_text(roll))
        assert (
            "<at>Lee Labeler</at> · checked in 08:45" in shown
            and "<at>Kai Labeler</at> · not checked in" in shown
        )
        [excuse] = [
            a for a in actions(roll) if a["title"] == "Excused" and KAI.aad_object_id in str(a["data"])
        ]
        status, _ = await teams.send(
            activities.card_action(
                excuse["verb"], excuse["data"], TRAINER, chat_of(TRAINER), roll.activity_id, **teams.where()
            )
        )
        assert status == 200
        await settled(bot)
        now_reads = await eventually(
            lambda: "Kai Labeler</at> · excused" in plain(card_text_of(teams, roll.activity_id)), 10
        )
        assert now_reads, plain(card_text_of(teams, roll.activity_id))
        assert len(await said(teams, TRAINER, "Attendance for Welcome and tools tour")) == 1  # in place

        # Status from the cohort card's button in qa-ops: answered privately, Kai not at risk for it.
        before = len(teams.bf.posts(chat_of(TRAINER)))
        status, _ = await press_in_channel(teams, card, button(card, "Status"), TRAINER)
        assert status == 200
        await settled(bot)
        [answer] = await eventually(
            lambda: [
                s for s in teams.bf.posts(chat_of(TRAINER))[before:] if "labelers ready" in card_text(s)
            ],
            10,
        )
        read_now = plain(card_text(answer))
        assert "<at>Kai Labeler</at> · 1/7 done" in read_now and "missed" not in read_now, read_now

        clock.now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
        await run_timers(bot)
        await run_timers(bot)
        for person in (TRAINER, LEAD, NORTHWIND_LEAD):
            [summary] = await said(teams, person, "Weekly training summary, lisbon-dec")
            assert "0 of 2 ready" in card_text(summary)
            [chart] = await said(teams, person, "Labelers ready")
            image = next(e for e in elements(cards(chart)) if e.get("type") == "Image")
            assert base64.b64decode(image["url"].removeprefix("data:image/png;base64,"))[:4] == b"\x89PNG"
        assert not [s for s in teams.bf.posts(chat_of(LABELER)) if "Weekly training summary" in card_text(s)]
