"""The bot's decisions ingest against each database's own bulk load of the same CSV, in the same run.

(a) bot: `ingest_decisions` (check every row, store in one transaction, refresh the touched days) into a
    fresh migrated database, with `now` just after the data's last day (nothing counts as expired);
(b) reference: SQLite `sqlite3 DB ".mode csv" ".import --skip 1 FILE decisions_raw"` and PostgreSQL
    `psql -c "\\copy decisions_raw FROM 'FILE' CSV HEADER"`, each into a fresh table whose columns are the
    CSV's own (TEXT, `handle_seconds` REAL): the file loaded as it is, no key, no check.
Target: bot time <= 3x the reference, per database (wall clock; with --runs N the best of each side).
The bot's phases are timed too, to show where the time goes; on SQLite both sides' CPU time is shown as
well, a steadier figure on a busy machine. Before timing: the file is read once (page cache), one small
untimed ingest warms this process up (the bot is long-running), and on PostgreSQL a CHECKPOINT precedes
each side. Fresh databases live in a temporary directory (SQLite) or are created and dropped
(PostgreSQL); the CSV is generated once under benchmarks/data/ (gitignored) and reused.

    python benchmarks/ingest_load.py [--rows 1000000] [--only sqlite|postgres] [--runs 1] [--data PATH]
        [--with-vendor-site] [--workspace PATH] [--postgres-url URL] [--timeout 900] [--no-warm-up]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest_refs import (  # noqa: E402  (benchmarks/, the script's own folder, is on sys.path)
    checkpoint,
    count_lines,
    csv_header,
    ensure_data,
    ingest_now,
    postgres_reference,
    psql,
    remove_sqlite,
    sqlite_reference,
    warm_cache,
)

from bot.workspace import Workspace, load_workspace  # noqa: E402

TARGET = 3.0
WARM_UP_ROWS = 2_000
DEFAULT_PG = os.environ.get("TSQA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
# The bot's steps, timed by wrapping module attributes for the run: (label, part of, module, attribute).
# A step not found (renamed since) is just not reported; time outside the top-level steps is shown as
# "commit + rest".
PHASES = [
    ("validate", None, "handlers.queue_data.ingest", "check_decisions"),
    ("expiry check", None, "handlers.queue_data.ingest", "_drop_expired"),
    ("store", None, "storage.queue_data", "store_decisions"),
    ("to columns", "store", "storage.queue_data", "_decision_table"),
    ("insert", "store", "storage.queue_data", "_bulk_insert_ignore"),
    ("refresh", None, "handlers.queue_data.ingest", "refresh_days"),
    ("count", "refresh", "storage.queue_data", "count_decisions_between"),
    ("read back", "refresh", "storage.queue_data", "decisions_between"),
    ("aggregate", "refresh", "handlers.queue_data.ingest", "daily_aggregates"),
    ("write days", "refresh", "storage.queue_data", "replace_daily"),
    ("add to days", "refresh", "handlers.queue_data.ingest", "_added"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--runs", type=int, default=1, help="runs per database; the best of each side counts")
    parser.add_argument("--data", type=Path, help="the CSV (default benchmarks/data/decisions-ingest-N.csv)")
    parser.add_argument("--workspace", type=Path, default=ROOT / "examples" / "workspace.yml")
    parser.add_argument("--with-vendor-site", action="store_true", help="generate vendor and site columns")
    parser.add_argument("--postgres-url", default=DEFAULT_PG, help="server (and database to connect to)")
    parser.add_argument("--workdir", type=Path, default=None, help="where the SQLite files go (default: tmp)")
    parser.add_argument("--no-warm-up", action="store_true", help="time the first ingest of a fresh process")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds allowed per step")
    args = parser.parse_args(argv)
    if args.rows <= 0 or args.runs <= 0:
        parser.error("--rows and --runs must be positive")

    ws = load_workspace(args.workspace)
    suffix = "-vs" if args.with_vendor_site else ""
    if args.data is not None and args.data.exists():  # a given file is used as it is, never rewritten
        data = args.data.resolve()
        args.rows = count_lines(data) - 1
        print(f"data: {data} ({args.rows:,} rows, {data.stat().st_size / 1e6:.0f} MB)")
    else:
        default = ROOT / "benchmarks" / "data" / f"decisions-ingest-{args.rows}{suffix}.csv"
        data = ensure_data((args.data or default).resolve(), args.rows, ws, args.with_vendor_site)
    header = csv_header(data)
    now = ingest_now(data)
    warm_cache(data)
    print(f"rows {args.rows:,}; columns {', '.join(header)}; ingest now={now:%Y-%m-%d %H:%M} UTC")

    args.workdir = Path(tempfile.mkdtemp(prefix="tsqa-ingest-", dir=args.workdir))
    verdicts: list[bool] = []
    try:
        if not args.no_warm_up:
            took = warm_up(data, ws, now, args.workdir, args.timeout)
            print(
                f"warm-up: a {WARM_UP_ROWS:,}-row ingest into a throwaway SQLite file, {took:.2f} s (untimed)"
            )
        if args.only in (None, "sqlite"):
            verdicts.append(run_sqlite(data, header, ws, now, args))
        if args.only in (None, "postgres"):
            outcome = run_postgres(data, header, ws, now, args)
            if outcome is not None:
                verdicts.append(outcome)
    finally:
        shutil.rmtree(args.workdir, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process: {peak:,.0f} MB")
    return 0 if verdicts and all(verdicts) else 1


# ------------------------------------------------------------------------------------ per database


def run_sqlite(data: Path, header: list[str], ws: Workspace, now: datetime, args: argparse.Namespace) -> bool:
    print("\nSQLite")
    best_ref = best_bot = float("inf")
    valid = True
    for run in range(args.runs):
        ref_seconds, ref_cpu, ref_rows = sqlite_reference(data, header, args.workdir, args.timeout)
        print_reference("sqlite3 .import", ref_seconds, ref_rows, run, ref_cpu)
        db = args.workdir / f"bot-{uuid.uuid4().hex[:8]}.db"
        try:
            result = bot_ingest(f"sqlite+aiosqlite:///{db}", data, ws, now, args.timeout)
        finally:
            remove_sqlite(db)
        print_bot(result, args.rows)
        valid &= _counts_agree(ref_rows, result["stored"], args.rows)
        best_ref, best_bot = min(best_ref, ref_seconds), min(best_bot, result["seconds"])
    return verdict("SQLite", best_bot, best_ref, "sqlite3 .import", args.runs, valid)


def run_postgres(
    data: Path, header: list[str], ws: Workspace, now: datetime, args: argparse.Namespace
) -> bool | None:
    from sqlalchemy.engine import make_url

    print("\nPostgreSQL")
    server = make_url(args.postgres_url)
    admin_db = server.database or "postgres"
    try:
        version = psql(server, admin_db, "SHOW server_version", args.timeout)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, FileNotFoundError) as exc:
        print(f"  skipped: PostgreSQL at {server.render_as_string(hide_password=True)} is not usable: {exc}")
        return None
    print(f"  server {version} at {server.host}:{server.port or 5432}")
    best_ref = best_bot = float("inf")
    valid = True
    for run in range(args.runs):
        name = f"tsqa_ingest_bench_{uuid.uuid4().hex[:10]}"
        psql(server, admin_db, f'CREATE DATABASE "{name}"', args.timeout)
        try:
            ref_seconds, ref_rows = postgres_reference(server, name, data, header, args.timeout)
            print_reference("psql \\copy", ref_seconds, ref_rows, run)
            url = server.set(database=name).render_as_string(hide_password=False)
            checkpoint(server, name, args.timeout)
            result = bot_ingest(url, data, ws, now, args.timeout)
            del result["cpu"]  # this process's share only: the server does the rest
            print_bot(result, args.rows)
            valid &= _counts_agree(ref_rows, result["stored"], args.rows)
        finally:
            psql(server, admin_db, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', args.timeout)
        best_ref, best_bot = min(best_ref, ref_seconds), min(best_bot, result["seconds"])
    return verdict("PostgreSQL", best_bot, best_ref, "psql \\copy", args.runs, valid)


def _counts_agree(reference: int, stored: int, rows: int) -> bool:
    if reference == rows and stored == rows:
        return True
    print(f"  WARNING: expected {rows:,} rows, reference loaded {reference:,}, bot stored {stored:,}")
    return False


def verdict(name: str, bot: float, reference: float, what: str, runs: int, valid: bool) -> bool:
    ratio = bot / reference
    meets = ratio <= TARGET and valid
    best = f"best of {runs}, " if runs > 1 else ""
    print(f"  ratio {ratio:.2f}x ({best}bot {bot:.2f} s / {what} {reference:.2f} s)")
    word = "meets" if meets else "misses"
    why = "" if valid else "; row counts differ, so the comparison does not hold"
    print(f"VERDICT {name}: {word} the <= {TARGET:g}x target ({ratio:.2f}x{why})")
    return meets


# ---------------------------------------------------------------------------------- the bot's side


def warm_up(data: Path, ws: Workspace, now: datetime, workdir: Path, timeout: float) -> float:
    """One small ingest first, so the one-time costs of a fresh process (imports, Arrow and DuckDB set-up,
    time zone data) are not charged to the timed run: the bot is a long-running process."""
    sample = workdir / "warm-up.csv"
    with data.open("rb") as source, sample.open("wb") as target:
        for _, line in zip(range(WARM_UP_ROWS + 1), source, strict=False):
            target.write(line)
    db = workdir / "warm-up.db"
    try:
        return bot_ingest(f"sqlite+aiosqlite:///{db}", sample, ws, now, timeout)["seconds"]
    finally:
        remove_sqlite(db)
        sample.unlink(missing_ok=True)


def bot_ingest(url: str, data: Path, ws: Workspace, now: datetime, timeout: float) -> dict[str, Any]:
    return asyncio.run(asyncio.wait_for(_bot_ingest(url, data, ws, now), timeout))


async def _bot_ingest(url: str, data: Path, ws: Workspace, now: datetime) -> dict[str, Any]:
    from sqlalchemy import func, select

    from handlers.queue_data.ingest import ingest_decisions
    from storage.engine import Database
    from storage.migrate import upgrade
    from storage.models.digest import Decision

    db = Database(url)
    try:
        await upgrade(db)
        phases = Phases()
        with phases.installed():
            started, cpu = time.perf_counter(), time.process_time()
            report = await ingest_decisions(db, ws, data, data.name, now=now)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        async with db.transaction() as session:
            stored = await session.scalar(select(func.count()).select_from(Decision))
    finally:
        await db.dispose()
    return {
        "seconds": seconds,
        "cpu": cpu,
        "phases": phases.seconds,
        "stored": int(stored or 0),
        "report": report,
    }


class Phases:
    """Wraps the bot's steps for the duration of a run and sums the time spent in each."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def _wrap(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        if asyncio.iscoroutinefunction(fn):

            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return await fn(*args, **kwargs)
                finally:
                    self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started

            return timed_async

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started

        return timed

    @contextmanager
    def installed(self) -> Iterator[Phases]:
        import importlib

        saved: list[tuple[Any, str, Any]] = []
        try:
            for label, _, module_name, attribute in PHASES:
                module = importlib.import_module(module_name)
                original = getattr(module, attribute, None)
                if original is None:  # renamed since: that phase just goes unreported
                    continue
                saved.append((module, attribute, original))
                setattr(module, attribute, self._wrap(label, original))
            yield self
        finally:
            for module, attribute, original in reversed(saved):
                setattr(module, attribute, original)


