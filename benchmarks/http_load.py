"""Closed-loop load of signed slash commands over loopback: the bot against a bare slack-bolt app.

Both servers run as subprocesses against the same Slack fake; the load is bounded in count and time.
Prints throughput and p50/p99 latency for each and their ratio (target: bot >= 0.7x bare, p99 < 100 ms).

    python benchmarks/http_load.py [--requests 5000] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.local.webapi import SlackWebAPI  # noqa: E402
from tests.fakes.signing import sign  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command_body(text: str) -> bytes:
    return urlencode(
        {
            "token": "x",
            "team_id": "T0TEST01",
            "team_domain": "bench",
            "channel_id": "C0QAOPS01",
            "channel_name": "qa-ops",
            "user_id": "U0LABEL01",
            "user_name": "lee",
            "command": "/quiz",
            "text": text,
            "api_app_id": "A0TEST01",
            "is_enterprise_install": "false",
            "response_url": "http://127.0.0.1:9/unused",
            "trigger_id": "1.2.bench",
        }
    ).encode()


async def wait_ready(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def load(url: str, requests: int, concurrency: int, cap_seconds: float) -> dict[str, float]:
    """`concurrency` workers each send the next request when the previous answered, until done."""
    body = command_body("help")
    latencies: list[float] = []
    errors = 0
    remaining = requests
    deadline = time.monotonic() + cap_seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal remaining, errors
            while remaining > 0 and time.monotonic() < deadline:
                remaining -= 1
                headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body)}
                start = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - start)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cmd, env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--cap-seconds", type=float, default=60.0)
    args = parser.parse_args()

    fake = SlackWebAPI(bot_token=TOKEN)
    await fake.start()
    tmp = tempfile.mkdtemp(prefix="tsqa-bench-")
    bot_port, bare_port = free_port(), free_port()
    common = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url}
    bot = start(
        [sys.executable, "-m", "bot.cli", "run"],
        {
            **common,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
            "HOST": "127.0.0.1",
            "PORT": str(bot_port),
            "TSQA_WORKSPACE": str(ROOT / "examples" / "workspace.yml"),
            "LOG_LEVEL": "INFO",
        },
    )
    bare = start([sys.executable, str(ROOT / "benchmarks" / "bare_bolt_app.py"), str(bare_port)], common)
    try:
        await wait_ready(f"http://127.0.0.1:{bot_port}/healthz")
        await wait_ready(f"http://127.0.0.1:{bare_port}/slack/events")
        results = {}
        for name, port in (("bare slack-bolt", bare_port), ("tsqa-bot", bot_port)):
            url = f"http://127.0.0.1:{port}/slack/events"
            await load(url, 300, args.concurrency, 20)  # warm-up: imports, auth.test, caches
            results[name] = await load(url, args.requests, args.concurrency, args.cap_seconds)
    finally:
        for process in (bot, bare):
            process.terminate()
            process.wait(timeout=15)
        await fake.stop()

    print(f"/quiz help, {args.concurrency} concurrent, closed loop, loopback")
    print(f"{'server':<16}{'requests':>10}{'errors':>8}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for name, r in results.items():
        print(
            f"{name:<16}{r['requests']:>10}{r['errors']:>8}{r['rps']:>10.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
        )
    ratio = results["tsqa-bot"]["rps"] / results["bare slack-bolt"]["rps"]
    p99 = results["tsqa-bot"]["p99_ms"]
    verdict = "meets" if ratio >= 0.7 and p99 < 100 else "misses"
    print(
        f"throughput ratio tsqa-bot / bare = {ratio:.2f} (target >= 0.70); bot p99 {p99:.1f} ms "
        f"(target < 100): {verdict} the target"
    )


if __name__ == "__main__":
    asyncio.run(main())
