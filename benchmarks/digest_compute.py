"""The digest's compute path against a plain DuckDB query over the same CSV.

(a) bot: read_decisions + daily_aggregates (all levels) + build_digest for one day;
(b) DuckDB: per-queue-per-day count, SLA share, mean handle time, distinct labelers, audited and agreeing
counts, straight from the CSV with SQL. Each run is a fresh subprocess whose peak RSS comes from wait4;
runs alternate, best of `--runs`. Both sides' per-queue-per-day numbers are compared.
Targets: bot time <= 1.5x DuckDB, bot peak RSS <= 2 GB.

    python benchmarks/digest_compute.py [--rows 5000000] [--runs 3] [--data PATH] [--workspace PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.workspace import Workspace, load_workspace  # noqa: E402

KEYS = ("output", "sla_adherence", "aht_seconds", "active_labelers", "audited", "agreed")
CSV_TYPES = {
    "item_id": "VARCHAR",
    "queue": "VARCHAR",
    "vendor": "VARCHAR",
    "site": "VARCHAR",
    "labeler_id": "VARCHAR",
    "enqueued_at": "TIMESTAMPTZ",
    "completed_at": "TIMESTAMPTZ",
    "handle_seconds": "DOUBLE",
    "decision": "VARCHAR",
    "qa_decision": "VARCHAR",
}


def bot_side(data: Path, ws: Workspace) -> dict[str, Any]:
    """The bot's path, timed per stage; the digest day is the latest day in the data."""
    from handlers.digest.metrics import build_digest
    from handlers.queue_data.aggregate import daily_aggregates
    from handlers.queue_data.frames import read_decisions

    started = time.perf_counter()
    table = read_decisions(data, ws.timezone)
    read = time.perf_counter()
    aggregates = daily_aggregates(table, ws, ws.timezone)
    totals = aggregates.totals  # every level, as the store would keep them
    aggregated = time.perf_counter()
    day = max(totals["day"])
    digest = build_digest(day, aggregates, ws)
    finished = time.perf_counter()
    queues = totals[totals["level"] == "queue"]
    rows = {
        f"{r.day}|{r.key}": [
            int(r.output),
            r.sla_met / r.output,
            r.handle_sum / r.output,
            int(r.active_labelers),
            int(r.audited),
            int(r.agreed),
        ]
        for r in queues.itertuples(index=False)
    }
    stages = {"read": read - started, "aggregate": aggregated - read, "digest": finished - aggregated}
    return {
        "seconds": finished - started,
        "stages": stages,
        "rows": rows,
        "digest_outputs": {q["id"]: q["output"] for q in digest["queues"]},
        "day": str(day),
    }


def duckdb_side(data: Path, ws: Workspace) -> dict[str, Any]:
    """The reference: one SQL query over the CSV with explicit column types."""
    import duckdb

    started = time.perf_counter()
    header = data.open(encoding="utf-8").readline().strip().replace('"', "").split(",")
    columns = "{" + ", ".join(f"'{c}': '{CSV_TYPES.get(c, 'VARCHAR')}'" for c in header) + "}"
    slas = ", ".join(f"('{q.id}', {q.targets.sla_seconds})" for q in ws.queues)
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{ws.timezone}'")  # naive timestamps are local
    result = con.execute(f"""
        WITH q(queue, sla) AS (VALUES {slas})
        SELECT CAST(timezone('{ws.timezone}', d.completed_at) AS DATE) AS day, d.queue, count(*) AS output,
               avg(CASE WHEN epoch_us(d.completed_at) - epoch_us(d.enqueued_at) <= q.sla * 1000000::BIGINT
                   THEN 1 ELSE 0 END) AS sla_adherence,
               avg(d.handle_seconds) AS aht_seconds, count(DISTINCT d.labeler_id) AS active_labelers,
               count(nullif(d.qa_decision, '')) AS audited,
               count(*) FILTER (WHERE d.qa_decision = d.decision) AS agreed
        FROM read_csv('{data}', header = true, columns = {columns}) d JOIN q ON d.queue = q.queue
        GROUP BY ALL
    """).fetchall()
    seconds = time.perf_counter() - started
    rows = {f"{r[0]}|{r[1]}": [int(r[2]), r[3], r[4], int(r[5]), int(r[6]), int(r[7])] for r in result}
    return {"seconds": seconds, "rows": rows}


