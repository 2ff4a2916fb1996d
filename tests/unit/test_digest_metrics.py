"""The digest's figures against an independent row-by-row computation, plus a hand-worked example.

The reference below parses every timestamp with `datetime.fromisoformat` and loops over rows, so it shares
nothing with the product's Arrow/DuckDB path.
"""

from __future__ import annotations

import io
import json
import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bot.workspace import Workspace, load_workspace
from handlers.digest.aggregate import daily_aggregates
from handlers.digest.frames import read_backlog, read_decisions
from handlers.digest.generate import generate_backlog, generate_decisions
from handlers.digest.metrics import build_digest

ROOT = Path(__file__).resolve().parents[2]
START = date(2025, 3, 20)  # covers Europe/Dublin's spring DST change on 2025-03-30
METRICS = [
    "output",
    "target",
    "output_vs_target",
    "sla_adherence",
    "aht_seconds",
    "active_labelers",
    "output_per_labeler",
    "audited",
    "quality_score",
    "backlog",
    "oldest_age_seconds",
    "change_vs_prev_day",
    "change_vs_7d",
    "flags",
    "top_errors",
]


@pytest.fixture(scope="module")
def example() -> Workspace:
    return load_workspace(ROOT / "examples" / "workspace.yml")


@pytest.fixture(scope="module")
def generated(example: Workspace) -> pd.DataFrame:
    return generate_decisions(example, START, 16, seed=3, scale=0.3)


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


# ---------------------------------------------------------------- generated data against the reference


@pytest.mark.parametrize("day", [date(2025, 3, 21), date(2025, 3, 28), date(2025, 3, 30), date(2025, 4, 4)])
def test_every_metric_at_every_level_matches_the_reference(example, generated, day):
    backlog = generate_backlog(example, START, 16, seed=3, scale=0.3)
    result = digest(generated, example, day, backlog=backlog)
    expected = reference(generated, example, day, backlog=backlog)
    assert_same(result, expected)
    assert json.loads(json.dumps(result)) == result
    assert all(list(e)[2:] == METRICS for e in [*result["queues"], *result["vendors"], result["overall"]])
    assert result["overall"]["output"] == sum(q["output"] for q in result["queues"])
    assert any(e["top_errors"] for e in result["queues"]) and result["overall"]["backlog"] is not None


def test_a_timezone_other_than_the_workspace_s(example, generated):
    for tz in ("Asia/Tokyo", "America/New_York"):
        result = digest(generated, example, date(2025, 3, 27), tz=tz)
        assert result["timezone"] == tz
        assert_same(result, reference(generated, example, date(2025, 3, 27), tz=tz))


def test_queue_filter_restricts_queues_and_roll_ups(example, generated):
    result = digest(generated, example, date(2025, 3, 29), queues=["hate-en", "graphic-img"])
    assert_same(result, reference(generated, example, date(2025, 3, 29), queues=["hate-en", "graphic-img"]))
    assert [q["id"] for q in result["queues"]] == ["hate-en", "graphic-img"]
    assert [s["id"] for s in result["sites"]] == ["lisbon", "nairobi"]
    with pytest.raises(ValueError, match="nope"):
        digest(generated, example, date(2025, 3, 29), queues=["nope"])


def test_deviation_threshold_changes_only_the_7_day_flag(example, generated):
    day = date(2025, 3, 30)  # a 23-hour day: output well below the week's mean
    for deviation in (0.05, 0.25, 0.9):
        result = digest(generated, example, day, deviation=deviation)
        assert_same(result, reference(generated, example, day, deviation=deviation))
        swing = abs(result["overall"]["change_vs_7d"])
        assert ("change_vs_7d" in result["overall"]["flags"]) == (swing > deviation)


