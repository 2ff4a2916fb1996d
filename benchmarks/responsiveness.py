"""Does the bot keep answering while it ingests a large file and draws charts?

Starts the real bot as a subprocess in HTTP mode against the Slack fake (loopback only), loads four
weeks of example data, then uploads two 1,000,000-row decisions files into the ingest channel the
way Slack announces them (a signed `file_shared` event; the bot downloads the file from the fake):
one with 10 bad rows (checked in full, then refused) and one clean (stored into days that already
hold data). Meanwhile `/digest post` for several days makes the bot draw digest charts
(`posting.chart_png`), and every 100 ms `GET /healthz` and a signed `/quiz help` are sent. Prints
the worst and p99 latency of those probes (target: worst < 300 ms). Bounded by --cap-seconds.

    python benchmarks/responsiveness.py [--rows 1000000] [--cap-seconds 240] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.http_load import command_body, free_port, wait_ready  # noqa: E402
from benchmarks.scratch_db import drop_database, fresh_database  # noqa: E402
from bot.local.state import File  # noqa: E402
from bot.workspace import load_workspace  # noqa: E402
from handlers.queue_data.generate import generate_decisions  # noqa: E402
from tests.e2e.harness import seeded_fake  # noqa: E402
from tests.fakes.signing import event_body, sign, signed_headers, slash_command_body  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-test"  # the token seeded_fake's workspace accepts
CHANNEL = "C0QAOPS01"
ADMIN = "U0QALEAD1"
BAD_ROWS = 10


def decision_files(rows: int) -> tuple[bytes, bytes]:
    """A clean file of `rows` decisions over the last four weeks, and the same with BAD_ROWS bad values."""
    workspace = load_workspace(ROOT / "examples" / "workspace.yml")
    start = datetime.now(UTC).date() - timedelta(days=29)
    frame = generate_decisions(workspace, start, 28, seed=11, scale=rows / 60_000)
    frame = frame.head(rows).astype({"handle_seconds": object}).reset_index(drop=True)
    clean = frame.to_csv(index=False).encode()
    step = len(frame) // BAD_ROWS
    for k in range(BAD_ROWS):
        column, value = [
            ("completed_at", "2026-02-30T10:00:00"),
            ("enqueued_at", "soon"),
            ("handle_seconds", "n/a"),
        ][k % 3]
        frame.loc[k * step + 7, column] = value
    return clean, frame.to_csv(index=False).encode()


def workspace_file(tmp: str) -> Path:
    """The example workspace without its watched folder (the uploads are what is measured)."""
    data = yaml.safe_load((ROOT / "examples" / "workspace.yml").read_text())
    data["ingest"].pop("watch_dir", None)
    path = Path(tmp) / "workspace.yml"
    path.write_text(yaml.safe_dump(data))
    return path


async def share(session: aiohttp.ClientSession, url: str, fake, name: str, data: bytes) -> str:
    """Put a file into the channel as Slack would and send the signed file_shared event."""
    state = fake.state
    file = File(state.new_id("F"), name, name, data=data, length=len(data), user=ADMIN)
    state.files[file.id] = file
    message = state.post(CHANNEL, ADMIN, time.time(), text="", files=[file.id])
    file.channel, file.ts = CHANNEL, message.ts
    event = {"type": "file_shared", "channel_id": CHANNEL, "file_id": file.id, "user_id": ADMIN,
             "file": {"id": file.id}, "event_ts": message.ts}  # fmt: skip
    body = event_body(event, f"Ev{file.id}")
    async with session.post(url, data=body, headers=signed_headers(SECRET, "event", body)) as response:
        await response.read()
    return message.ts


async def probe(session: aiohttp.ClientSession, base: str, kind: str, latencies: list[float]) -> None:
    start = time.perf_counter()
    if kind == "healthz":
        async with session.get(f"{base}/healthz") as response:
            await response.read()
    else:
        body = command_body("help")
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body)}
        async with session.post(f"{base}/slack/events", data=body, headers=headers) as response:
            await response.read()
    latencies.append(time.perf_counter() - start)


async def digest_posts(session: aiohttp.ClientSession, url: str, fake, days: int) -> None:
    """`/digest post` for the last few days, two seconds apart: each draws a chart in the bot."""
    today = datetime.now(UTC).date()
    for back in range(1, days + 1):
        text = f"post {(today - timedelta(days=back)).isoformat()}"
        body = slash_command_body(
            "/digest",
            text,
            ADMIN,
            "C0DIGEST1",
            fake.new_response_url("C0DIGEST1", ADMIN),
            fake.new_trigger_id(ADMIN),
        )
        async with session.post(
            url, data=body, headers=signed_headers(SECRET, "slash_command", body)
        ) as response:
            await response.read()
        await asyncio.sleep(2)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cap-seconds", type=float, default=240.0)
    parser.add_argument(
        "--database-url", help="a PostgreSQL server to make a fresh database on (default: a new SQLite file)"
    )
    parser.add_argument("--charts", type=int, default=5, help="digests posted (each draws a chart) meanwhile")
    args = parser.parse_args()

    began = time.perf_counter()
    clean, bad = decision_files(args.rows)
    made = time.perf_counter() - began
    print(f"files: {args.rows:,} rows each, {len(clean) / 1e6:.0f} MB (made in {made:.0f} s)")
    workspace = load_workspace(ROOT / "examples" / "workspace.yml")
    fake = seeded_fake(workspace)
    await fake.start()
    tmp = tempfile.mkdtemp(prefix="tsqa-responsive-")
    database_url = await fresh_database(args.database_url) if args.database_url else None
    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": database_url or f"sqlite+aiosqlite:///{tmp}/bench.db",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "TSQA_WORKSPACE": str(workspace_file(tmp)),
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run([sys.executable, "-m", "bot.cli", "ingest", "example", "--days", "28"], env=env, cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    latencies: dict[str, list[float]] = {"healthz": [], "quiz": []}
    try:
        await wait_ready(f"{base}/healthz")
        async with aiohttp.ClientSession() as session:
            for _ in range(20):  # warm-up: imports, caches
                await probe(session, base, "quiz", [])
            probes: set[asyncio.Task] = set()
            started = time.perf_counter()
            threads = [
                await share(session, f"{base}/slack/events", fake, "bad-rows.csv", bad),
                await share(session, f"{base}/slack/events", fake, "clean.csv", clean),
            ]
            charts = asyncio.create_task(digest_posts(session, f"{base}/slack/events", fake, args.charts))
            answers: list[str] = []
            deadline = started + args.cap_seconds
            while time.perf_counter() < deadline:
                for kind in latencies:
                    task = asyncio.create_task(probe(session, base, kind, latencies[kind]))
                    probes.add(task)
                    task.add_done_callback(probes.discard)
                await asyncio.sleep(0.1)
                answers = [r.text for ts in threads for r in fake.messages_in(CHANNEL, thread_ts=ts)[1:]]
                if len(answers) == len(threads) and charts.done():
                    break
            elapsed = time.perf_counter() - started
            await asyncio.gather(*probes, charts, return_exceptions=True)
    finally:
        bot.terminate()
        bot.wait(timeout=30)
        await fake.stop()
        if database_url:
            await drop_database(database_url)

    charts_drawn = len(fake.calls_to("files.completeUploadExternal"))
    print(f"database: {env['DATABASE_URL'].split('@')[-1]}")
    print(f"ingest answers after {elapsed:.1f} s ({len(answers)} of 2):")
    for answer in answers:
        print("  " + answer.splitlines()[0][:160])
    print(f"charts uploaded meanwhile: {charts_drawn}")
    print(f"{'probe':<10}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}{'worst ms':>10}")
    worst = 0.0
    for kind, values in latencies.items():
        if not values:
            continue
        worst = max(worst, max(values))
        print(
            f"{kind:<10}{len(values):>7}{percentile(values, 0.5) * 1000:>9.1f}"
            f"{percentile(values, 0.99) * 1000:>9.1f}{max(values) * 1000:>10.1f}"
        )
    print(f"worst {worst * 1000:.0f} ms (target < 300 ms): {'meets' if worst < 0.3 else 'misses'} the target")


if __name__ == "__main__":
    asyncio.run(main())
