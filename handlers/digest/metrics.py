"""Stage 2 of the digest: one day's figures per queue, vendor, site and overall from the stored blocks.

Reads only the day and the 7 days before it, so a long history costs nothing extra.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa

from bot.workspace import Queue, Workspace
from handlers.queue_data.aggregate import OVERALL, DailyAggregates
from handlers.queue_data.frames import parse_timestamps

HISTORY_DAYS = 7
TOP_ERRORS = 5
_ATTR = {"queue": "id", "vendor": "vendor", "site": "site"}


def _num(value: float | None) -> float | None:
    """JSON-friendly: 4 decimals, None for missing or not-a-number."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 4)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _change(output: int, reference: float | None) -> float | None:
    return (output - reference) / reference if reference else None


def _last_snapshots(
    backlog: pd.DataFrame | pa.Table | None, day: date, tz: str, file_tz: str
) -> pd.DataFrame:
    """Each queue's last snapshot of the local `day` in `tz` (times without offset are in `file_tz`)."""
    columns = ["queue", "backlog", "oldest_age_seconds"]
    if backlog is None or len(backlog) == 0:
        return pd.DataFrame(columns=columns)
    frame = backlog.to_pandas() if isinstance(backlog, pa.Table) else backlog.copy()
    if "oldest_age_seconds" not in frame:
        frame["oldest_age_seconds"] = None
    at = parse_timestamps(pa.array(frame["at"]), file_tz).to_pandas()
    frame["local_day"] = at.dt.tz_convert(tz).dt.date.to_numpy()
    frame["at_utc"] = at.to_numpy()
    frame = frame[frame["local_day"] == day].sort_values(["queue", "at_utc"], kind="stable")
    return frame.groupby("queue", sort=False).tail(1)[columns].reset_index(drop=True)


class _Level:
    """One level's rows of the window (the day plus the 7 before), indexed for quick look-ups."""

    def __init__(self, aggregates: DailyAggregates, level: str, day: date):
        totals = aggregates.totals
        self.totals = totals[totals["level"] == level].set_index(["key", "day"]).sort_index()
        errors = aggregates.errors
        self.errors = errors[(errors["level"] == level) & (errors["day"] == day)]
        self.day = day

    def keys(self) -> list[str]:
        index = self.totals.index
        today = index[index.get_level_values("day") == self.day]
        return sorted(str(k) for k in today.get_level_values("key"))

    def entry(self, key: str, name: str | None, target: int | None) -> dict[str, Any]:
        rows = self.totals.xs(key, level="key") if key in self.totals.index.get_level_values(0) else None
        outputs = {} if rows is None else rows["output"].to_dict()
        row = rows.loc[self.day] if rows is not None and self.day in rows.index else None
        output = 0 if row is None else int(row["output"])
        active = 0 if row is None else int(row["active_labelers"])
        audited = 0 if row is None else int(row["audited"])
        before = [
            outputs[d]
            for d in (self.day - timedelta(days=n) for n in range(1, HISTORY_DAYS + 1))
            if d in outputs
        ]
        top = (
            self.errors[self.errors["key"] == key]
            .sort_values(["count", "decision", "qa_decision"], ascending=[False, True, True], kind="stable")
            .head(TOP_ERRORS)
        )
        return {
            "id": key,
            "name": name,
            "output": output,
            "target": target,
            "output_vs_target": _num(_ratio(output, target or 0)),
            "sla_adherence": None if row is None else _ratio(row["sla_met"], output),
            "aht_seconds": None if row is None else _ratio(row["handle_sum"], output),
            "active_labelers": active,
            "output_per_labeler": _ratio(output, active),
            "audited": audited,
            "quality_score": None if row is None else _ratio(row["agreed"], audited),
            "backlog": None,
            "oldest_age_seconds": None,
            "change_vs_prev_day": _change(output, outputs.get(self.day - timedelta(days=1))),
            "change_vs_7d": _change(output, sum(before) / len(before) if before else None),
            "flags": [],
            "top_errors": [
                {"decision": r.decision, "qa_decision": r.qa_decision, "count": int(r.count)}
                for r in top.itertuples(index=False)
            ],
        }


