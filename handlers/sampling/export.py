"""The day's audit sample as CSV for the auditors: one row per decision, empty columns for their verdict.

Written through bot/csvsafe.py, so an item id or decision that starts like a formula stays text.
`qa_decision` and `qa_auditor` are left empty for the auditor to fill in; the file comes back as queue
data, keyed by queue, item_id and completed_at.
"""

from __future__ import annotations

import io

import pyarrow as pa

from bot.csvsafe import write_csv
from bot.workspace import Queue
from handlers.sampling.draw import Drawn

COLUMNS = [
    "queue", "item_id", "completed_at", "labeler_id", "decision", "link", "qa_decision", "qa_auditor",
]  # fmt: skip


def auditor_table(drawn: Drawn, queue: Queue | None = None) -> pa.Table:
    """The sample's rows, every column text; `link` is the item in the labelling tool when `queue`
    configures an item_link (else empty)."""
    picks = drawn.picks
    link = queue.link_to if queue is not None else (lambda _item: None)
    values = {
        "queue": [p.queue for p in picks],
        "item_id": [p.item_id for p in picks],
        "completed_at": [p.completed_at for p in picks],
        "labeler_id": [p.labeler_id for p in picks],
        "decision": [p.decision or "" for p in picks],
        "link": [link(p.item_id) or "" for p in picks],
        "qa_decision": [""] * len(picks),
        "qa_auditor": [""] * len(picks),
    }
    return pa.table({name: pa.array(values[name], pa.string()) for name in COLUMNS})


def auditor_csv(drawn: Drawn, queue: Queue | None = None) -> bytes:
    """`auditor_table` as CSV bytes with a header, no cell run as a spreadsheet formula."""
    buffer = io.BytesIO()
    write_csv(auditor_table(drawn, queue), buffer)
    return buffer.getvalue()