def test_naive_timestamps_are_read_in_the_workspace_timezone(example):
    aware = generate_decisions(example, date(2025, 6, 2), 9, seed=5, scale=0.2)
    naive = generate_decisions(example, date(2025, 6, 2), 9, seed=5, scale=0.2, naive=True)
    assert "+" not in naive["completed_at"].iloc[0] and aware["completed_at"].iloc[0].endswith("+01:00")
    for day in (date(2025, 6, 9), date(2025, 6, 10)):
        assert digest(naive, example, day) == digest(aware, example, day)
    autumn = generate_decisions(example, date(2025, 10, 20), 8, seed=5, scale=0.2, naive=True)
    assert_same(digest(autumn, example, date(2025, 10, 26)), reference(autumn, example, date(2025, 10, 26)))


def test_parquet_and_csv_give_identical_results(example, generated, tmp_path):
    backlog = generate_backlog(example, START, 16, seed=3, scale=0.3)
    from_csv = digest(generated, example, date(2025, 3, 28), backlog=backlog)
    typed = generated.assign(
        **{
            c: pd.to_datetime(generated[c], format="ISO8601", utc=True)
            for c in ("enqueued_at", "completed_at")
        }
    )
    for name, frame in (("text.parquet", generated), ("typed.pq", typed)):
        path = tmp_path / name
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
        table = read_decisions(path, example.timezone)
        aggregates = daily_aggregates(table, example, example.timezone)
        assert build_digest(date(2025, 3, 28), aggregates, example, backlog=backlog) == from_csv
    backlog_path = tmp_path / "backlog.csv"
    backlog.to_csv(backlog_path, index=False)
    read_back = read_backlog(backlog_path, example.timezone)
    assert digest(generated, example, date(2025, 3, 28), backlog=read_back) == from_csv


def test_missing_required_column_is_named(example, generated):
    with pytest.raises(ValueError, match="'handle_seconds'"):
        read_decisions(io.BytesIO(csv_bytes(generated.drop(columns="handle_seconds"))), example.timezone)
    with pytest.raises(ValueError, match="'labeler_id', 'enqueued_at'"):
        read_decisions(csv_bytes(generated.drop(columns=["labeler_id", "enqueued_at"])), example.timezone)


def test_queues_missing_from_the_workspace_are_skipped_and_counted(example, generated):
    stray = generated.head(5).assign(queue="retired-queue")
    table = read_decisions(csv_bytes(pd.concat([generated, stray])), example.timezone)
    aggregates = daily_aggregates(table, example, example.timezone)
    assert aggregates.skipped == {"retired-queue": 5}
    day = date(2025, 3, 28)
    assert build_digest(day, aggregates, example) == digest(generated, example, day)


def test_generator_is_deterministic_and_mild(example):
    first = generate_decisions(example, START, 2, seed=9, scale=0.1)
    assert first.equals(generate_decisions(example, START, 2, seed=9, scale=0.1))
    assert set(first["decision"]) <= {"allow", "remove", "age_restrict", "escalate"}
    assert first["labeler_id"].str.fullmatch(r"[a-z]{2}-\d{4}").all()


# ---------------------------------------------------------------- hand-made rows, expected values written out

