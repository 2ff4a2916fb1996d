"""The digest's background jobs: the watched folder (once per file, admins told), retention, the chart."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pandas as pd
from matplotlib import image as mpimage

from bot.workspace import Ingest
from handlers.digest.chart import chart_frame, render_chart
from handlers.digest.service import digest_for_day
from handlers.queue_data import files, watch
from handlers.queue_data.aggregate import DailyAggregates
from handlers.queue_data.generate import generate_decisions
from storage import queue_data
from tests.e2e.harness import running_bot

NOW = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)


async def test_watched_folder_ingests_each_file_once_and_tells_admins(
    workspace, database_url, tmp_path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ws = workspace.model_copy(update={"digests": [], "ingest": Ingest(watch_dir=str(inbox))})
    frame = generate_decisions(ws, date(2026, 11, 20), 2, seed=3, scale=0.1)
    frame.to_csv(inbox / "a.csv", index=False)
    frame.drop(columns="queue").to_csv(inbox / "b.csv", index=False)
    (inbox / "notes.txt").write_text("not queue data")
    async with running_bot(ws, database_url, clock=lambda: NOW) as (bot, slack):
        await watch.poll_watch_dir(bot.services)
        await watch.poll_watch_dir(bot.services)  # the next poll finds nothing new
        dm = slack.fake.dm_channel("U0QALEAD1")
        notes = [m.text for m in slack.fake.messages_in(dm)]
        assert len(notes) == 2
        assert any(f"a.csv: stored {len(frame):,} new decisions" in n for n in notes)
        assert any("b.csv: refused, nothing stored" in n and "'queue'" in n for n in notes)
        digest = await digest_for_day(bot.db, ws, date(2026, 11, 21))
        assert digest["overall"]["output"] > 0


async def test_retention_removes_raw_rows_but_keeps_daily_figures(workspace, database_url) -> None:
    ws = workspace.model_copy(update={"digests": []})
    frame = generate_decisions(ws, date(2026, 9, 1), 3, seed=4, scale=0.1)
    async with running_bot(ws, database_url, clock=lambda: NOW) as (bot, _slack):
        report, _ = await files.take_in(bot.services, "old.csv", frame.to_csv(index=False).encode())
        assert report and report.stored == len(frame)
        before = await digest_for_day(bot.db, ws, date(2026, 9, 2))
        await files.purge_expired(bot.services)
        async with bot.db.transaction() as session:
            assert await queue_data.count_decisions_between(session, 0, 2**62) == 0
        assert await digest_for_day(bot.db, ws, date(2026, 9, 2)) == before
        # the same old file again: its days are recorded and its raw rows gone, so nothing changes
        again, _ = await files.take_in(bot.services, "old.csv", frame.to_csv(index=False).encode())
        assert again.stored == 0 and again.expired == len(frame)
        assert await digest_for_day(bot.db, ws, date(2026, 9, 2)) == before


def test_chart_frame_matches_the_daily_totals_and_renders_a_png(workspace) -> None:
    labeler_days = pd.DataFrame(
        [
            (date(2026, 11, 22), "hate-en", "northwind", "lisbon", "nr-1", 10, 9, 400.0, 2, 2),
            (date(2026, 11, 22), "hate-en", "northwind", "lisbon", "nr-2", 30, 15, 900.0, 1, 0),
            (date(2026, 11, 23), "hate-en", "northwind", "lisbon", "nr-1", 20, 20, 500.0, 0, 0),
        ],
        columns=[
            "day",
            "queue",
            "vendor",
            "site",
            "labeler_id",
            "output",
            "sla_met",
            "handle_sum",
            "audited",
            "agreed",
        ],
    )
    totals = DailyAggregates("Europe/Dublin", labeler_days, pd.DataFrame()).totals
    frame = chart_frame(totals, "queue", ["hate-en", "spam-pt"], date(2026, 11, 23))
    assert len(frame) == 28  # 14 days x 2 queues, zero-filled
    day = frame[(frame["day"] == date(2026, 11, 22)) & (frame["key"] == "hate-en")].iloc[0]
    assert (day["output"], day["sla"]) == (40, 24 / 40)
    assert frame[frame["key"] == "spam-pt"]["output"].sum() == 0
    png = render_chart(frame, {"hate-en": 1200}, {"hate-en": "Hate speech EN"}, "test")
    picture = mpimage.imread(io.BytesIO(png), format="png")
    assert picture.shape[0] > 300 and picture.shape[1] > 600
