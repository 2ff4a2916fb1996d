"""`/quiz report` end to end over signed HTTP against the Slack fake: a trainer gets the report in the
DM with the chart and the CSV in its thread; a labeler and another vendor's lead get nothing but a refusal."""

from __future__ import annotations

import csv
import io

from bot.roles import Role
from handlers.quiz import reporting
from storage.engine import Database
from storage.migrate import upgrade
from tests.e2e.harness import eventually, running_bot, texts
from tests.unit.quiz_report_helpers import NOW, QUESTIONS, seeded

TRAINER = "U0TRAINER1"


async def seed(database_url: str) -> None:
    db = Database(database_url)
    await upgrade(db)
    await seeded(db)
    await db.dispose()


async def test_a_trainer_gets_the_report_chart_and_csv_in_the_dm(workspace, database_url) -> None:
    await seed(database_url)
    async with running_bot(workspace, database_url, clock=lambda: NOW) as (bot, slack):
        await slack.command("/quiz", "report mod since 2026-11-01", user=TRAINER)
        dm = slack.fake.dm_channel(TRAINER)

        def report_message():  # noqa: ANN202
            return next(
                (m for m in slack.fake.messages_in(dm) if "Moderation basics" in texts(m.blocks)), None
            )

        message = await eventually(report_message)
        assert message is not None
        body = texts(message.blocks)
        assert "14 labelers took it" in body.replace("*", "") and "KR-20" in body and "Training to-do" in body
        assert await eventually(lambda: len(slack.fake.calls_to("files.completeUploadExternal")) == 2, 10)
        by_name = {f.name: f for f in slack.fake.state.files.values()}
        png, table = by_name["quiz-mod.png"], by_name["quiz-mod-answers.csv"]
        assert png.data[:4] == b"\x89PNG" and {png.thread_ts, table.thread_ts} == {message.ts}
        rows = list(csv.DictReader(io.StringIO(table.data.decode())))
        assert len(rows) == 15 * len(QUESTIONS)
        assert all(not r["answer"].startswith("=") for r in rows)


async def test_a_labeler_and_another_vendors_lead_are_refused(workspace, database_url) -> None:
    await seed(database_url)
    async with running_bot(workspace, database_url, clock=lambda: NOW) as (bot, slack):
        labeler = (await slack.command("/quiz", "report mod", user="U0LAB0001")).json()
        assert "Only" in texts(labeler["blocks"]) or "⛔" in texts(labeler["blocks"])
        lead = (await slack.command("/quiz", "report mod bluebird", user="U0NWLEAD1")).json()
        assert "own vendor" in texts(lead["blocks"])
        assert not slack.fake.state.files
        assert Role.LABELER not in reporting.READERS
