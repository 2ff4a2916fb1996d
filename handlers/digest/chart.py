"""The digest chart: output against target over the last 14 days, and SLA adherence, per group.

Rendered with matplotlib's Agg backend to PNG bytes; no display, no files. A `Figure` of its own
(not pyplot's global state), so charts can be drawn in worker threads, off the event loop.
"""

from __future__ import annotations

from datetime import date, timedelta

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure

from bot.charts import figure_png

DAYS = 14


def chart_frame(totals: pd.DataFrame, level: str, keys: list[str], last: date) -> pd.DataFrame:
    """day × key output and SLA share for the 14 days to `last`, zero-filled where a day has no data."""
    first = last - timedelta(days=DAYS - 1)
    days = [first + timedelta(days=i) for i in range(DAYS)]
    rows = totals[(totals["level"] == level) & totals["key"].isin(keys)]
    rows = rows[(rows["day"] >= first) & (rows["day"] <= last)]
    grid = pd.MultiIndex.from_product([days, keys], names=["day", "key"])
    frame = rows.set_index(["day", "key"])[["output", "sla_met"]].reindex(grid, fill_value=0).reset_index()
    frame["sla"] = frame["sla_met"].where(frame["output"] > 0) / frame["output"].where(frame["output"] > 0)
    return frame


def render_chart(frame: pd.DataFrame, targets: dict[str, int], names: dict[str, str], title: str) -> bytes:
    figure = Figure(figsize=(9, 6))
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    for key, rows in frame.groupby("key", sort=False):
        days = pd.to_datetime(rows["day"])
        line = top.plot(days, rows["output"], marker="o", markersize=3, label=names.get(key, key))[0]
        if targets.get(key):
            top.axhline(targets[key], color=line.get_color(), linestyle="--", linewidth=0.8, alpha=0.7)
        bottom.plot(days, rows["sla"] * 100, marker="o", markersize=3, color=line.get_color())
    top.set_title(title)
    top.set_ylabel("decisions per day")
    top.legend(loc="upper left", fontsize=8, frameon=False)
    top.grid(alpha=0.3)
    bottom.set_ylabel("SLA adherence %")
    lowest = frame["sla"].min()
    floor = 0 if pd.isna(lowest) else max(0, min(80, int(lowest * 100) // 10 * 10 - 10))
    bottom.set_ylim(floor, 101)  # zoom in where SLA lives, but keep a fixed, honest top
    bottom.grid(alpha=0.3)
    bottom.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    figure.text(0.99, 0.01, "dashed: daily output target", ha="right", fontsize=7, color="grey")
    return figure_png(figure)
