"""The error analysis' charts as PNG bytes: a confusion-matrix heatmap per queue and the weekly trend.

matplotlib's Agg backend through a `Figure` of its own (no pyplot state), so they can be drawn in worker
threads, off the event loop, as the digest's chart is.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from bot.charts import figure_png
from handlers.quality.report import Confusion, Group


def confusion_chart(confusion: Confusion, title: str | None = None) -> bytes:
    """Labeler decision (rows) against QA decision (columns), least to most severe; each cell shows its
    count and its share of the row (what QA said when the labeler said this)."""
    counts = np.asarray(confusion.counts, dtype=float).reshape(len(confusion.labels), len(confusion.labels))
    rows = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    size = 2.5 + 0.9 * len(confusion.labels)
    figure = Figure(figsize=(size + 1, size))
    axes = figure.subplots()
    image = axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ticks = range(len(confusion.labels))
    axes.set_xticks(ticks, confusion.labels, rotation=30, ha="right")
    axes.set_yticks(ticks, confusion.labels)
    axes.set_xlabel("QA decision")
    axes.set_ylabel("labeler decision")
    for i in ticks:
        for j in ticks:
            colour = "white" if shares[i, j] > 0.6 else "black"
            text = f"{int(counts[i, j]):,}\n{shares[i, j]:.0%}" if counts[i, j] else "0"
            axes.text(j, i, text, ha="center", va="center", fontsize=8, color=colour)
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04, label="share of the labeler's row")
    axes.set_title(title or f"{confusion.queue}: labeler vs QA")
    return figure_png(figure)


def trend_chart(group: Group, title: str | None = None) -> bytes:
    """Quality per ISO week with its 95% Wilson band, and the target as a dashed line."""
    figure = Figure(figsize=(8, 4.5))
    axes = figure.subplots()
    weeks = group.weeks
    x = np.arange(len(weeks))
    quality = np.array([w.quality for w in weeks]) * 100
    axes.fill_between(
        x, [w.low * 100 for w in weeks], [w.high * 100 for w in weeks], alpha=0.25, label="95% interval"
    )
    axes.plot(x, quality, marker="o", markersize=4, label="quality")
    if group.target is not None:
        axes.axhline(group.target * 100, color="grey", linestyle="--", linewidth=1, label="target")
    axes.set_xticks(x, [f"{w.iso_week}\n{w.audited:,} audited" for w in weeks], fontsize=7)
    lows = [w.low * 100 for w in weeks] + ([group.target * 100] if group.target is not None else [])
    axes.set_ylim(max(0, min(lows, default=0) // 5 * 5 - 5), 100.5)
    axes.set_ylabel("quality %")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower left", fontsize=8, frameon=False)
    axes.set_title(title or f"{group.level} {group.key}: quality per week")
    return figure_png(figure)