SMALL = Workspace.model_validate(
    {
        "timezone": "Europe/Dublin",
        "admins": ["U0ADMIN1"],
        "vendors": [
            {"id": "acme", "name": "Acme Review", "channel": "C0ACME001", "sites": ["a1"]},
            {"id": "beta", "name": "Beta Labels", "channel": "C0BETA001", "sites": ["b1"]},
        ],
        "queues": [
            {
                "id": "q1",
                "name": "Queue one",
                "vendor": "acme",
                "site": "a1",
                "targets": {
                    "daily_output": 4,
                    "sla_seconds": 3600,
                    "quality": 0.9,
                    "aht_seconds": 30,
                    "sla_adherence": 0.8,
                },
            },
            {
                "id": "q2",
                "name": "Queue two",
                "vendor": "acme",
                "site": "a1",
                "targets": {"daily_output": 2, "sla_seconds": 600, "quality": 0.5, "aht_seconds": 60},
            },
            {
                "id": "q3",
                "name": "Queue three",
                "vendor": "beta",
                "site": "b1",
                "targets": {"daily_output": 1, "sla_seconds": 600, "quality": 0.9, "aht_seconds": 60},
            },
        ],
    }
)
HEADER = "item_id,queue,labeler_id,enqueued_at,completed_at,handle_seconds,decision,qa_decision\n"
WORKED = (
    HEADER
    + """\
1,q1,L1,2025-06-10T09:00:00+01:00,2025-06-10T09:30:00+01:00,20,allow,allow
2,q1,L2,2025-06-10T08:00:00+01:00,2025-06-10T09:00:00+01:00,40,remove,allow
3,q1,L1,2025-06-10T07:00:00+01:00,2025-06-10T10:00:00+01:00,30,allow,
4,q2,L1,2025-06-10T10:00:00+01:00,2025-06-10T10:05:00+01:00,50,remove,remove
5,q2,L3,2025-06-10T10:00:00+01:00,2025-06-10T10:20:00+01:00,70,allow,remove
6,q1,L2,2025-06-10T23:00:00+01:00,2025-06-10T23:30:00+01:00,30,allow,
7,q1,L2,2025-06-10T23:00:00Z,2025-06-10T23:30:00Z,30,allow,
8,q1,L4,2025-06-09T08:00:00+01:00,2025-06-09T08:10:00+01:00,30,allow,
9,q1,L4,2025-06-09T08:00:00+01:00,2025-06-09T08:20:00+01:00,30,allow,
10,q1,L5,2025-06-05T08:00:00+01:00,2025-06-05T09:00:00+01:00,30,allow,
11,q1,L5,2025-06-05T08:00:00+01:00,2025-06-05T09:00:00+01:00,30,allow,
12,q1,L5,2025-06-05T08:00:00+01:00,2025-06-05T09:00:00+01:00,30,allow,
13,q1,L5,2025-06-05T08:00:00+01:00,2025-06-05T09:00:00+01:00,30,allow,
14,q1,L5,2025-06-05T08:00:00+01:00,2025-06-05T09:00:00+01:00,30,allow,
15,q1,L5,2025-06-05T08:00:00+01:00,2025-06-05T09:00:00+01:00,30,allow,
"""
)
BACKLOG = """queue,at,backlog,oldest_age_seconds
q1,2025-06-10T08:00:00+01:00,10,100
q1,2025-06-10T22:00:00+01:00,5,50
q1,2025-06-10T23:30:00Z,99,999
q2,2025-06-10T12:00:00+01:00,3,400
"""


