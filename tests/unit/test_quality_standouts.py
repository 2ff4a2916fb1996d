"""The error analysis's standouts: a vendor's error pair far above the same queue's other vendors, or (one
vendor on the queue) the other vendors on queues with the same labels; against a pandas definition."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from bot.workspace import Workspace
from handlers.quality.analysis import analyse
from handlers.quality.scope import Scope
from handlers.quality.standouts import MIN_ERRORS, OTHER_VENDORS, SAME_LABELS
from tests.unit.quality_fixtures import SINCE, TZ, UNTIL, crafted, hand_wilson, reference, typed
from tests.unit.quality_fixtures import frame as frame  # a fixture


def _standout_rows() -> list[dict]:
    """hate-en worked by two vendors: Northwind says allow where QA says remove far more often; both
    say remove where QA says allow equally often. graphic-img has one vendor only."""
    day = date(2026, 10, 21)
    return [
        *crafted(
            "hate-en",
            "northwind",
            "lisbon",
            "nr-1",
            [("allow", "remove", 30), ("remove", "allow", 9), ("allow", "allow", 261)],
            day,
        ),
        *crafted(
            "hate-en",
            "bluebird",
            "nairobi",
            "bl-1",
            [("allow", "remove", 3), ("remove", "allow", 9), ("allow", "allow", 288)],
            day,
        ),
        *crafted(
            "hate-en",
            "bluebird",
            "nairobi",
            "bl-2",
            [("age_restrict", "allow", 4), ("allow", "allow", 10)],
            day,
        ),
        *crafted(
            "spam-pt",
            "northwind",
            "manila",
            "nr-2",
            [("escalate", "remove", 1), ("allow", "allow", 399)],
            day,
        ),
        *crafted(
            "graphic-img",
            "bluebird",
            "nairobi",
            "bl-3",
            [("escalate", "remove", 12), ("allow", "allow", 188)],
            day,
        ),
    ]


def test_standout_pairs_against_other_vendors_and_same_labels(workspace: Workspace) -> None:
    report = analyse(
        typed(pd.DataFrame(_standout_rows())), workspace, scope=Scope(), since=SINCE, until=UNTIL, tz=TZ
    )
    found = {(s.vendor, s.queue, s.decision, s.qa_decision): s for s in report.standouts}
    assert set(found) == {
        ("northwind", "hate-en", "allow", "remove"),
        ("bluebird", "graphic-img", "escalate", "remove"),
    }
    pair = found[("northwind", "hate-en", "allow", "remove")]
    assert (pair.errors, pair.audited, pair.reference, pair.direction) == (30, 300, OTHER_VENDORS, "under")
    assert (pair.reference_errors, pair.reference_audited) == (3, 314)  # bluebird's rows on hate-en
    lo, hi = hand_wilson(30, 300)
    ref_lo, ref_hi = hand_wilson(3, 314)
    assert (pair.low, pair.high, pair.reference_low, pair.reference_high) == pytest.approx(
        (lo, hi, ref_lo, ref_hi)
    )
    assert pair.low > pair.reference_high
    assert pair.reference_vendors == 1
    single = found[("bluebird", "graphic-img", "escalate", "remove")]
    # One vendor on graphic-img: the other vendors' decisions on the queues with the same labels
    # (northwind's on hate-en and spam-pt), never bluebird's own 314 on hate-en.
    assert (single.reference, single.reference_errors, single.reference_audited) == (
        SAME_LABELS,
        1,
        300 + 400,
    )
    assert single.reference_vendors == 1  # northwind alone: its rate, so vendor leads do not see it
    assert single.direction == "over"
    # Equal rates (remove -> allow, 9 of 300 each) and too few errors (4 < MIN_ERRORS) never stand out.
    assert ("bluebird", "hate-en", "age_restrict", "allow") not in found and MIN_ERRORS == 5
    assert not any(s.decision == "remove" and s.qa_decision == "allow" for s in report.standouts)
    # A vendor's scope keeps the others as the reference.
    scoped = analyse(
        typed(pd.DataFrame(_standout_rows())),
        workspace,
        scope=Scope("vendor", "northwind"),
        since=SINCE,
        until=UNTIL,
        tz=TZ,
    )
    assert [(s.vendor, s.queue, s.reference_errors) for s in scoped.standouts] == [
        ("northwind", "hate-en", 3)
    ]


def pandas_standouts(f: pd.DataFrame, workspace: Workspace) -> dict[tuple, tuple]:
    """Standouts written out row by row from their definition: the same queue's other vendors, or (one
    vendor on the queue) the other vendors' rows on the queues with the same label list."""
    lists = {q.id: tuple(q.labels) for q in workspace.queues if q.labels}
    f = f.assign(labels=f["queue"].map(lists))
    found = {}
    errors = f[~f["agreed"] & f["in_scope"]]
    for (vendor, queue, decision, qa), rows in errors.groupby(["vendor", "queue", "decision", "qa_decision"]):
        if len(rows) < MIN_ERRORS:
            continue
        n = int((f["in_scope"] & (f["vendor"] == vendor) & (f["queue"] == queue)).sum())
        if f.loc[f["queue"] == queue, "vendor"].nunique() > 1:
            kind, ref = OTHER_VENDORS, f[(f["queue"] == queue) & (f["vendor"] != vendor)]
        elif queue in lists:
            kind, ref = SAME_LABELS, f[(f["labels"] == lists[queue]) & (f["vendor"] != vendor)]
        else:
            continue
        if ref.empty:
            continue
        ref_errors = int(((ref["decision"] == decision) & (ref["qa_decision"] == qa)).sum())
        low, ref_high = hand_wilson(len(rows), n)[0], hand_wilson(ref_errors, len(ref))[1]
        if low > ref_high:
            key = (vendor, queue, decision, qa)
            found[key] = (len(rows), n, kind, ref_errors, len(ref), ref["vendor"].nunique())
    return found