def _flag(entry: dict[str, Any], queue: Queue | None, deviation: float) -> list[str]:
    """Names of the metrics that miss their target; roll-ups (no queue) check output and the 7-day swing."""
    flags = []
    if entry["target"] is not None and entry["output"] < entry["target"]:
        flags.append("output")
    if queue is not None:
        t = queue.targets
        misses = {
            "sla_adherence": lambda v: v < t.sla_adherence,
            "aht_seconds": lambda v: v > t.aht_seconds,
            "quality_score": lambda v: v < t.quality,
        }
        flags += [name for name, miss in misses.items() if entry[name] is not None and miss(entry[name])]
    if entry["change_vs_7d"] is not None and abs(entry["change_vs_7d"]) > deviation:
        flags.append("change_vs_7d")
    return flags


def _finish(
    entry: dict[str, Any], queue: Queue | None, deviation: float, snaps: pd.DataFrame
) -> dict[str, Any]:
    """Flags from unrounded figures, backlog from the snapshots, then rounding for JSON."""
    entry["flags"] = _flag(entry, queue, deviation)
    if len(snaps):
        entry["backlog"] = int(snaps["backlog"].sum())
        entry["oldest_age_seconds"] = _num(pd.to_numeric(snaps["oldest_age_seconds"]).max())
    for name in (
        "sla_adherence",
        "aht_seconds",
        "output_per_labeler",
        "quality_score",
        "change_vs_prev_day",
        "change_vs_7d",
    ):
        entry[name] = _num(entry[name])
    return entry


def _ordered(configured: Sequence[str], seen: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([*configured, *sorted(seen)]))


def build_digest(
    day: date,
    aggregates: DailyAggregates,
    workspace: Workspace,
    backlog: pd.DataFrame | pa.Table | None = None,
    *,
    queues: list[str] | None = None,
    deviation: float = 0.25,
) -> dict[str, Any]:
    """The digest of local `day` in the aggregates' timezone, JSON-serialisable.

    Queues without decisions that day still appear (output 0, rates None). The 7-day reference is the mean
    output over those of the 7 previous days that have data for that entry; None when none has.
    """
    if queues is not None:
        unknown = sorted(set(queues) - {q.id for q in workspace.queues})
        if unknown:
            known = [q.id for q in workspace.queues]
            raise ValueError(f"unknown queue ids {unknown}; the workspace has {known}")
    selected = [q for q in workspace.queues if queues is None or q.id in queues]
    window = aggregates.select([q.id for q in selected], day - timedelta(days=HISTORY_DAYS), day)
    snaps = _last_snapshots(backlog, day, aggregates.timezone, workspace.timezone)
    snaps = snaps[snaps["queue"].isin([q.id for q in selected])]
    config = {q.id: q for q in selected}

    def group(level: str) -> list[dict[str, Any]]:
        rows = _Level(window, level, day)
        members: dict[str, list[Queue]] = {}  # key -> the configured queues of that group
        for q in selected:
            members.setdefault(OVERALL if level == "overall" else getattr(q, _ATTR[level]), []).append(q)
        keys = [OVERALL] if level == "overall" else _ordered(list(members), rows.keys())
        result = []
        for key in keys:
            group_queues = members.get(key, [])
            queue = config.get(key) if level == "queue" else None
            name = queue.name if queue else _group_name(workspace, level, key)
            entry = rows.entry(key, name, sum(q.targets.daily_output for q in group_queues) or None)
            group_snaps = snaps[snaps["queue"].isin([q.id for q in group_queues])]
            result.append(_finish(entry, queue, deviation, group_snaps))
        return result

    return {
        "date": day.isoformat(),
        "timezone": aggregates.timezone,
        "queues": group("queue"),
        "vendors": group("vendor"),
        "sites": group("site"),
        "overall": group("overall")[0],
    }


def _group_name(workspace: Workspace, level: str, key: str) -> str | None:
    if level == "vendor":
        vendor = workspace.vendor(key)
        return vendor.name if vendor else None
    return "Overall" if level == "overall" else None
