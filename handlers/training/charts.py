"""The weekly summary's burn-up chart: ready labelers per working day against everyone and the target.

matplotlib's Agg backend through a `Figure` of its own (no pyplot state), so callers draw it in a thread.
"""

from __future__ import annotations

from datetime import date

from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.charts import figure_png


def burn_up_chart(burn: list[tuple[date, int]], total: int, target: date, title: str) -> bytes:
    """A step line of labelers ready by each day's end, a line at `total` and one at the target date."""
    figure = Figure(figsize=(8, 4.5))
    axes = figure.subplots()
    days = [day for day, _ in burn]
    axes.step(days, [ready for _, ready in burn], where="post", marker="o", markersize=3, label="ready")
    axes.axhline(total, color="grey", linestyle="--", linewidth=1, label=f"everyone ({total})")
    axes.axvline(target, color="tab:red", linestyle=":", linewidth=1.5, label=f"target {target:%d %b}")
    axes.set_ylim(0, max(total, 1) * 1.1)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.xaxis.set_major_formatter(DateFormatter("%d %b"))
    axes.tick_params(axis="x", labelsize=8, rotation=30)
    axes.set_ylabel("labelers ready")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize=8, frameon=False)
    axes.set_title(title)
    return figure_png(figure)