# ---------------------------------------------------------------------------------------- printing


def print_reference(label: str, seconds: float, rows: int, run: int, cpu: float | None = None) -> None:
    used = f"  cpu {cpu:.2f} s" if cpu is not None else ""
    rate = f"{rows / seconds:>10,.0f} rows/s"
    print(f"  {label:<15}{seconds:8.2f} s  {rate}{used}  ({rows:,} rows)  [run {run + 1}]")


def print_bot(result: dict[str, Any], rows: int) -> None:
    report = result["report"]
    seconds = result["seconds"]
    cpu = f"  cpu {result['cpu']:.2f} s" if "cpu" in result else ""
    print(f"  {'bot ingest':<15}{seconds:8.2f} s  {rows / seconds:>10,.0f} rows/s{cpu}  ({report.summary()})")
    timed = result["phases"]
    parts, top = [], 0.0
    for label in dict.fromkeys(label for label, parent, _, _ in PHASES if parent is None):
        if label not in timed:
            continue
        top += timed[label]
        inner = dict.fromkeys(sub for sub, parent, _, _ in PHASES if parent == label and sub in timed)
        detail = ", ".join(f"{sub} {timed[sub]:.2f}" for sub in inner if timed[sub] >= 0.005)
        parts.append(f"{label} {timed[label]:.2f}" + (f" ({detail})" if detail else ""))
    parts.append(f"commit + rest {max(0.0, seconds - top):.2f}")
    print(f"    phases (s): {' | '.join(parts)}")


if __name__ == "__main__":
    sys.exit(main())
