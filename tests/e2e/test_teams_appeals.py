"""Appeals in Microsoft Teams, end to end through the same handlers as Slack (the real Teams SDK
against the Bot Framework fake): the admin sends the audited decisions in the personal chat, the
labeler's `quality mine` lists their disagreements with Appeal buttons, Appeal opens the dialog, a
doubled submission files one appeal, the review card in the example's qa-appeals channel has
Uphold/Overturn, the auditor is refused, the trainer overturns with a note, the labeler is told once,
and eight days later an appeal on the other audit is refused with the date."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.workspace import Workspace
from storage.models.appeals import Appeal
from tests.e2e.appeals_flow import LABELER_ID, ROWS, decisions_csv, on_roster
from tests.e2e.escalate_flow import Clock, run_timers
from tests.e2e.harness import EXAMPLE_NOW, eventually
from tests.e2e.teams_flow import actions, button, card_text, inputs, now_reads, open_dialog, submit_dialog
from tests.e2e.teams_harness import (
    LABELER,
    LEAD,
    NORTHWIND_LEAD,
    TEAM_ID,
    TRAINER,
    TeamsSide,
    running_teams_bot,
    teams_workspace,
)
from tests.e2e.test_teams_quiz import chat_of, said
from tests.fakes import activities
from tests.fakes.activities import User

IN_TEAM = {"team_id": TEAM_ID}


def appeals_workspace() -> Workspace:
    """The Teams example with its own appeals section (the qa-appeals channel), no digests falling due;
    the data's `qa-01` tied to Quinn, the admin, as a team that names its auditors would."""
    workspace = teams_workspace()
    assert workspace.appeals is not None, "the Teams example has an appeals: section"
    settings = workspace.appeals.model_copy(update={"auditors": {"qa-01": LEAD.aad_object_id}})
    return workspace.model_copy(update={"digests": [], "appeals": settings})


def appeal_buttons(card: Any) -> dict[str, dict[str, Any]]:  # noqa: ANN401 - a Sent from the fake
    """The card's Appeal buttons by the item they appeal (the last part of the decision's key)."""
    found = [a for a in actions(card) if str(a.get("title", "")).startswith("Appeal")]
    return {a["data"]["tsqa_value"].rsplit("|", 1)[-1]: a for a in found}


async def refused_in_dialog(
    teams: TeamsSide,
    opener: dict[str, Any],
    person: User,
    conversation: str,
    card_id: str,
    **where: Any,  # noqa: ANN401
) -> str:
    """Press a dialog button as someone the bot refuses: what it says in the dialog's place."""
    status, answer = await teams.send(
        activities.dialog_open(opener["data"], person, conversation, card_id, **where, **teams.where())
    )
    assert status == 200 and answer["task"]["type"] == "message", answer
    return str(answer["task"]["value"])