def _as_found(report) -> dict[tuple, tuple]:
    return {
        (s.vendor, s.queue, s.decision, s.qa_decision): (
            s.errors, s.audited, s.reference, s.reference_errors, s.reference_audited, s.reference_vendors
        )
        for s in report.standouts
    }  # fmt: skip


def test_standouts_match_pandas_and_never_pool_the_vendors_own_queues(
    frame: pd.DataFrame, workspace: Workspace
) -> None:
    """On the generated data and on crafted rows where a third vendor shares hate-en, so graphic-img's
    "same labels" reference pools two vendors, and bluebird's own hate-en rows are left out of it."""
    rows = pd.DataFrame(_standout_rows())
    pairs = [("escalate", "remove", 2), ("allow", "allow", 98)]
    cedar = crafted("hate-en", "cedar", "nairobi", "cd-1", pairs, date(2026, 10, 22))
    cases = [
        (frame, None, None),
        (frame, "vendor", "northwind"),
        (rows, None, None),
        (pd.concat([rows, pd.DataFrame(cedar)], ignore_index=True), None, None),
        (pd.concat([rows, pd.DataFrame(cedar)], ignore_index=True), "vendor", "bluebird"),
    ]
    for data, column, key in cases:
        scope = Scope() if column is None else Scope(column, key)  # type: ignore[arg-type]
        report = analyse(typed(data), workspace, scope=scope, since=SINCE, until=UNTIL, tz=TZ)
        assert _as_found(report) == pandas_standouts(reference(data, workspace, column, key), workspace)
    single = _as_found(report)[("bluebird", "graphic-img", "escalate", "remove")]
    # northwind's 700 and cedar's 100 on the same labels; bluebird's own 314 on hate-en are not pooled.
    assert single == (12, 200, SAME_LABELS, 1 + 2, 700 + 100, 2)
