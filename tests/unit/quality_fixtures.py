"""What the error analysis tests share: the period and its time zone, decisions crafted or generated
(typed as the file reader types them), the Wilson interval written out, and a pandas reference."""

from __future__ import annotations

import io
import math
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pytest

from bot.workspace import Workspace
from handlers.quality.analysis import NO_DECISION
from handlers.queue_data.frames import read_decisions
from handlers.queue_data.generate import generate_decisions

TZ = "Europe/Dublin"
SINCE, UNTIL = date(2026, 10, 5), date(2026, 11, 1)  # four ISO weeks, across the end of summer time
Z = 1.959963984540054


def typed(frame: pd.DataFrame) -> pa.Table:
    """Through the file reader, as ingested decisions are typed."""
    buffer = io.BytesIO()
    frame.to_csv(buffer, index=False)
    buffer.seek(0)
    return read_decisions(buffer, TZ)


def hand_wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson (1927) score interval written out, independent of statsmodels."""
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return centre - half, centre + half


def crafted(
    queue: str,
    vendor: str,
    site: str,
    labeler: str,
    pairs: list[tuple[str | None, str | None, int]],
    day: date,
) -> list[dict]:
    """Rows of one labeler: `count` decisions for each (decision, QA decision) on a local day."""
    rows, start = [], datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    for decision, qa, count in pairs:
        for _ in range(count):
            at = start + timedelta(seconds=len(rows) * 7)
            rows.append(
                {
                    "item_id": f"{queue}-{labeler}-{decision}-{qa}-{len(rows)}",
                    "queue": queue,
                    "vendor": vendor,
                    "site": site,
                    "labeler_id": labeler,
                    "enqueued_at": (at - timedelta(minutes=30)).isoformat(),
                    "completed_at": at.isoformat(),
                    "handle_seconds": 30.0,
                    "decision": decision,
                    "qa_decision": qa,
                }
            )
    return rows


@pytest.fixture
def frame(workspace: Workspace) -> pd.DataFrame:
    """Six weeks of generated decisions with unranked labels, missing decisions and an unknown queue."""
    generated = generate_decisions(workspace, date(2026, 9, 28), 42, seed=7, scale=0.3)
    extra = [
        *crafted(
            "hate-en", "northwind", "lisbon", "nr-9001", [("hold", "allow", 6), ("allow", "hold", 3)], SINCE
        ),
        *crafted("spam-pt", "northwind", "manila", "nr-9002", [(None, "remove", 4)], date(2026, 10, 20)),
        *crafted("ghost-q", "northwind", "lisbon", "nr-9003", [("allow", "remove", 9)], date(2026, 10, 20)),
    ]
    return pd.concat([generated, pd.DataFrame(extra)], ignore_index=True)


def reference(frame: pd.DataFrame, workspace: Workspace, column: str | None = None, key: str | None = None):
    """The audited rows of the period in pandas, with agreed, direction, local week and in-scope flag."""
    f = frame.copy()
    local = pd.to_datetime(f["completed_at"], utc=True, format="ISO8601").dt.tz_convert(TZ)
    day = local.dt.date
    known = {q.id for q in workspace.queues}
    keep = f["qa_decision"].notna() & (f["qa_decision"] != "") & f["queue"].isin(known)
    keep &= (day >= SINCE) & (day <= UNTIL)
    f = f[keep].copy()
    f["day"] = day[keep]
    f["week"] = [d - timedelta(days=d.weekday()) for d in f["day"]]
    f["decision"] = f["decision"].fillna(NO_DECISION)
    f["agreed"] = f["decision"] == f["qa_decision"]
    rank = {(q.id, label): i for q in workspace.queues for i, label in enumerate(q.labels)}
    directions = []
    for queue, decision, qa, agreed in zip(
        f["queue"], f["decision"], f["qa_decision"], f["agreed"], strict=True
    ):
        d, r = rank.get((queue, decision)), rank.get((queue, qa))
        directions.append(
            None if agreed else "unranked" if d is None or r is None else "over" if d > r else "under"
        )
    f["direction"] = directions
    f["target"] = f["queue"].map({q.id: q.targets.quality for q in workspace.queues})
    f["in_scope"] = True if column is None else f[column] == key
    return f
