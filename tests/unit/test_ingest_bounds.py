"""Row checks at their edges: bad values in a large file found exactly (and off the event loop),
timestamps outside a sane range, vendor or site contradicting the queue, files too large to read."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from handlers.queue_data import ingest as ingest_module
from handlers.queue_data import validate
from handlers.queue_data.generate import generate_decisions
from handlers.queue_data.ingest import ingest_decisions
from handlers.queue_data.validate import Bounds, FileRejected, check_decisions

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture
def frame(workspace) -> pd.DataFrame:
    return generate_decisions(workspace, date(2026, 11, 1), 12, seed=11, scale=2)  # ~68,000 rows


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def problems_of(checked) -> dict[int, str]:
    return {p.line: p.reason for p in checked.problems}


def test_bad_values_in_a_large_file_are_found_exactly(workspace, frame) -> None:
    bad = {
        17: ("completed_at", "2026-11-31T10:00:00+00:00", "completed_at: not an ISO 8601 time"),
        4_000: ("enqueued_at", "soon", "enqueued_at: not an ISO 8601 time"),
        4_001: ("handle_seconds", "12,5", "handle_seconds: not a number"),
        30_000: ("completed_at", "2026-11-05 25:00", "completed_at: not an ISO 8601 time"),
        52_345: ("handle_seconds", "n/a", "handle_seconds: not a number"),
        len(frame) - 1: ("enqueued_at", "2026-13-01T00:00:00", "enqueued_at: not an ISO 8601 time"),
    }
    frame = frame.astype({"handle_seconds": object})
    for row, (column, value, _) in bad.items():
        frame.loc[row, column] = value
    checked = check_decisions(csv_bytes(frame), workspace, workspace.timezone, Bounds(now=NOW))
    assert problems_of(checked) == {row + 2: reason for row, (_, _, reason) in bad.items()}
    assert checked.table.num_rows == len(frame) - len(bad)
    assert checked.rejected.column("line").to_pylist() == sorted(row + 2 for row in bad)


def test_timestamps_outside_a_sane_range_are_invalid(workspace, frame) -> None:
    frame = frame.head(30).copy()
    frame.loc[3, ["enqueued_at", "completed_at"]] = ["1999-12-31T08:00:00+00:00", "1999-12-31T09:00:00+00:00"]
    frame.loc[5, "completed_at"] = "2026-11-21T12:00:01+00:00"  # a day and a second after NOW
    frame.loc[6, "completed_at"] = "2026-11-21T11:00:00+00:00"  # within a day: clocks differ a little
    checked = check_decisions(csv_bytes(frame), workspace, workspace.timezone, Bounds(now=NOW))
    assert problems_of(checked) == {
        5: "enqueued_at: before 2000-01-01; completed_at: before 2000-01-01",
        7: "completed_at: more than a day after now",
    }


def test_vendor_or_site_contradicting_the_queue_is_invalid(workspace, frame) -> None:
    frame = frame.head(20).copy()
    queue = frame.loc[2, "queue"]
    configured = workspace.queue(queue)
    frame.loc[2, "vendor"] = "bluebird" if configured.vendor != "bluebird" else "northwind"
    frame.loc[4, "site"] = "elsewhere"
    frame.loc[6, ["vendor", "site"]] = [None, None]  # empty: taken from the queue
    checked = check_decisions(csv_bytes(frame), workspace, workspace.timezone, Bounds(now=NOW))
    assert problems_of(checked) == {
        4: f"vendor: {frame.loc[2, 'vendor']} is not queue {queue}'s vendor ({configured.vendor})",
        6: f"site: elsewhere is not queue {frame.loc[4, 'queue']}'s site "
        f"({workspace.queue(frame.loc[4, 'queue']).site})",
    }
    filled = checked.table.slice(5, 1).to_pylist()[0]
    assert (filled["vendor"], filled["site"]) == (
        workspace.queue(frame.loc[6, "queue"]).vendor,
        workspace.queue(frame.loc[6, "queue"]).site,
    )


def test_only_the_allowed_queues_are_valid(workspace, frame) -> None:
    frame = frame.head(40)
    bounds = Bounds(now=NOW, queues=frozenset({"graphic-img"}), queues_reason="not yours")
    checked = check_decisions(csv_bytes(frame), workspace, workspace.timezone, bounds)
    expected = {i + 2: "queue: not yours" for i, q in enumerate(frame["queue"]) if q != "graphic-img"}
    assert expected and problems_of(checked) == expected


def test_parquet_row_count_is_checked_from_the_footer(workspace, frame, tmp_path, monkeypatch) -> None:
    path = tmp_path / "big.parquet"
    pq.write_table(pa.Table.from_pandas(frame.head(500), preserve_index=False), path)

    def no_full_read(*args, **kwargs):
        raise AssertionError("the whole file was read")

    monkeypatch.setattr(validate.pq, "read_table", no_full_read)
    with pytest.raises(FileRejected, match=r"500 rows, more than the limit of 100 \(ingest.max_rows\)"):
        check_decisions(path, workspace, workspace.timezone, Bounds(now=NOW, max_rows=100))


def test_csv_over_the_row_limit_is_refused(workspace, frame) -> None:
    with pytest.raises(FileRejected, match=r"more than the limit of 10 \(ingest.max_rows\)"):
        check_decisions(
            csv_bytes(frame.head(11)), workspace, workspace.timezone, Bounds(now=NOW, max_rows=10)
        )


def test_a_parquet_queue_stored_as_a_number_is_an_invalid_row_not_a_crash(workspace, frame, tmp_path) -> None:
    rows = frame.head(3).copy()
    table = pa.Table.from_pandas(rows.assign(queue=[1, 2, 3]), preserve_index=False)
    path = tmp_path / "numbers.parquet"
    pq.write_table(table, path)
    checked = check_decisions(path, workspace, workspace.timezone, Bounds(now=NOW))
    assert checked.table.num_rows == 0
    assert set(problems_of(checked).values()) == {"queue is not in the workspace file"}


def test_blank_lines_do_not_shift_the_line_numbers_of_invalid_rows(workspace, frame) -> None:
    header, first, second, third = csv_bytes(frame.head(3)).decode().splitlines()
    bad = third.replace(third.split(",")[0], "x", 1).split(",")
    bad[frame.columns.get_loc("handle_seconds")] = "soon"  # line 6 of the file, after two blank lines
    text = "\n".join([header, first, "", second, "\r", ",".join(bad)]) + "\n"
    checked = check_decisions(text.encode(), workspace, workspace.timezone, Bounds(now=NOW))
    assert problems_of(checked) == {6: "handle_seconds: not a number"}
    assert checked.table.num_rows == 2


def test_corrupt_parquet_is_refused_with_a_clear_message(workspace) -> None:
    with pytest.raises(FileRejected, match="not a readable Parquet file"):
        check_decisions(b"PAR1" + b"\x00" * 64, workspace, workspace.timezone, Bounds(now=NOW))


async def test_checks_run_off_the_event_loop(db, workspace, frame, monkeypatch) -> None:
    threads: list[int] = []
    real = ingest_module.check_decisions

    def spy(*args, **kwargs):
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "check_decisions", spy)
    await ingest_decisions(db, workspace, csv_bytes(frame.head(100)), "d.csv", now=NOW)
    assert threads and threads[0] != threading.get_ident()