async def test_an_appeal_in_teams_filed_once_refused_to_the_auditor_overturned_and_told_once(
    database_url,
) -> None:
    clock = Clock(EXAMPLE_NOW)
    workspace = appeals_workspace()
    settings = workspace.appeals
    assert settings is not None and settings.channel in {c.id for c in workspace.channels}
    reviews = settings.channel
    async with running_teams_bot(database_url, workspace=workspace, clock=clock) as (bot, teams):
        await on_roster(bot.db, LABELER.aad_object_id, now=clock())
        # Teams has a file path for queue data: the CSV sent to the bot in the admin's personal chat.
        url = teams.bf.add_file("audits.csv", decisions_csv())
        await teams.send(activities.file_in_personal_chat("audits.csv", url, LEAD, **teams.where()))
        assert await said(teams, LEAD, f"stored {len(ROWS)} new decisions", 20)

        # The labeler's own audited disagreements (QA's label differs from theirs), each with Appeal.
        disagreements = {item: (mine, qa) for item, mine, qa, _ in ROWS if mine != qa}
        await teams.personal("quality mine", LABELER)
        [listed] = await said(teams, LABELER, "Your audited disagreements")
        shown = card_text(listed)
        for item, (mine, qa) in disagreements.items():
            line = f"{item} on Hate speech EN · https://labelling.example.com/queues/hate-en/items/{item}"
            assert line in shown, shown
            assert f"you: {mine.replace('_', ' ')} · QA: {qa.replace('_', ' ')}" in shown
        assert "ap-003" not in shown  # QA agreed with it: nothing to appeal
        closes = (
            EXAMPLE_NOW.astimezone(workspace.tz).date() + timedelta(days=settings.window_days)
        ).isoformat()
        offered = appeal_buttons(listed)
        assert set(offered) == set(disagreements)
        assert {a["title"] for a in offered.values()} == {f"Appeal (until {closes})"}

        # Someone else holding the button gets no dialog; the labeler's dialog, submitted twice, files one.
        other = await refused_in_dialog(
            teams, offered["ap-001"], NORTHWIND_LEAD, chat_of(NORTHWIND_LEAD), listed.activity_id
        )
        assert "You can appeal audits of your own decisions only" in other
        chat = chat_of(LABELER)
        dialog = await open_dialog(teams, offered["ap-001"], LABELER, chat, listed.activity_id)
        assert set(inputs(dialog)) == {"reason", "section"}
        typed = {"reason": "Policy 4.2 allows removal here.", "section": "4.2"}
        for _ in range(2):
            assert await submit_dialog(teams, dialog, typed, LABELER, chat, listed.activity_id) is None
        await run_timers(bot)
        [root] = [s for s in teams.bf.posts(reviews) if "Appeal #1" in card_text(s)]
        assert not [s for s in teams.bf.posts(reviews) if "Appeal #2" in card_text(s)]
        thread_text = card_text(root)
        assert "qa-01" in thread_text and "Policy 4.2 allows removal here." in thread_text
        assert {"Uphold", "Overturn"} <= {a["title"] for a in actions(root)}
        assert len(await said(teams, LABELER, "is filed")) == 1

        # The auditor (qa-01 is Quinn) and a labeler are refused; Tara overturns with a note, twice sent.
        auditor = await refused_in_dialog(
            teams, button(root, "Overturn"), LEAD, reviews, root.activity_id, **IN_TEAM
        )
        assert "You audited this decision (qa-01)" in auditor
        labeler = await refused_in_dialog(
            teams, button(root, "Overturn"), LABELER, reviews, root.activity_id, **IN_TEAM
        )
        assert "Appeals are decided by the appeal reviewers" in labeler
        decide = await open_dialog(
            teams, button(root, "Overturn"), TRAINER, reviews, root.activity_id, **IN_TEAM
        )
        note = {"note": "Section 4.2 covers this: the removal was right."}
        for _ in range(2):
            closed = await submit_dialog(teams, decide, note, TRAINER, reviews, root.activity_id, **IN_TEAM)
            assert closed is None, closed
        await run_timers(bot)

        async with bot.db.transaction() as session:
            appeal = await session.get(Appeal, 1)
        assert appeal is not None and appeal.labeler_id == LABELER_ID and appeal.item_id == "ap-001"
        assert appeal.status == "overturned" and appeal.reviewer == TRAINER.aad_object_id
        assert appeal.final_label == disagreements["ap-001"][0]
        updated = now_reads(teams, root.activity_id)
        assert "Overturned" in updated and "Tara Trainer" in updated, updated
        assert "Uphold" not in {a["title"] for a in actions(teams.bf.activity(root.activity_id))}
        chain = f"{reviews};messageid={root.activity_id}"
        assert len([s for s in teams.bf.posts(chain) if "Overturned" in card_text(s)]) == 1
        await run_timers(bot)
        assert len(await said(teams, LABELER, "was overturned")) == 1

        # Eight days on, the other audit's window has closed: refused in the dialog's place, with the date.
        clock.advance(days=8)
        audited_on = EXAMPLE_NOW.astimezone(workspace.tz).date().isoformat()
        late = await refused_in_dialog(teams, offered["ap-002"], LABELER, chat, listed.activity_id)
        assert f"closed at the end of {closes} (the audit was on {audited_on})" in late, late
        async with bot.db.transaction() as session:
            assert await session.get(Appeal, 2) is None
        await teams.personal("quality mine", LABELER)
        again = await eventually(
            lambda: [s for s in teams.bf.posts(chat) if "appealed, overturned (#1)" in card_text(s)], 10
        )
        assert again and appeal_buttons(again[-1]) == {}
