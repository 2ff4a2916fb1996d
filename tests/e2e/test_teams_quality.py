"""`/quality` in Microsoft Teams, end to end through the same handlers as Slack: `quality` typed in the
personal chat answers there, then the report card follows in the personal chat with its figures
(checked against an independent count of the stored audits), the charts as image cards and, as Teams
takes no CSV file from a bot, the CLI line for the export; "Assign refresher quiz" (Action.Execute)
assigns the quiz, "Calibrate on these items" opens the session dialog pre-filled (task/fetch) and its
submission creates the session. A vendor lead reads their own vendor only; a labeler is refused."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from handlers.calibration import views as calibration_views
from handlers.quality import views
from storage.engine import Database
from storage.models import CalibrationItem, CalibrationSession, QuizAssignment
from tests.e2e.harness import settled
from tests.e2e.teams_flow import button, card_text, inputs, now_reads, open_dialog, submit_dialog
from tests.e2e.teams_harness import (
    LABELER,
    LEAD,
    NORTHWIND_CHANNEL,
    NORTHWIND_LEAD,
    TRAINER,
    TeamsSide,
    running_teams_bot,
    teams_workspace,
)
from tests.e2e.test_quality import NOW, audited, seeded
from tests.e2e.test_teams_quiz import chat_of, said
from tests.fakes import activities
from tests.fakes.activities import User
from tests.fakes.bot_framework import cards

REPORT = "Quality ·"


def quiet() -> Any:  # noqa: ANN401 - a Workspace
    return teams_workspace().model_copy(update={"digests": []})


def images(sent: Any) -> list[str]:  # noqa: ANN401 - a Sent from the fake
    """The image URLs in a card the bot sent."""
    found: list[str] = []

    def walk(value: Any) -> None:  # noqa: ANN401
        if isinstance(value, dict):
            if value.get("type") == "Image":
                found.append(str(value.get("url", "")))
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    for card in cards(sent):
        walk(card)
    return found


async def report_of(teams: TeamsSide, bot: Any, person: User, text: str = "quality") -> Any:  # noqa: ANN401
    """`text` typed in the person's personal chat: the acknowledgement, then the report card."""
    await teams.personal(text, person)
    await said(teams, person, "is on its way to our DM")
    [report] = await said(teams, person, REPORT, 20)
    await settled(bot)
    return report


async def test_the_report_with_its_charts_csv_line_and_refresher_in_teams(database_url) -> None:
    workspace = quiet()
    await seeded(database_url, workspace)
    total, agreed = await audited(database_url)
    async with running_teams_bot(database_url, workspace=workspace, clock=lambda: NOW) as (bot, teams):
        report = await report_of(teams, bot, LEAD)
        shown = card_text(report)
        assert f"{agreed / total:.1%}" in shown and f"of {total:,} audited" in shown, shown
        assert "What to do next" in shown and "Northwind Review Services on Spam PT" in shown
        assert "labeler allow where QA said remove" in shown

        # The files follow in the same personal chat: charts as images inside cards, the CSV as a line.
        later = teams.bf.posts(chat_of(LEAD))
        after = later[[s.activity_id for s in later].index(report.activity_id) + 1 :]
        charts = [s for s in after if images(s)]
        titles = [card_text(s) for s in charts]
        assert "Quality by week" in titles[0], titles
        assert {t for t in titles if "labeler × QA" in t} == {
            f"{q}: labeler × QA" for q in ("graphic-img", "hate-en", "spam-pt")
        }
        assert all(url.startswith("data:image/png;base64,") for s in charts for url in images(s))
        [hint] = [card_text(s) for s in after if "CSV export" in card_text(s)]
        assert "tsqa quality report --since 2026-11-02 --until 2026-11-29 --csv FILE" in hint

        # "Assign refresher quiz" is an Action.Execute: the quiz goes to Northwind's channel.
        refresher = button(report, "Assign refresher quiz spam-basics")
        assert refresher["type"] == "Action.Execute" and refresher["verb"] == views.REFRESHER
        status, _ = await teams.send(
            activities.card_action(
                refresher["verb"], refresher["data"], LEAD, chat_of(LEAD), report.activity_id,
                **teams.where(),
            )
        )  # fmt: skip
        assert status == 200
        await settled(bot)
        people = {p.id for p in workspace.people}
        [told] = await said(teams, LEAD, f"assigned to {len(people)} people")
        assert "Spam policy basics" in card_text(told) and "2026-12-07" in card_text(told), card_text(told)
        assert REPORT in now_reads(teams, report.activity_id)  # the report card stays as it was
    db = Database(database_url)
    async with db.transaction() as session:
        assigned = (await session.scalars(select(QuizAssignment))).all()
    await db.dispose()
    assert {a.topic_id for a in assigned} == {"spam-basics"}
    assert {a.user_id for a in assigned} == people, "every member of Northwind's channel"
    assert {a.assigned_by for a in assigned} == {LEAD.aad_object_id}


