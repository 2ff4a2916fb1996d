"""The escalation report: how fast escalations were acknowledged (MTTA) and fixed (MTTR), overall and per
platform, vendor and severity, with a CSV of every escalation and a chart per platform.

Times are minutes from `opened_at`: to `first_acknowledged_at` (MTTA, acknowledged ones) and to
`resolved_at` (MTTR, resolved ones only), so an escalation still open never counts as fast.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import select

from bot.charts import figure_png
from bot.csvsafe import write_csv
from bot.workspace_escalation import SEVERITIES
from handlers.escalate.durations import minutes
from storage.engine import Database
from storage.models.escalation import Escalation

NO_VENDOR = "no vendor"
CSV_COLUMNS = (
    "escalation",
    "opened_at",
    "severity",
    "platform",
    "vendor",
    "site",
    "queue",
    "status",
    "minutes_to_ack",
    "minutes_to_resolve",
    "cause",
    "title",
)


async def escalations_since(
    db: Database, since: datetime, vendors: set[str] | None = None
) -> list[Escalation]:
    """Escalations opened at or after `since`, oldest first; `vendors` None means every vendor."""
    query = select(Escalation).where(Escalation.opened_at >= since)
    if vendors is not None:
        query = query.where(Escalation.vendor.in_(sorted(vendors)))
    async with db.transaction() as session:
        return list((await session.scalars(query.order_by(Escalation.opened_at, Escalation.number))).all())


@dataclass(frozen=True)
class Times:
    """Median and 90th percentile in minutes; None when nothing in the group has the time yet."""

    median: float | None
    p90: float | None


@dataclass(frozen=True)
class Group:
    """One row of the report: a platform, a vendor, a severity, or everything ("all")."""

    key: str
    opened: int
    acknowledged: int
    resolved: int
    still_open: int
    mtta: Times
    mttr: Times


@dataclass(frozen=True)
class Report:
    now: datetime
    overall: Group
    platforms: tuple[Group, ...]
    vendors: tuple[Group, ...]
    severities: tuple[Group, ...]
    oldest_open_minutes: float | None  # how long the oldest unresolved one has waited, at `now`

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["now"] = self.now.isoformat()
        return data


def minutes_frame(rows: list[Escalation]) -> pd.DataFrame:
    """One row per escalation: its groups, whether it was acknowledged/resolved, and its minutes."""
    frame = pd.DataFrame(
        {
            "number": [r.number for r in rows],
            "platform": [r.platform for r in rows],
            "vendor": [r.vendor or NO_VENDOR for r in rows],
            "severity": [r.severity for r in rows],
            "status": [r.status for r in rows],
            "opened_at": pd.to_datetime([r.opened_at for r in rows], utc=True),
            "acked_at": pd.to_datetime([r.first_acknowledged_at for r in rows], utc=True),
            # A reopened escalation may keep an earlier resolution time: only "resolved" counts.
            "resolved_at": pd.to_datetime(
                [r.resolved_at if r.status == "resolved" else None for r in rows], utc=True
            ),
        }
    )
    minute = pd.Timedelta(minutes=1)
    frame["mtta"] = (frame["acked_at"] - frame["opened_at"]) / minute
    frame["mttr"] = (frame["resolved_at"] - frame["opened_at"]) / minute
    frame["acknowledged"] = frame["acked_at"].notna()
    frame["resolved"] = frame["resolved_at"].notna()
    return frame


def _value(number: Any) -> float | None:
    return None if pd.isna(number) else round(float(number), 2)


def _groups(frame: pd.DataFrame, by: str | None, keys: list[str]) -> list[Group]:
    """Counts and times per `by` value (every row when `by` is None), in the order of `keys`."""
    grouper = frame[by] if by else pd.Series("all", index=frame.index)
    grouped = frame.groupby(grouper)
    counts = grouped.agg(
        opened=("number", "size"), acknowledged=("acknowledged", "sum"), resolved=("resolved", "sum")
    )
    # median and quantile skip NaN, so the unacknowledged and unresolved drop out of their own times.
    medians = grouped[["mtta", "mttr"]].median()
    p90s = grouped[["mtta", "mttr"]].quantile(0.9)
    result = []
    for key in keys:
        if key not in counts.index:
            result.append(Group(key, 0, 0, 0, 0, Times(None, None), Times(None, None)))
            continue
        row = counts.loc[key]
        opened, resolved = int(row["opened"]), int(row["resolved"])
        result.append(
            Group(
                key=key,
                opened=opened,
                acknowledged=int(row["acknowledged"]),
                resolved=resolved,
                still_open=opened - resolved,
                mtta=Times(_value(medians.at[key, "mtta"]), _value(p90s.at[key, "mtta"])),
                mttr=Times(_value(medians.at[key, "mttr"]), _value(p90s.at[key, "mttr"])),
            )
        )
    return result


def _vendor_order(vendors: list[str]) -> list[str]:
    return sorted(v for v in vendors if v != NO_VENDOR) + ([NO_VENDOR] if NO_VENDOR in vendors else [])


def summarise(rows: list[Escalation], now: datetime) -> Report:
    """Counts and MTTA/MTTR per group. Median and 90th percentile use linear interpolation between the
    closest ranks (numpy's and pandas' default, `statistics.quantiles(method="inclusive")`); a group
    with no time yet has None. Every severity is listed, platforms and vendors as they occur."""
    frame = minutes_frame(rows)
    waiting = frame.loc[~frame["resolved"], "opened_at"]
    oldest = (pd.Timestamp(now) - waiting.min()) / pd.Timedelta(minutes=1) if len(waiting) else None
    return Report(
        now=now,
        overall=_groups(frame, None, ["all"])[0],
        platforms=tuple(_groups(frame, "platform", sorted(frame["platform"].unique()))),
        vendors=tuple(_groups(frame, "vendor", _vendor_order(list(frame["vendor"].unique())))),
        severities=tuple(_groups(frame, "severity", list(SEVERITIES))),
        oldest_open_minutes=_value(oldest),
    )


def report_csv(rows: list[Escalation]) -> bytes:
    """One line per escalation, neutralised for spreadsheets: titles and causes come from people."""
    frame = minutes_frame(rows)
    text = pa.string()
    table = pa.table(
        {
            "escalation": pa.array([f"ESC-{r.number}" for r in rows], text),
            "opened_at": pa.array([r.opened_at.isoformat() for r in rows], text),
            "severity": pa.array([r.severity for r in rows], text),
            "platform": pa.array([r.platform for r in rows], text),
            "vendor": pa.array([r.vendor for r in rows], text),
            "site": pa.array([r.site for r in rows], text),
            "queue": pa.array([r.queue for r in rows], text),
            "status": pa.array([r.status for r in rows], text),
            "minutes_to_ack": pa.array([_value(v) for v in frame["mtta"]], pa.float64()),
            "minutes_to_resolve": pa.array([_value(v) for v in frame["mttr"]], pa.float64()),
            "cause": pa.array([r.cause for r in rows], text),
            "title": pa.array([r.title for r in rows], text),
        }
    )
    buffer = io.BytesIO()
    write_csv(table.select(list(CSV_COLUMNS)), buffer)
    return buffer.getvalue()


def report_chart(report: Report) -> bytes:
    """PNG: median and p90 MTTA and MTTR per platform as grouped horizontal bars, one panel each (their
    scales differ by hours). Blocking: callers run it with asyncio.to_thread."""
    from matplotlib.figure import Figure  # Agg through Figure; loaded only when a chart is drawn

    platforms = list(report.platforms) or [report.overall]
    figure = Figure(figsize=(10, 2 + 0.7 * len(platforms)))
    panels = figure.subplots(1, 2, sharey=True)
    positions = range(len(platforms))
    height = 0.38
    for panel, (name, attribute) in zip(panels, (("MTTA", "mtta"), ("MTTR", "mttr")), strict=True):
        for offset, (label, field) in ((-height / 2, ("median", "median")), (height / 2, ("p90", "p90"))):
            values = [getattr(getattr(g, attribute), field) for g in platforms]
            bars = panel.barh(
                [p + offset for p in positions], [v or 0 for v in values], height=height, label=label
            )
            panel.bar_label(bars, labels=[minutes(v) for v in values], padding=3, fontsize=7)
        panel.set_title(f"{name} (minutes)")
        panel.grid(axis="x", alpha=0.3)
        panel.margins(x=0.25)
        times = [getattr(getattr(g, attribute), f) for g in platforms for f in ("median", "p90")]
        if not any(times):  # nothing acknowledged (or resolved) anywhere: a plain empty axis
            panel.set_xlim(0, 10)
        panel.set_xlim(left=0)
    panels[0].set_yticks(list(positions), [g.key for g in platforms])
    panels[0].invert_yaxis()
    handles, labels = panels[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower left", ncols=2, fontsize=8, frameon=False)
    figure.suptitle("Escalations: time to acknowledge and to resolve, per platform")
    figure.text(0.99, 0.01, "– : none acknowledged or resolved yet", ha="right", fontsize=7, color="grey")
    return figure_png(figure, layout_rect=(0, 0.06, 1, 1))  # room for the legend under the bars
