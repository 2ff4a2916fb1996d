"""Ingesting queue data on SQLite and PostgreSQL: stored figures equal the file's, re-ingests change
nothing, refused files store nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from handlers.digest.service import digest_for_day, digest_from_file
from handlers.queue_data import ingest as ingest_module
from handlers.queue_data.generate import generate_backlog, generate_decisions
from handlers.queue_data.ingest import ingest_backlog, ingest_decisions
from handlers.queue_data.validate import FileRejected
from storage.models.digest import Decision

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
START = date(2026, 11, 1)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


@pytest.fixture
def decisions(workspace) -> pd.DataFrame:
    return generate_decisions(workspace, START, 12, seed=7, scale=0.2)


async def stored_count(db) -> int:
    async with db.transaction() as session:
        return await session.scalar(select(func.count()).select_from(Decision))


async def test_stored_digest_equals_digest_from_the_file(db, workspace, decisions) -> None:
    report = await ingest_decisions(db, workspace, csv_bytes(decisions), "d.csv", now=NOW)
    assert report.stored == len(decisions) and report.invalid == 0
    assert report.days[0] == START
    for day in (date(2026, 11, 5), date(2026, 11, 11)):
        stored = await digest_for_day(db, workspace, day)
        direct = digest_from_file(workspace, csv_bytes(decisions), day)
        assert stored == direct


async def test_reingesting_same_and_overlapping_files_changes_no_number(db, workspace, decisions) -> None:
    completed = pd.to_datetime(decisions["completed_at"], utc=True)
    first = decisions[completed < pd.Timestamp("2026-11-08T12:00Z")]
    second = decisions[completed >= pd.Timestamp("2026-11-05T00:00Z")]  # overlaps three and a half days
    await ingest_decisions(db, workspace, csv_bytes(first), "first.csv", now=NOW)
    await ingest_decisions(db, workspace, csv_bytes(second), "second.csv", now=NOW)
    again = await ingest_decisions(db, workspace, csv_bytes(decisions), "all.csv", now=NOW)
    assert again.stored == 0 and again.already == len(decisions)
    assert await stored_count(db) == len(decisions)
    for day in (date(2026, 11, 6), date(2026, 11, 8), date(2026, 11, 10)):
        assert await digest_for_day(db, workspace, day) == digest_from_file(
            workspace, csv_bytes(decisions), day
        )


async def test_invalid_rows_refuse_the_file_and_store_nothing(db, workspace, decisions) -> None:
    lines = csv_bytes(decisions.head(50)).decode().splitlines()
    header = lines[0].split(",")
    row = lines[3].split(",")
    row[header.index("handle_seconds")] = "-4"
    lines[3] = ",".join(row)
    row = lines[9].split(",")
    row[header.index("completed_at")] = "yesterday"
    lines[9] = ",".join(row)
    row = lines[12].split(",")
    row[header.index("queue")] = "no-such-queue"
    lines[12] = ",".join(row)
    with pytest.raises(FileRejected) as caught:
        await ingest_decisions(db, workspace, "\n".join(lines).encode(), "bad.csv", now=NOW)
    problems = {p.line: p.reason for p in caught.value.problems}
    assert problems == {
        4: "handle_seconds is negative",
        10: "completed_at: not an ISO 8601 time",
        13: "queue is not in the workspace file",
    }
    assert "3 of 50 rows are invalid" in str(caught.value)
    assert await stored_count(db) == 0


async def test_skip_invalid_stores_the_rest_and_writes_the_rejects_aside(
    db, workspace, decisions, tmp_path
) -> None:
    frame = decisions.head(40).copy()
    frame.loc[5, "enqueued_at"] = "2026-11-20T11:00:00+00:00"  # completed before enqueued
    side = tmp_path / "rejected.csv"
    report = await ingest_decisions(
        db, workspace, csv_bytes(frame), "f.csv", now=NOW, skip_invalid=True, side_file=side
    )
    assert (report.stored, report.invalid) == (39, 1)
    rejected = pd.read_csv(side, dtype={"item_id": str})
    assert rejected.loc[0, "line"] == 7 and rejected.loc[0, "reason"] == "completed_at is before enqueued_at"
    assert rejected.loc[0, "item_id"] == frame.loc[5, "item_id"]


async def test_missing_column_is_named(db, workspace, decisions) -> None:
    with pytest.raises(FileRejected, match="missing the required column 'labeler_id'"):
        await ingest_decisions(
            db, workspace, csv_bytes(decisions.drop(columns="labeler_id")), "x.csv", now=NOW
        )
    assert await stored_count(db) == 0


async def test_a_failure_after_storing_rolls_everything_back(db, workspace, decisions, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("disk full while aggregating")

    monkeypatch.setattr(ingest_module, "daily_aggregates", broken)
    with pytest.raises(RuntimeError):
        await ingest_decisions(db, workspace, csv_bytes(decisions), "d.csv", now=NOW)
    assert await stored_count(db) == 0


async def test_other_timezone_is_computed_from_raw_rows(db, workspace, decisions) -> None:
    await ingest_decisions(db, workspace, csv_bytes(decisions), "d.csv", now=NOW)
    day = date(2026, 11, 7)
    stored = await digest_for_day(db, workspace, day, tz="America/New_York")
    assert stored == digest_from_file(workspace, csv_bytes(decisions), day, tz="America/New_York")
    assert stored["timezone"] == "America/New_York"


async def test_backlog_snapshots_feed_the_digest(db, workspace, decisions) -> None:
    backlog = generate_backlog(workspace, START, 12, seed=3)
    await ingest_decisions(db, workspace, csv_bytes(decisions), "d.csv", now=NOW)
    report = await ingest_backlog(db, workspace, csv_bytes(backlog), "b.csv")
    assert report.stored == len(backlog)
    again = await ingest_backlog(db, workspace, csv_bytes(backlog), "b.csv")
    assert again.stored == 0
    day = date(2026, 11, 9)
    stored = await digest_for_day(db, workspace, day)
    direct = digest_from_file(workspace, csv_bytes(decisions), day, backlog=csv_bytes(backlog))
    assert stored == direct
    assert stored["queues"][0]["backlog"] is not None


def test_generated_files_are_synthetic_and_mild(decisions) -> None:
    labels = set(decisions["decision"].dropna()) | set(decisions["qa_decision"].dropna())
    assert labels <= {"allow", "remove", "age_restrict", "escalate"}


@pytest.fixture(autouse=True)
def _no_stray_files(tmp_path: Path):
    yield


async def test_awkward_text_survives_every_bulk_path(db, workspace, decisions) -> None:
    """Commas, quotes, newlines and empty-vs-missing labels, through the direct load, the load that
    meets a repeated key in the file, and the load into days already stored."""
    from storage import queue_data

    frame = decisions.head(30).copy()
    frame.loc[0, "decision"] = 'remove, "spam"'
    frame.loc[1, "labeler_id"] = "nr-0001\nsecond line"
    frame.loc[2, "qa_decision"] = None
    frame.loc[3, "decision"] = "allow"
    first = pd.concat([frame.head(20), frame.head(1)])  # a key repeated inside one file
    await ingest_decisions(db, workspace, csv_bytes(first), "a.csv", now=NOW)
    await ingest_decisions(db, workspace, csv_bytes(frame), "b.csv", now=NOW)  # days already hold rows
    async with db.transaction() as session:
        stored = (await queue_data.decisions_between(session, 0, 2**62)).to_pandas()
    assert len(stored) == 30
    by_item = stored.set_index("item_id")
    assert by_item.loc[frame.loc[0, "item_id"], "decision"] == 'remove, "spam"'
    assert by_item.loc[frame.loc[1, "item_id"], "labeler_id"] == "nr-0001\nsecond line"
    assert pd.isna(by_item.loc[frame.loc[2, "item_id"], "qa_decision"])
    async with db.transaction() as session:
        assert (await queue_data.decisions_between(session, 0, 1)).num_rows == 0


async def test_concurrent_ingests_of_the_same_days_both_count(db, workspace, decisions) -> None:
    """Two replicas (or an upload during a poll) loading different rows of the same days at once:
    both succeed and the figures equal one ingest of both files."""
    from storage.engine import Database

    first, second = decisions.iloc[::2], decisions.iloc[1::2]
    other = Database(db.safe_url() if db.is_sqlite else db.url.render_as_string(hide_password=False))
    try:
        reports = await asyncio.gather(
            ingest_decisions(db, workspace, csv_bytes(first), "a.csv", now=NOW),
            ingest_decisions(other, workspace, csv_bytes(second), "b.csv", now=NOW),
        )
    finally:
        await other.dispose()
    assert [r.stored for r in reports] == [len(first), len(second)]
    assert await stored_count(db) == len(decisions)
    for day in (date(2026, 11, 2), date(2026, 11, 6), date(2026, 11, 11)):
        assert await digest_for_day(db, workspace, day) == digest_from_file(
            workspace, csv_bytes(decisions), day
        )


async def test_rejected_rows_file_does_not_run_formulas(db, workspace, decisions, tmp_path) -> None:
    frame = decisions.head(10).copy()
    frame["item_id"] = frame["item_id"].astype(str)
    frame.loc[2, ["item_id", "handle_seconds"]] = ["=1+1", -3]
    side = tmp_path / "rejected.csv"
    await ingest_decisions(
        db, workspace, csv_bytes(frame), "f.csv", now=NOW, skip_invalid=True, side_file=side
    )
    rejected = pd.read_csv(side, dtype=str)
    assert rejected.loc[0, "item_id"] == "'=1+1" and rejected.loc[0, "handle_seconds"] == "'-3.0"


async def test_adding_to_stored_days_around_a_gap(db, workspace, decisions) -> None:
    """A file whose days straddle a day it has no rows for, added to days already stored."""
    completed = pd.to_datetime(decisions["completed_at"], utc=True)
    gap = (completed >= pd.Timestamp("2026-11-05T00:00Z")) & (completed < pd.Timestamp("2026-11-07T00:00Z"))
    odd = pd.Series(range(len(decisions)), index=decisions.index) % 2 == 1
    first, second = decisions[~odd], decisions[odd & ~gap]
    await ingest_decisions(db, workspace, csv_bytes(first), "a.csv", now=NOW)
    await ingest_decisions(db, workspace, csv_bytes(second), "b.csv", now=NOW)
    expected = pd.concat([first, second])
    for day in (date(2026, 11, 4), date(2026, 11, 5), date(2026, 11, 8)):
        assert await digest_for_day(db, workspace, day) == digest_from_file(
            workspace, csv_bytes(expected), day
        )
