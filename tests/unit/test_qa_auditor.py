"""The optional `qa_auditor` column: who audited a decision, taken in from CSV and Parquet, stored and read
back on SQLite and PostgreSQL, filled with a returned audit and never overwritten; older files still load."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select, text

from handlers.digest.service import digest_for_day, digest_from_file
from handlers.queue_data.generate import AUDITORS, generate_decisions
from handlers.queue_data.ingest import ingest_decisions
from handlers.queue_data.validate import Bounds, FileRejected, check_decisions
from storage import queue_data
from storage.engine import Database
from storage.migrate import upgrade
from storage.models.digest import Decision

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
START = date(2026, 11, 1)
DAY = date(2026, 11, 5)
EVERYTHING = (0, 2**62)


@pytest.fixture
def frame(workspace) -> pd.DataFrame:
    return generate_decisions(workspace, START, 8, seed=11, scale=0.2, auditors=True)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer)
    return buffer.getvalue()


def audited(frame: pd.DataFrame) -> pd.Series:
    return frame["qa_decision"].notna() & (frame["qa_decision"] != "")


def auditors_by_item(frame: pd.DataFrame) -> dict[tuple[str, str], str | None]:
    """(queue, item_id) → auditor, from a file's rows or a stored table's (null as None)."""
    keys = zip(frame["queue"], frame["item_id"], strict=True)
    return {key: (None if pd.isna(who) else who) for key, who in zip(keys, frame["qa_auditor"], strict=True)}


async def stored(db: Database) -> pd.DataFrame:
    async with db.transaction() as session:
        return (await queue_data.decisions_between(session, *EVERYTHING)).to_pandas()


def test_generated_auditors_are_synthetic_and_only_on_audited_rows(workspace, frame) -> None:
    assert set(frame.loc[audited(frame), "qa_auditor"]) == set(AUDITORS)
    assert frame.loc[~audited(frame), "qa_auditor"].isna().all()
    plain = generate_decisions(workspace, START, 8, seed=11, scale=0.2)
    assert "qa_auditor" not in plain.columns  # old-style files by default
    pd.testing.assert_frame_equal(frame.drop(columns="qa_auditor"), plain)  # the other draws are unchanged


async def test_a_file_without_the_column_still_loads(db, workspace, frame) -> None:
    old = frame.drop(columns="qa_auditor")
    report = await ingest_decisions(db, workspace, csv_bytes(old), "old.csv", now=NOW)
    assert (report.stored, report.invalid) == (len(old), 0)
    rows = await stored(db)
    assert len(rows) == len(old) and rows["qa_auditor"].isna().all()
    assert await digest_for_day(db, workspace, DAY) == digest_from_file(workspace, csv_bytes(old), DAY)


@pytest.mark.parametrize("kind", ["csv", "parquet"])
async def test_auditors_are_stored_and_read_back(db, workspace, frame, kind) -> None:
    data = csv_bytes(frame) if kind == "csv" else parquet_bytes(frame)
    report = await ingest_decisions(db, workspace, data, f"d.{kind}", now=NOW)
    assert report.stored == len(frame)
    assert auditors_by_item(await stored(db)) == auditors_by_item(frame)

    queues = ["spam-pt", "hate-en"]
    async with db.transaction() as session:
        audits = (await queue_data.audited_between(session, *EVERYTHING, queues)).to_pandas()
    wanted = frame[audited(frame) & frame["queue"].isin(queues)]
    assert len(wanted) > 0 and auditors_by_item(audits) == auditors_by_item(wanted)
    assert set(audits["qa_auditor"]) <= set(AUDITORS)
    # The new column changes no figure.
    assert await digest_for_day(db, workspace, DAY) == digest_from_file(workspace, csv_bytes(frame), DAY)


async def test_blank_auditors_are_none_and_are_trimmed(db, workspace, frame) -> None:
    """Parquet keeps empty strings (CSV makes them null already): blank is no auditor either way."""
    rows = frame[audited(frame)].head(3).copy()
    rows["qa_auditor"] = ["", "   ", " qa-02 "]
    await ingest_decisions(db, workspace, parquet_bytes(rows), "d.parquet", now=NOW)
    back = auditors_by_item(await stored(db))
    keys = list(zip(rows["queue"], rows["item_id"], strict=True))
    assert [back[key] for key in keys] == [None, None, "qa-02"]


def test_an_auditor_without_an_audit_and_a_long_auditor_are_invalid(workspace, frame) -> None:
    rows = frame.head(40).reset_index(drop=True)
    unaudited = rows.index[~audited(rows)]
    done = rows.index[audited(rows)]
    assert len(unaudited) >= 2 and len(done) >= 2
    rows.loc[unaudited[0], "qa_auditor"] = "qa-03"  # named, but no verdict
    rows.loc[done[0], "qa_auditor"] = "q" * 129
    rows.loc[done[1], "qa_auditor"] = "q" * 128  # the longest that fits
    checked = check_decisions(csv_bytes(rows), workspace, workspace.timezone, Bounds(now=NOW))
    problems = {p.line: p.reason for p in checked.problems}
    assert problems == {
        unaudited[0] + 2: "qa_auditor without qa_decision",  # line 1 is the header
        done[0] + 2: "qa_auditor: longer than 128 characters",
    }
    assert checked.table.num_rows == len(rows) - 2
    assert "q" * 128 in checked.table["qa_auditor"].to_pylist()


async def test_the_invalid_row_refuses_the_file(db, workspace, frame) -> None:
    rows = frame.head(40).reset_index(drop=True)
    line = int(rows.index[~audited(rows)][0])
    rows.loc[line, "qa_auditor"] = "qa-01"
    with pytest.raises(FileRejected) as caught:
        await ingest_decisions(db, workspace, csv_bytes(rows), "bad.csv", now=NOW)
    assert [(p.line, p.reason) for p in caught.value.problems] == [
        (line + 2, "qa_auditor without qa_decision")
    ]
    assert len(await stored(db)) == 0


async def test_a_returned_audit_fills_decision_and_auditor_together(db, workspace, frame) -> None:
    held_back = audited(frame) & (frame.index % 2 == 0)  # half the audits are not back yet
    first = frame.copy()
    first.loc[held_back, ["qa_decision", "qa_auditor"]] = None
    await ingest_decisions(db, workspace, csv_bytes(first), "before-audit.csv", now=NOW)
    assert auditors_by_item(await stored(db)) == auditors_by_item(first)

    back = await ingest_decisions(db, workspace, csv_bytes(frame), "audited.csv", now=NOW)
    assert back.audits_added == int(held_back.sum()) > 0
    rows = await stored(db)
    assert auditors_by_item(rows) == auditors_by_item(frame)
    by_item = rows.set_index(["queue", "item_id"])["qa_decision"]
    expected = frame.set_index(["queue", "item_id"])["qa_decision"]
    assert by_item.sort_index().equals(expected.sort_index())


async def test_a_reingest_never_overwrites_a_verdict_or_its_auditor(db, workspace, frame) -> None:
    audits = audited(frame)
    older = frame.copy()
    no_auditor = audits & (frame.index % 3 == 0)  # audited in an export from before the column
    older.loc[no_auditor, "qa_auditor"] = None
    await ingest_decisions(db, workspace, csv_bytes(older), "d.csv", now=NOW)

    changed = frame.copy()
    changed.loc[audits, "qa_decision"] = "a-different-label"
    changed.loc[audits, "qa_auditor"] = "qa-99"
    report = await ingest_decisions(db, workspace, csv_bytes(changed), "changed.csv", now=NOW)
    assert report.audits_added == 0
    rows = await stored(db)
    assert auditors_by_item(rows) == auditors_by_item(older)  # an audit without an auditor stays so
    assert "a-different-label" not in set(rows["qa_decision"].dropna())


async def test_the_migration_adds_the_column_to_stored_rows(tmp_path) -> None:
    """Rows stored before 0015 keep their values and read back with no auditor."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await upgrade(db, "0014")
        async with db.transaction() as session:
            columns = "completed_us, queue, item_id, enqueued_us, labeler_id, vendor, site, handle_seconds, "
            values = (
                "1700000000000000, 'spam-pt', 'it-1', 1699999990000000, 'nr-0001', 'northwind', 'lisbon', "
            )
            await session.execute(
                text(
                    f"INSERT INTO decisions ({columns}decision, qa_decision) "
                    f"VALUES ({values}12.5, 'allow', 'remove')"
                )
            )
        await upgrade(db)
        async with db.transaction() as session:
            row = (
                await session.execute(select(Decision.item_id, Decision.qa_decision, Decision.qa_auditor))
            ).one()
        assert tuple(row) == ("it-1", "remove", None)
    finally:
        await db.dispose()