def test_worked_example():
    """Row 7 is 00:30 on 11 June in Dublin; 9 June has 2 rows of q1 and 5 June has 6 (7-day mean 4)."""
    backlog = read_backlog(BACKLOG.encode(), SMALL.timezone)
    result = digest(WORKED.encode(), SMALL, date(2025, 6, 10), backlog=backlog)
    q1, q2, q3 = result["queues"]
    assert q1 == {
        "id": "q1",
        "name": "Queue one",
        "output": 4,
        "target": 4,
        "output_vs_target": 1.0,
        "sla_adherence": 0.75,  # rows 1, 2 (exactly the SLA) and 6 on time; row 3 late
        "aht_seconds": 30.0,
        "active_labelers": 2,
        "output_per_labeler": 2.0,
        "audited": 2,
        "quality_score": 0.5,
        "backlog": 5,
        "oldest_age_seconds": 50.0,
        "change_vs_prev_day": 1.0,
        "change_vs_7d": 0.0,
        "flags": ["sla_adherence", "quality_score"],
        "top_errors": [{"decision": "remove", "qa_decision": "allow", "count": 1}],
    }
    assert q2 == {
        "id": "q2",
        "name": "Queue two",
        "output": 2,
        "target": 2,
        "output_vs_target": 1.0,
        "sla_adherence": 0.5,
        "aht_seconds": 60.0,
        "active_labelers": 2,
        "output_per_labeler": 1.0,
        "audited": 2,
        "quality_score": 0.5,
        "backlog": 3,
        "oldest_age_seconds": 400.0,
        "change_vs_prev_day": None,
        "change_vs_7d": None,
        "flags": ["sla_adherence"],
        "top_errors": [{"decision": "allow", "qa_decision": "remove", "count": 1}],
    }
    assert q3 == {
        "id": "q3",
        "name": "Queue three",
        "output": 0,
        "target": 1,
        "output_vs_target": 0.0,
        "sla_adherence": None,
        "aht_seconds": None,
        "active_labelers": 0,
        "output_per_labeler": None,
        "audited": 0,
        "quality_score": None,
        "backlog": None,
        "oldest_age_seconds": None,
        "change_vs_prev_day": None,
        "change_vs_7d": None,
        "flags": ["output"],
        "top_errors": [],
    }
    acme = {
        "output": 6,
        "target": 6,
        "output_vs_target": 1.0,
        "sla_adherence": 0.6667,
        "aht_seconds": 40.0,
        "active_labelers": 3,  # L1 works both queues: distinct labelers, not 2 + 2
        "output_per_labeler": 2.0,
        "audited": 4,
        "quality_score": 0.5,
        "backlog": 8,
        "oldest_age_seconds": 400.0,  # q1's last snapshot of the day plus q2's
        "change_vs_prev_day": 2.0,
        "change_vs_7d": 0.5,
        "flags": ["change_vs_7d"],
        "top_errors": [
            {"decision": "allow", "qa_decision": "remove", "count": 1},
            {"decision": "remove", "qa_decision": "allow", "count": 1},
        ],
    }
    vendors, sites = result["vendors"], result["sites"]
    assert [(v["id"], v["name"]) for v in vendors] == [("acme", "Acme Review"), ("beta", "Beta Labels")]
    assert {k: vendors[0][k] for k in acme} == acme
    assert [(s["id"], s["name"]) for s in sites] == [("a1", None), ("b1", None)]
    assert {k: sites[0][k] for k in acme} == acme
    assert vendors[1]["output"] == 0 and vendors[1]["flags"] == ["output"] and vendors[1]["target"] == 1
    overall = result["overall"]
    assert (overall["id"], overall["target"], overall["output_vs_target"]) == ("all", 7, 0.8571)
    assert overall["flags"] == ["output", "change_vs_7d"]
    assert {k: overall[k] for k in acme if k not in ("target", "output_vs_target", "flags")} == {
        k: v for k, v in acme.items() if k not in ("target", "output_vs_target", "flags")
    }
    relaxed = digest(WORKED.encode(), SMALL, date(2025, 6, 10), deviation=0.6)
    assert relaxed["vendors"][0]["flags"] == [] and relaxed["overall"]["flags"] == ["output"]
    assert relaxed["queues"][0]["backlog"] is None  # no snapshots given
    next_day = digest(WORKED.encode(), SMALL, date(2025, 6, 11))
    assert next_day["queues"][0]["output"] == 1 and next_day["queues"][0]["change_vs_prev_day"] == -0.75


def rows(*stamps: str, queue: str = "q1") -> bytes:
    return (HEADER + "".join(f"{i},{queue},L{i},{s},{s},30,allow,\n" for i, s in enumerate(stamps))).encode()


def test_day_boundaries_follow_the_digest_timezone():
    data = rows("2025-06-10T23:30:00+01:00", "2025-06-11T00:30:00+01:00", "2025-06-11T02:30:00+03:00")
    dublin = [digest(data, SMALL, date(2025, 6, d))["overall"]["output"] for d in (10, 11)]
    assert dublin == [1, 2]  # 23:30 local on the 10th; 00:30 local twice on the 11th
    utc = [digest(data, SMALL, date(2025, 6, d), tz="UTC")["overall"]["output"] for d in (10, 11)]
    assert utc == [3, 0]  # all three are 22:30 or 23:30 UTC on the 10th
    new_york = digest(data, SMALL, date(2025, 6, 10), tz="America/New_York")
    assert new_york["overall"]["output"] == 3 and new_york["timezone"] == "America/New_York"


