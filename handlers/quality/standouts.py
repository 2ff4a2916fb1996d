"""Standout pairs: error pairs a vendor makes on a queue clearly more often than others do, so the
recommendations name where calibration pays off."""

from __future__ import annotations

import pandas as pd

from bot.workspace import Workspace
from handlers.quality.report import Standout, records
from handlers.quality.wilson import wilson

MIN_ERRORS = 5  # fewer errors of a pair are never a recommendation, whatever the interval says
OTHER_VENDORS = "other vendors"
SAME_LABELS = "same labels"


def standouts(error_cells: pd.DataFrame, vendor_queues: pd.DataFrame, workspace: Workspace) -> list[Standout]:
    """For each (vendor, queue, decision, QA decision) error pair in scope: its rate among the vendor's
    in-scope audited decisions on the queue against the reference's rate, standing out when the
    vendor's 95% Wilson interval lies wholly above the reference's and it has at least MIN_ERRORS errors.

    The reference ("the other vendors"): every audited decision of the period on the same queue by any
    other vendor, pooled. When only one vendor has audited decisions on the queue, the reference is
    instead every audited decision by the other vendors on the other queues with the same label list in
    the workspace file, pooled: never the vendor's own other queues, so a vendor is compared with other
    vendors only. A queue without labels has no such reference. `reference_vendors` counts the distinct
    vendors the reference pools (with one, its rate is another vendor's own: views.py hides it from
    vendor leads).

    error_cells: vendor, queue, decision, qa_decision, direction, errors (all rows), scope_errors;
    vendor_queues: vendor, queue, audited (all rows), scope_audited."""
    if error_cells.empty:
        return []
    pair = ["decision", "qa_decision"]
    # Label lists as one text key per queue ("\x1f" never appears in a label typed in YAML).
    lists = {q.id: "\x1f".join(q.labels) for q in workspace.queues if q.labels}
    queue_audited = vendor_queues.groupby("queue")["audited"].sum()
    vendors = vendor_queues.groupby("queue")["vendor"].nunique()
    queue_errors = error_cells.groupby(["queue", *pair], as_index=False)["errors"].sum()
    # The same label list per vendor, so the vendor's own queues come out of the "same labels" pool.
    listed = vendor_queues.assign(labels=vendor_queues["queue"].map(lists)).dropna(subset=["labels"])
    list_vendors = listed.groupby("labels")["vendor"].nunique()
    list_audited = listed.groupby("labels")["audited"].sum()
    own_audited = listed.groupby(["labels", "vendor"], as_index=False)["audited"].sum()
    listed_errors = error_cells.assign(labels=error_cells["queue"].map(lists)).dropna(subset=["labels"])
    list_errors = listed_errors.groupby(["labels", *pair], as_index=False)["errors"].sum()
    own_errors = listed_errors.groupby(["labels", "vendor", *pair], as_index=False)["errors"].sum()

    cells = error_cells[error_cells["scope_errors"] >= MIN_ERRORS].merge(
        vendor_queues, on=["vendor", "queue"]
    )
    if cells.empty:
        return []
    cells = cells.merge(queue_errors.rename(columns={"errors": "queue_errors"}), on=["queue", *pair])
    cells["labels"] = cells["queue"].map(lists)
    cells = cells.merge(
        list_errors.rename(columns={"errors": "list_errors"}), on=["labels", *pair], how="left"
    )
    cells = cells.merge(
        own_errors.rename(columns={"errors": "own_errors"}), on=["labels", "vendor", *pair], how="left"
    )
    cells = cells.merge(
        own_audited.rename(columns={"audited": "own_audited"}), on=["labels", "vendor"], how="left"
    )
    cells["queue_audited"] = cells["queue"].map(queue_audited)
    cells["list_audited"] = cells["labels"].map(list_audited)
    single = cells["queue"].map(vendors).eq(1)
    cells["reference"] = single.map({True: SAME_LABELS, False: OTHER_VENDORS})
    cells["reference_errors"] = (cells["list_errors"] - cells["own_errors"].fillna(0)).where(
        single, cells["queue_errors"] - cells["errors"]
    )
    cells["reference_audited"] = (cells["list_audited"] - cells["own_audited"]).where(
        single, cells["queue_audited"] - cells["audited"]
    )
    # The vendor has audited rows on its own queue, so it is one of the list's vendors.
    cells["reference_vendors"] = (cells["labels"].map(list_vendors) - 1).where(
        single, cells["queue"].map(vendors) - 1
    )
    cells = cells[cells["reference_audited"].fillna(0) > 0].copy()
    if cells.empty:
        return []
    cells["reference_errors"] = cells["reference_errors"].fillna(0).astype("int64")
    cells["reference_audited"] = cells["reference_audited"].astype("int64")
    cells["reference_vendors"] = cells["reference_vendors"].astype("int64")
    cells["low"], cells["high"] = wilson(cells["scope_errors"], cells["scope_audited"])
    cells["reference_low"], cells["reference_high"] = wilson(
        cells["reference_errors"], cells["reference_audited"]
    )
    cells = cells[cells["low"] > cells["reference_high"]].copy()
    cells["rate"] = cells["scope_errors"] / cells["scope_audited"]
    cells["reference_rate"] = cells["reference_errors"] / cells["reference_audited"]
    cells["gap"] = cells["low"] - cells["reference_high"]
    cells = cells.sort_values(["gap", "vendor", "queue", *pair], ascending=[False, True, True, True, True])
    cells = cells.rename(columns={"errors": "all_errors", "audited": "all_audited"})
    return records(Standout, cells.rename(columns={"scope_errors": "errors", "scope_audited": "audited"}))
