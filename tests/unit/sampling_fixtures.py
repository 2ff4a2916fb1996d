"""Shared steps of the sampling tests: a day of hate-en decisions by five labelers, stored; the drawn
sample's keys; QA's verdicts written straight to the decisions (as the audited file would leave them);
and the auditors' CSV read and filled in."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pytest
from sqlalchemy import select, update

from bot.workspace import Workspace
from bot.workspace_sampling import QueuePlan, SamplingSettings
from storage import queue_data
from storage.engine import Database
from storage.models import Decision, SamplingDrawnItem

QUEUE = "hate-en"  # northwind, Europe/Dublin workspace (UTC+0 in November)
DAY = date(2026, 11, 19)  # the day of decisions most tests draw; NOW is the next morning
NOW = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
LABELERS = ["nr-1", "nr-2", "nr-3", "nr-4", "nr-5"]

Key = tuple[str, int]  # a drawn decision of one queue: (item_id, completed_us)


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    """The example workspace with hate-en on AQL 1.0, level II, a minimum of 2 a labeler, 20 nesting."""
    sampling = SamplingSettings(
        per_labeler_min=2, nesting_min=20, queues={QUEUE: QueuePlan(aql=1.0, level="II")}
    )
    return workspace.model_copy(update={"sampling": sampling})


def day_table(day: date, per_labeler: int = 200, queue: str = QUEUE) -> pa.Table:
    """`per_labeler` decisions for each of five labelers on `day`, none audited yet."""
    rows = []
    start = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
    for n in range(per_labeler * len(LABELERS)):
        done = start + timedelta(seconds=20 * n)
        rows.append((f"{day:%m%d}-{n:05d}", LABELERS[n % len(LABELERS)], done))
    utc = pa.timestamp("us", tz="UTC")
    return pa.table(
        {
            "item_id": pa.array([r[0] for r in rows], pa.string()),
            "queue": pa.array([queue] * len(rows), pa.string()),
            "vendor": pa.array(["northwind"] * len(rows), pa.string()),
            "site": pa.array(["lisbon"] * len(rows), pa.string()),
            "labeler_id": pa.array([r[1] for r in rows], pa.string()),
            "enqueued_at": pa.array([r[2] - timedelta(minutes=5) for r in rows], utc),
            "completed_at": pa.array([r[2] for r in rows], utc),
            "handle_seconds": pa.array([30.0] * len(rows), pa.float64()),
            "decision": pa.array(["allow"] * len(rows), pa.string()),
            "qa_decision": pa.array([None] * len(rows), pa.string()),
        }
    )


async def load(db: Database, *tables: pa.Table) -> None:
    async with db.transaction() as session:
        for table in tables:
            await queue_data.store_decisions(session, table)


async def drawn_keys(db: Database, day: date, queue: str = QUEUE) -> list[Key]:
    """The decisions drawn for (queue, day), in the order they were completed."""
    async with db.transaction() as session:
        rows = await session.execute(
            select(SamplingDrawnItem.item_id, SamplingDrawnItem.completed_us)
            .where(SamplingDrawnItem.queue == queue, SamplingDrawnItem.day == day)
            .order_by(SamplingDrawnItem.completed_us, SamplingDrawnItem.item_id)
        )
        return [(item_id, completed_us) for item_id, completed_us in rows.all()]


async def audit(db: Database, verdicts: Mapping[Key, str], queue: str = QUEUE) -> None:
    """QA's verdicts on those decisions of `queue`: what the audited file leaves behind, without the
    ingest (the tests of the file itself send it)."""
    async with db.transaction() as session:
        for (item_id, completed_us), verdict in verdicts.items():
            await session.execute(
                update(Decision)
                .where(
                    Decision.queue == queue,
                    Decision.item_id == item_id,
                    Decision.completed_us == completed_us,
                )
                .values(qa_decision=verdict)
            )


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode())))


def filled(data: bytes, verdicts: Mapping[int, str], auditor: str = "qa-7") -> bytes:
    """The auditors' file with `qa_decision` filled on the rows numbered in `verdicts`."""
    rows = csv_rows(data)
    for index, verdict in verdicts.items():
        rows[index]["qa_decision"] = verdict
        rows[index]["qa_auditor"] = auditor
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()