def test_dst_change_day_in_dublin():
    """30 March 2025 lasts 23 hours in Dublin: 00:00 GMT to 00:00 IST (23:00 UTC)."""
    data = rows(
        "2025-03-29T23:30:00+00:00",
        "2025-03-30T00:30:00+00:00",
        "2025-03-30T23:30:00+01:00",
        "2025-03-30T22:59:59Z",
        "2025-03-30T23:00:00Z",
        "2025-03-31T00:30:00",
    )
    counts = [digest(data, SMALL, date(2025, 3, d))["overall"]["output"] for d in (29, 30, 31)]
    assert counts == [1, 3, 2]


def test_naive_stamps_use_the_workspace_zone_not_the_digest_zone():
    data = rows("2025-06-11T00:30:00", "2025-06-10T12:00:00")
    assert [digest(data, SMALL, date(2025, 6, d))["overall"]["output"] for d in (10, 11)] == [1, 1]
    assert digest(data, SMALL, date(2025, 6, 10), tz="UTC")["overall"]["output"] == 2  # 23:30 UTC
    mixed = rows("2025-06-11T00:30:00", "2025-06-10T12:00:00", "2025-06-10T23:30:00Z")
    assert [digest(mixed, SMALL, date(2025, 6, d))["overall"]["output"] for d in (10, 11)] == [1, 2]
    assert digest(mixed, SMALL, date(2025, 6, 10), tz="UTC")["overall"]["output"] == 3


def test_quality_is_null_when_nothing_is_audited():
    result = digest(rows("2025-06-10T12:00:00+01:00"), SMALL, date(2025, 6, 10))
    assert result["queues"][0]["audited"] == 0 and result["queues"][0]["quality_score"] is None
    assert result["overall"]["quality_score"] is None and result["overall"]["top_errors"] == []


def test_top_errors_order_by_count_then_labels():
    pairs = [("remove", "allow")] * 3 + [
        ("escalate", "allow"),
        ("allow", "remove"),
        ("allow", "escalate"),
        ("age_restrict", "remove"),
        ("remove", "escalate"),
        ("allow", "age_restrict"),
    ] * 2
    pairs += [("escalate", "remove"), ("allow", "allow")]
    body = "".join(
        f"{i},q2,L1,2025-06-10T10:00:00+01:00,2025-06-10T10:01:00+01:00,5,{d},{a}\n"
        for i, (d, a) in enumerate(pairs)
    )
    top = digest((HEADER + body).encode(), SMALL, date(2025, 6, 10))["queues"][1]["top_errors"]
    assert [(e["decision"], e["qa_decision"], e["count"]) for e in top] == [
        ("remove", "allow", 3),
        ("age_restrict", "remove", 2),
        ("allow", "age_restrict", 2),
        ("allow", "escalate", 2),
        ("allow", "remove", 2),
    ]


def test_vendor_and_site_columns_override_the_queue_config():
    data = (
        HEADER.replace("labeler_id", "vendor,site,labeler_id")
        + "1,q1,acme,a2,L1,2025-06-10T10:00:00+01:00,2025-06-10T10:01:00+01:00,5,allow,\n"
        + "2,q1,,,L2,2025-06-10T10:00:00+01:00,2025-06-10T10:01:00+01:00,5,allow,\n"
    ).encode()
    result = digest(data, SMALL, date(2025, 6, 10))
    assert [(s["id"], s["output"], s["target"]) for s in result["sites"]] == [
        ("a1", 1, 6),
        ("b1", 0, 1),
        ("a2", 1, None),
    ]