async def test_calibrate_on_the_recommendations_items_in_teams(database_url) -> None:
    """The button opens the session dialog pre-filled (queue, title, items from the audits); the
    submitted dialog creates the session on that error pair, its results for Northwind's channel."""
    workspace = quiet()
    await seeded(database_url, workspace)
    chat = chat_of(LEAD)
    async with running_teams_bot(database_url, workspace=workspace, clock=lambda: NOW) as (bot, teams):
        report = await report_of(teams, bot, LEAD, "quality spam-pt")
        opener = button(report, "Calibrate on these items")
        assert opener["data"]["tsqa_value"] == "spam-pt|allow|remove"

        # A labeler pressing it (the card forwarded, say) gets no dialog.
        status, refused = await teams.send(
            activities.dialog_open(opener["data"], LABELER, chat_of(LABELER), report.activity_id,
                                   **teams.where())
        )  # fmt: skip
        assert status == 200 and refused["task"]["type"] == "message", refused  # said in the dialog's place
        assert "created by admins and trainers" in refused["task"]["value"]

        dialog = await open_dialog(teams, opener, LEAD, chat, report.activity_id)
        fields = inputs(dialog)
        assert fields["queue"]["value"] == "spam-pt"
        assert fields["source"]["value"] == calibration_views.SOURCE_AUDITS
        assert fields["title"]["value"] == "Spam PT calibration (quality report 2026-11-30)"  # no hint
        people = f"{NORTHWIND_LEAD.aad_object_id} {TRAINER.aad_object_id}"
        values = {"participants": people, "due": "2026-12-02 15:00", "items": "", "count": "9", "days": "35"}
        assert await submit_dialog(teams, dialog, values, LEAD, chat, report.activity_id) is None
        await settled(bot)
    db = Database(database_url)
    async with db.transaction() as session:
        [made] = (await session.scalars(select(CalibrationSession))).all()
        items = (await session.scalars(select(CalibrationItem))).all()
    await db.dispose()
    assert (
        made.queue == "spam-pt"
        and made.channel == NORTHWIND_CHANNEL
        and made.title == "Spam PT calibration (quality report 2026-11-30)"
    )
    assert made.facilitator == LEAD.aad_object_id
    assert len(items) == 9 and sum(i.reference == "remove" for i in items) >= 6


async def test_a_vendor_lead_reads_their_own_vendor_and_a_labeler_is_refused_in_teams(database_url) -> None:
    workspace = quiet()
    await seeded(database_url, workspace)
    counts = [await audited(database_url, queue) for queue in ("hate-en", "spam-pt")]  # Northwind's
    total, agreed = (sum(c[0] for c in counts), sum(c[1] for c in counts))
    async with running_teams_bot(database_url, workspace=workspace, clock=lambda: NOW) as (bot, teams):
        await teams.personal("quality graphic-img", NORTHWIND_LEAD)
        assert await said(teams, NORTHWIND_LEAD, "own vendor's quality only (northwind)")
        await teams.personal("quality", LABELER)
        [refusal] = await said(teams, LABELER, "⛔")
        assert "quality" in card_text(refusal).lower()
        mine = card_text(await report_of(teams, bot, NORTHWIND_LEAD))
        assert "Northwind Review Services" in mine and "graphic" not in mine.lower()
        assert f"Overall: {agreed / total:.1%}" in mine and f"of {total:,} audited" in mine, mine
        assert "Bluebird" not in mine and "nairobi" not in mine
        assert teams.bf.posts(chat_of(LABELER))[-1].activity_id == refusal.activity_id  # nothing after it


async def test_the_csv_line_exports_the_reports_own_scope(database_url) -> None:
    workspace = quiet()
    await seeded(database_url, workspace)
    async with running_teams_bot(database_url, workspace=workspace, clock=lambda: NOW) as (bot, teams):
        await report_of(teams, bot, LEAD, "quality spam-pt since 2026-11-09")
        [hint] = await said(teams, LEAD, "CSV export")
        line = card_text(hint)
        assert "--since 2026-11-09" in line
        assert "--queue spam-pt" in line and "--until 2026-11-29" in line, line


async def test_the_report_says_where_its_files_are_in_teams(database_url) -> None:
    workspace = quiet()
    await seeded(database_url, workspace)
    async with running_teams_bot(database_url, workspace=workspace, clock=lambda: NOW) as (bot, teams):
        shown = card_text(await report_of(teams, bot, LEAD))
        assert "Intervals are 95% Wilson intervals" in shown
        assert "in this thread" not in shown and "come right after this report" in shown, shown
