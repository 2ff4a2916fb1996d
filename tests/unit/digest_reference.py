"""The independent reference computation for the digest's figures, and the product path the tests hold
against it.

The reference parses every timestamp with `datetime.fromisoformat` and loops over rows, so it shares
nothing with the product's Arrow/DuckDB path.
"""

from __future__ import annotations

import io
import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from bot.workspace import Workspace
from handlers.digest.metrics import build_digest
from handlers.queue_data.aggregate import daily_aggregates
from handlers.queue_data.frames import read_decisions

# ---------------------------------------------------------------- the product path, as the tests call it


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def digest(data: bytes | pd.DataFrame, ws: Workspace, day: date, tz: str | None = None, **kw: Any) -> dict:
    raw = csv_bytes(data) if isinstance(data, pd.DataFrame) else data
    table = read_decisions(io.BytesIO(raw), ws.timezone)
    return build_digest(day, daily_aggregates(table, ws, tz or ws.timezone), ws, **kw)


# ---------------------------------------------------------------- the independent reference


def parse(text: str, tz: str) -> datetime:
    value = datetime.fromisoformat(text)
    value = value if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz))  # fold=0: earliest
    return value.astimezone(UTC)  # same-zone subtraction in Python ignores DST; UTC does not


def present(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def reference(
    frame: pd.DataFrame,
    ws: Workspace,
    day: date,
    tz: str | None = None,
    backlog: pd.DataFrame | None = None,
    queues: list[str] | None = None,
    deviation: float = 0.25,
) -> dict:
    tz = tz or ws.timezone
    selected = [q for q in ws.queues if queues is None or q.id in queues]
    config = {q.id: q for q in selected}
    rows = []
    for r in frame.to_dict("records"):
        q = config.get(r["queue"])
        if q is None:
            continue
        done, queued = parse(r["completed_at"], ws.timezone), parse(r["enqueued_at"], ws.timezone)
        rows.append(
            {
                "day": done.astimezone(ZoneInfo(tz)).date(),
                "queue": q.id,
                "vendor": r["vendor"] if present(r.get("vendor")) else q.vendor,
                "site": r["site"] if present(r.get("site")) else q.site,
                "overall": "all",
                "labeler": r["labeler_id"],
                "on_time": (done - queued).total_seconds() <= q.targets.sla_seconds,
                "handle": float(r["handle_seconds"]),
                "decision": r.get("decision"),
                "qa": r["qa_decision"] if present(r.get("qa_decision")) else None,
            }
        )

    def r4(x: float | None) -> float | None:
        return None if x is None else round(x, 4)

    def entry(level: str, key: str, name: str | None, members: list) -> dict:
        mine = [r for r in rows if r[level] == key]
        today = [r for r in mine if r["day"] == day]
        n = len(today)
        per_day = Counter(r["day"] for r in mine)
        prev = per_day.get(day - timedelta(days=1))
        week = [per_day[day - timedelta(days=k)] for k in range(1, 8) if per_day.get(day - timedelta(days=k))]
        ref7 = sum(week) / len(week) if week else None
        audited = [r for r in today if r["qa"] is not None]
        agreed = sum(r["decision"] == r["qa"] for r in audited)
        labelers = {r["labeler"] for r in today}
        target = sum(q.targets.daily_output for q in members) or None
        e = {
            "id": key,
            "name": name,
            "output": n,
            "target": target,
            "output_vs_target": r4(n / target) if target else None,
            "sla_adherence": sum(r["on_time"] for r in today) / n if n else None,
            "aht_seconds": sum(r["handle"] for r in today) / n if n else None,
            "active_labelers": len(labelers),
            "output_per_labeler": n / len(labelers) if labelers else None,
            "audited": len(audited),
            "quality_score": agreed / len(audited) if audited else None,
            "backlog": None,
            "oldest_age_seconds": None,
            "change_vs_prev_day": (n - prev) / prev if prev else None,
            "change_vs_7d": (n - ref7) / ref7 if ref7 else None,
        }
        flags = []
        if target is not None and n < target:
            flags.append("output")
        if level == "queue":
            t = members[0].targets
            if e["sla_adherence"] is not None and e["sla_adherence"] < t.sla_adherence:
                flags.append("sla_adherence")
            if e["aht_seconds"] is not None and e["aht_seconds"] > t.aht_seconds:
                flags.append("aht_seconds")
            if e["quality_score"] is not None and e["quality_score"] < t.quality:
                flags.append("quality_score")
        if e["change_vs_7d"] is not None and abs(e["change_vs_7d"]) > deviation:
            flags.append("change_vs_7d")
        e["flags"] = flags
        pairs = Counter((r["decision"], r["qa"]) for r in audited if r["decision"] != r["qa"])
        top = sorted(pairs.items(), key=lambda item: (-item[1], item[0][0], item[0][1]))[:5]
        e["top_errors"] = [{"decision": d, "qa_decision": a, "count": c} for (d, a), c in top]
        if backlog is not None:
            last: dict[str, tuple[datetime, dict]] = {}
            for s in backlog.to_dict("records"):
                at = parse(s["at"], ws.timezone)
                ours = s["queue"] in {q.id for q in members} and at.astimezone(ZoneInfo(tz)).date() == day
                if ours and (s["queue"] not in last or at >= last[s["queue"]][0]):
                    last[s["queue"]] = (at, s)
            if last:
                e["backlog"] = sum(int(s["backlog"]) for _, s in last.values())
                e["oldest_age_seconds"] = float(max(s["oldest_age_seconds"] for _, s in last.values()))
        for k in (
            "sla_adherence",
            "aht_seconds",
            "output_per_labeler",
            "quality_score",
            "change_vs_prev_day",
            "change_vs_7d",
        ):
            e[k] = r4(e[k])
        return e

    def level(name: str, attr: str) -> list[dict]:
        keys = list(dict.fromkeys(getattr(q, attr) for q in selected))
        keys += sorted({r[name] for r in rows if r["day"] == day} - set(keys))
        names = {v.id: v.name for v in ws.vendors} if name == "vendor" else {q.id: q.name for q in selected}
        return [
            entry(
                name,
                k,
                names.get(k) if name != "site" else None,
                [q for q in selected if getattr(q, attr) == k],
            )
            for k in keys
        ]

    return {
        "date": day.isoformat(),
        "timezone": tz,
        "queues": level("queue", "id"),
        "vendors": level("vendor", "vendor"),
        "sites": level("site", "site"),
        "overall": entry("overall", "all", "Overall", selected),
    }


def assert_same(actual: Any, expected: Any, path: str = "digest") -> None:
    """Equal structure; floats equal within rounding (4 decimals, summed in a different order)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and list(actual) == list(expected), f"{path}: keys {list(actual)}"
        for key in expected:
            assert_same(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{path}: {actual} != {expected}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_same(a, e, f"{path}[{i}]")
    elif isinstance(expected, float):
        assert isinstance(actual, float), f"{path}: {actual!r}"
        assert math.isclose(actual, expected, abs_tol=1.01e-4), f"{path}: {actual} != {expected}"
    else:
        assert actual == expected and type(actual) is type(expected), f"{path}: {actual!r} != {expected!r}"
