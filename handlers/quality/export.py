"""The audited errors of an analysis as CSV, for a QA lead to sort and annotate in a spreadsheet."""

from __future__ import annotations

import io
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from bot.csvsafe import write_csv
from bot.workspace import Workspace
from handlers.quality.analysis import audited_connection
from handlers.quality.scope import Scope

ISO_OFFSET = "%Y-%m-%dT%H:%M:%S%Ez"
COLUMNS = [
    "completed_at", "queue", "vendor", "site", "labeler_id", "item_id", "decision", "qa_decision",
    "direction",
]  # fmt: skip


def errors_table(
    table: pa.Table, workspace: Workspace, *, scope: Scope, since: date, until: date, tz: str
) -> pa.Table:
    """Every audited disagreement in scope, oldest first; completed_at as local ISO 8601 with offset."""
    with audited_connection(table, workspace, scope, since, until, tz, with_items=True) as con:
        rows = con.sql(
            f"SELECT {', '.join(COLUMNS)} FROM audited WHERE in_scope AND NOT agreed "
            "ORDER BY completed_at, queue, item_id"
        ).to_arrow_table()
    seconds = pc.floor_temporal(rows["completed_at"], unit="second").cast(pa.timestamp("s", tz="UTC"))
    local = seconds.cast(pa.timestamp("s", tz=tz))
    return rows.set_column(0, "completed_at", pc.strftime(local, format=ISO_OFFSET))


def errors_csv(
    table: pa.Table, workspace: Workspace, *, scope: Scope, since: date, until: date, tz: str
) -> bytes:
    """`errors_table` written through bot/csvsafe.py: no cell is run as a spreadsheet formula."""
    buffer = io.BytesIO()
    write_csv(errors_table(table, workspace, scope=scope, since=since, until=until, tz=tz), buffer)
    return buffer.getvalue()
