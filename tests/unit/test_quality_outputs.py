"""What the error analysis gives out: clean JSON, a formula-safe CSV of the errors, and PNG charts."""

from __future__ import annotations

import csv
import io
from datetime import date

import pandas as pd

from bot.workspace import Workspace
from handlers.quality.analysis import analyse
from handlers.quality.charts import confusion_chart, trend_chart
from handlers.quality.export import errors_csv
from handlers.quality.scope import Scope
from tests.unit.quality_fixtures import SINCE, TZ, UNTIL, crafted, typed
from tests.unit.quality_fixtures import frame as frame  # a fixture


def test_json_is_clean(frame: pd.DataFrame, workspace: Workspace) -> None:
    import json

    report = analyse(typed(frame), workspace, scope=Scope(), since=SINCE, until=UNTIL, tz=TZ)
    text = json.dumps(report.as_dict(), allow_nan=False)
    data = json.loads(text)
    assert data["since"] == "2026-10-05" and data["scope"] == {"kind": "all", "id": None}
    assert data["groups"][0]["weeks"][0]["start"] == "2026-10-05"
    assert set(data) == {
        "scope",
        "since",
        "until",
        "timezone",
        "groups",
        "confusion",
        "labelers",
        "standouts",
        "clamped_from",
    }
    assert data["clamped_from"] is None  # the period was not moved to the first day still kept
    empty = analyse(
        typed(frame), workspace, scope=Scope(), since=date(2020, 1, 1), until=date(2020, 1, 7), tz=TZ
    )
    assert empty.groups == [] and empty.labelers == [] and empty.standouts == [] and empty.overall is None


def test_errors_csv_is_formula_safe(workspace: Workspace) -> None:
    day = date(2026, 10, 21)
    rows = crafted(
        "hate-en",
        "northwind",
        "lisbon",
        '=HYPERLINK("http://x")',
        [("allow", "remove", 2), ("allow", "allow", 5)],
        day,
    )
    rows += crafted("spam-pt", "northwind", "manila", "nr-2", [("remove", "allow", 1)], day)
    rows += crafted(
        "spam-pt", "northwind", "manila", "nr-2", [("remove", "allow", 1)], date(2026, 12, 1)
    )  # after the period
    data = errors_csv(typed(pd.DataFrame(rows)), workspace, scope=Scope(), since=SINCE, until=UNTIL, tz=TZ)
    read = list(csv.DictReader(io.StringIO(data.decode())))
    assert list(read[0]) == [
        "completed_at",
        "queue",
        "vendor",
        "site",
        "labeler_id",
        "item_id",
        "decision",
        "qa_decision",
        "direction",
    ]
    assert len(read) == 3
    assert {r["labeler_id"] for r in read} == {'\'=HYPERLINK("http://x")', "nr-2"}
    assert {(r["decision"], r["qa_decision"], r["direction"]) for r in read} == {
        ("allow", "remove", "under"),
        ("remove", "allow", "over"),
    }
    assert read[0]["completed_at"] == "2026-10-21T10:00:00+01:00"  # 09:00 UTC in Dublin summer time
    only_spam = errors_csv(
        typed(pd.DataFrame(rows)), workspace, scope=Scope("queue", "spam-pt"), since=SINCE, until=UNTIL, tz=TZ
    )
    assert only_spam.decode().count("\n") == 2


def test_charts_are_png(frame: pd.DataFrame, workspace: Workspace) -> None:
    report = analyse(typed(frame), workspace, scope=Scope(), since=SINCE, until=UNTIL, tz=TZ)
    for png in (confusion_chart(report.confusion[0]), trend_chart(report.overall)):  # type: ignore[arg-type]
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