def run_side(side: str, data: Path, workspace: Path) -> tuple[dict[str, Any], int]:
    """One fresh subprocess; returns its JSON report and its own peak RSS in bytes (wait4, not cumulative)."""
    command = [sys.executable, __file__, "--side", side, "--data", str(data), "--workspace", str(workspace)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{side} run failed with exit code {child.returncode}")
    return json.loads(output), usage.ru_maxrss * 1024  # Linux reports KiB


def compare(bot: dict[str, list], duck: dict[str, list]) -> list[str]:
    problems = [
        f"only in {name}: {key}"
        for name, a, b in (("bot", bot, duck), ("duckdb", duck, bot))
        for key in sorted(set(a) - set(b))
    ]
    for key in sorted(set(bot) & set(duck)):
        for name, x, y in zip(KEYS, bot[key], duck[key], strict=True):
            if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
                problems.append(f"{key} {name}: bot {x} != duckdb {y}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--workspace", type=Path, default=ROOT / "examples" / "workspace.yml")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--side", choices=["bot", "duckdb"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    ws = load_workspace(args.workspace)
    label = f"{args.rows // 1_000_000}m" if args.rows % 1_000_000 == 0 else str(args.rows)
    data = args.data or ROOT / "benchmarks" / "data" / f"decisions-{label}.csv"
    if args.side:
        report = bot_side(data, ws) if args.side == "bot" else duckdb_side(data, ws)
        print(json.dumps(report))
        return 0
    if not data.exists():
        from handlers.queue_data.generate import write_decisions_csv

        data.parent.mkdir(parents=True, exist_ok=True)
        print(f"generating {args.rows:,} rows into {data} ...", flush=True)
        write_decisions_csv(data, args.rows, ws, args.seed, vendor_site=False)
    print(f"data: {data} ({data.stat().st_size / 1e6:.0f} MB)")
    best: dict[str, tuple[float, dict[str, Any]]] = {}
    peak = {"bot": 0, "duckdb": 0}
    for run in range(1, args.runs + 1):
        line = []
        for side in ("bot", "duckdb") if run % 2 else ("duckdb", "bot"):
            report, rss = run_side(side, data, args.workspace)
            peak[side] = max(peak[side], rss)
            if side not in best or report["seconds"] < best[side][0]:
                best[side] = (report["seconds"], report)
            line.append(f"{side} {report['seconds']:.2f} s ({rss / 2**20:.0f} MB)")
        print(f"run {run}: " + ", ".join(line), flush=True)
    bot_s, bot = best["bot"]
    duck_s, duck = best["duckdb"]
    ratio = bot_s / duck_s
    stages = ", ".join(f"{k} {v:.2f} s" for k, v in bot["stages"].items())
    print(f"bot    best {bot_s:.2f} s ({stages}); peak RSS {peak['bot'] / 2**20:.0f} MB")
    print(f"duckdb best {duck_s:.2f} s; peak RSS {peak['duckdb'] / 2**20:.0f} MB")
    verdict = "ok" if ratio <= 1.5 else "MISSED"
    memory = "ok" if peak["bot"] <= 2 * 2**30 else "MISSED"
    print(f"ratio bot/duckdb {ratio:.2f} (target <= 1.5: {verdict}); bot memory target <= 2 GB: {memory}")
    problems = compare(bot["rows"], duck["rows"])
    day_outputs = {k.split("|")[1]: v[0] for k, v in bot["rows"].items() if k.startswith(bot["day"] + "|")}
    if day_outputs != {k: v for k, v in bot["digest_outputs"].items() if v}:
        problems.append(f"digest of {bot['day']} {bot['digest_outputs']} != aggregates {day_outputs}")
    for problem in problems[:20]:
        print("MISMATCH", problem)
    print(f"check: {len(bot['rows'])} queue-days, {len(problems)} mismatches")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
