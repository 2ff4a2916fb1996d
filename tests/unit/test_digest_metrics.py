"""The digest's figures on generated data against the independent row-by-row computation in
`tests.unit.digest_reference`; the hand-worked example is in `test_digest_worked_example.py`."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bot.workspace import Workspace, load_workspace
from handlers.digest.metrics import build_digest
from handlers.queue_data.aggregate import daily_aggregates
from handlers.queue_data.frames import read_backlog, read_decisions
from handlers.queue_data.generate import generate_backlog, generate_decisions
from tests.unit.digest_reference import assert_same, csv_bytes, digest, reference

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
