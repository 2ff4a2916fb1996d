"""The data and the reference side of `ingest_load.py`: the CSV it times (generated once under
benchmarks/data/, reused), and each database's own bulk load of that file into a plain table with the CSV's
columns (SQLite `sqlite3 .import`, PostgreSQL `psql \\copy`).

Imported by `ingest_load.py` once it has put the repository root on `sys.path`.
"""

from __future__ import annotations

import csv
import os
import resource
import subprocess
import time
import uuid
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.workspace import Workspace

REAL_COLUMNS = {"handle_seconds"}


# -------------------------------------------------------------------------------------------- data


def count_lines(path: Path) -> int:
    lines = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 24):
            lines += block.count(b"\n")
    return lines


def ensure_data(path: Path, rows: int, ws: Workspace, vendor_site: bool) -> Path:
    """Reuse the file when it holds exactly `rows` rows, else write it (to a temporary name first)."""
    if path.exists() and count_lines(path) == rows + 1:
        print(f"data: reusing {path} ({path.stat().st_size / 1e6:.0f} MB)")
        return path
    from handlers.queue_data.generate import write_decisions_csv

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    started = time.perf_counter()
    try:
        written = write_decisions_csv(partial, rows, ws, seed=1, vendor_site=vendor_site)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    took = time.perf_counter() - started
    print(f"data: wrote {written:,} rows, {path.stat().st_size / 1e6:.0f} MB to {path} in {took:.1f} s")
    return path


def csv_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle))


def ingest_now(path: Path) -> datetime:
    """Just after the data's last completion, so no row counts as expired."""
    import pyarrow.compute as pc

    from handlers.queue_data.frames import read_decisions

    latest = pc.max(read_decisions(path, "UTC")["completed_at"]).as_py()
    return latest + timedelta(minutes=1)


def warm_cache(path: Path) -> None:
    """Read the file once so both sides start with it in the page cache."""
    with path.open("rb") as handle:
        while handle.read(1 << 24):
            pass


# --------------------------------------------------------------------------------- reference loads


def raw_table_sql(header: list[str], pg: bool) -> str:
    def kind(name: str) -> str:
        if name in REAL_COLUMNS:
            return "DOUBLE PRECISION" if pg else "REAL"
        return "TEXT"

    columns = ", ".join(f'"{name}" {kind(name)}' for name in header)
    return f"CREATE TABLE decisions_raw ({columns})"


def remove_sqlite(db: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def sqlite_reference(
    data: Path, header: list[str], workdir: Path, timeout: float
) -> tuple[float, float, int]:
    """Seconds, CPU seconds and rows of `.import` into a fresh file."""
    db = workdir / f"reference-{uuid.uuid4().hex[:8]}.db"
    try:
        subprocess.run(["sqlite3", str(db), raw_table_sql(header, pg=False)], check=True, timeout=timeout)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            ["sqlite3", str(db), ".mode csv", f'.import --skip 1 "{data}" decisions_raw'],
            check=True,
            timeout=timeout,
        )
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        count = subprocess.run(
            ["sqlite3", str(db), "SELECT count(*) FROM decisions_raw"],
            check=True,
            timeout=timeout,
            capture_output=True,
            text=True,
        )
        return seconds, cpu, int(count.stdout.strip())
    finally:
        remove_sqlite(db)


def _psql_env_args(url: Any, database: str) -> tuple[list[str], dict[str, str]]:
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", url.host or "127.0.0.1"]
    command += ["-p", str(url.port or 5432), "-U", url.username or "postgres", "-d", database]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return command, env


def psql(url: Any, database: str, sql: str, timeout: float) -> str:
    command, env = _psql_env_args(url, database)
    done = subprocess.run(
        [*command, "-At", "-c", sql], check=True, timeout=timeout, env=env, capture_output=True, text=True
    )
    return done.stdout.strip()


def checkpoint(url: Any, database: str, timeout: float) -> None:
    """Flush the previous step's dirty pages first, so neither side pays for the other's writes
    (best effort: CHECKPOINT needs superuser or pg_checkpoint)."""
    with suppress(subprocess.CalledProcessError):
        psql(url, database, "CHECKPOINT", timeout)


def postgres_reference(
    url: Any, database: str, data: Path, header: list[str], timeout: float
) -> tuple[float, int]:
    psql(url, database, "DROP TABLE IF EXISTS decisions_raw", timeout)
    psql(url, database, raw_table_sql(header, pg=True), timeout)
    path = str(data).replace("'", "''")
    checkpoint(url, database, timeout)
    started = time.perf_counter()
    psql(url, database, f"\\copy decisions_raw FROM '{path}' CSV HEADER", timeout)
    seconds = time.perf_counter() - started
    count = int(psql(url, database, "SELECT count(*) FROM decisions_raw", timeout))
    psql(url, database, "DROP TABLE decisions_raw", timeout)
    return seconds, count
