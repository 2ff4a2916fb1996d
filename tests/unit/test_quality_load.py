"""What the error analysis reads from the database: `load` takes only the audited rows it needs, and the
decision readers return the rows of the period and queues asked."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bot.workspace import Workspace
from handlers.quality.analysis import analyse, load
from handlers.quality.scope import Scope, period_us
from storage.engine import Database
from storage.queue_data import audited_between, decisions_between, store_decisions
from tests.unit.quality_fixtures import SINCE, TZ, UNTIL, reference, typed
from tests.unit.quality_fixtures import frame as frame  # a fixture


async def test_load_reads_only_the_audited_rows_needed(
    db: Database, workspace: Workspace, frame: pd.DataFrame
) -> None:
    queues = [
        q.model_copy(update={"labels": ["keep", "remove"]}) if q.id == "spam-pt" else q
        for q in workspace.queues
    ]
    ws = workspace.model_copy(update={"queues": queues})
    table = typed(frame[frame["queue"] != "ghost-q"])
    async with db.transaction() as session:
        await store_decisions(session, table)
    everything = await load(db, ws, SINCE, UNTIL, Scope())
    f = reference(frame, ws)
    assert everything.num_rows == len(f)
    assert {"completed_at", "decision", "qa_decision", "vendor"} <= set(everything.column_names)
    # hate-en's reference includes graphic-img (same labels), never spam-pt (other labels).
    hate = await load(db, ws, SINCE, UNTIL, Scope("queue", "hate-en"))
    assert set(hate["queue"].to_pylist()) == {"hate-en", "graphic-img"}
    assert hate.num_rows == int(f["queue"].isin(["hate-en", "graphic-img"]).sum())
    for scope in (Scope(), Scope("queue", "hate-en"), Scope("vendor", "northwind"), Scope("site", "nairobi")):
        loaded = await load(db, ws, SINCE, UNTIL, scope)
        assert analyse(loaded, ws, scope=scope, since=SINCE, until=UNTIL, tz=TZ) == analyse(
            table, ws, scope=scope, since=SINCE, until=UNTIL, tz=TZ
        )
    nothing = await load(db, ws, SINCE, UNTIL, Scope("site", "nowhere"))
    assert nothing.num_rows == 0


async def test_decision_reads_return_the_rows_of_the_queues_asked(
    db: Database, workspace: Workspace, frame: pd.DataFrame
) -> None:
    """The public readers `load` and the sampling draw use: (audited) rows in [start, end) only, on the
    queues named (a name with a quote is a bound value, not SQL); every column as `decisions_between`
    types it."""
    table = typed(frame[frame["queue"] != "ghost-q"])
    async with db.transaction() as session:
        await store_decisions(session, table)
    start, end = period_us(SINCE, UNTIL, TZ)
    done = pc.field("completed_at")
    start_at, end_at = (pa.scalar(us, pa.timestamp("us", tz="UTC")) for us in (start, end))
    audited = (
        (done >= start_at)
        & (done < end_at)
        & pc.field("qa_decision").is_valid()
        & (pc.field("qa_decision") != "")
    )
    async with db.transaction() as session:
        everything = await decisions_between(session, start, end)
        every_queue = await audited_between(session, start, end, None)
        two = await audited_between(session, start, end, ["hate-en", "spam-pt' OR '1'='1"])
        none = await audited_between(session, start, end, [])
        one_queue = await decisions_between(session, start, end, queues=["hate-en", "x' OR '1'='1"])
        no_queue = await decisions_between(session, start, end, queues=[])
    assert 0 < one_queue.num_rows < everything.num_rows
    on_hate = everything.filter(pc.field("queue") == "hate-en").sort_by("item_id")
    assert one_queue.sort_by("item_id").equals(on_hate)
    assert no_queue.num_rows == 0 and no_queue.schema == everything.schema
    expected = everything.filter(audited).sort_by("item_id")
    assert 0 < expected.num_rows < everything.num_rows
    assert every_queue.schema == everything.schema
    assert every_queue.sort_by("item_id").equals(expected)
    assert two.sort_by("item_id").equals(expected.filter(pc.field("queue") == "hate-en"))
    assert none.num_rows == 0 and none.schema == everything.schema
