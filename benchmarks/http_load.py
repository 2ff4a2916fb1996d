"""Closed-loop load of signed slash commands over loopback: the bot against bare slack-bolt apps.

All servers run as subprocesses against the same Slack fake; the load is bounded in count and time.
The references (bare_bolt_app.py): Bolt's defaults, Bolt awaiting its listener as the bot has it,
that answering with the bot's own help (the same bytes on the wire), and that after one turn of the
event loop as the bot answers (like for like: the loop turn alone makes answers under load cheaper).
Each is measured with every request from one user ID and with requests spread over many user IDs
(per-user work such as role lookups or locks shows as a gap between the two). Prints throughput and
p50/p99 latency and the server's CPU time per request for each, and the ratios (target: bot >= 0.9x
bare, p99 < 60 ms); the CPU ratio is the steadier one when other work shares the machine.

    python benchmarks/http_load.py [--requests 5000] [--concurrency 50] [--users 500]
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


def command_body(text: str, user: str = "U0LABEL01", command: str = "/quiz") -> bytes:
    return urlencode(
        {
            "token": "x",
            "team_id": "T0TEST01",
            "team_domain": "bench",
            "channel_id": "C0QAOPS01",
            "channel_name": "qa-ops",
            "user_id": user,
            "user_name": "lee",
            "command": command,
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


def bodies_for(users: int) -> list[bytes]:
    """`/quiz help` from `users` distinct user IDs (one: all from the same person)."""
    return [command_body("help", f"U0BENCH{n:04d}" if users > 1 else "U0LABEL01") for n in range(users)]


async def load(
    url: str,
    requests: int,
    concurrency: int,
    cap_seconds: float,
    users: int = 1,
    bodies: list[bytes] | None = None,
) -> dict[str, float]:
    """`concurrency` workers each send the next request when the previous answered, until done;
    the requests cycle through `bodies` (default: `/quiz help` from `users` user IDs)."""
    bodies = bodies or bodies_for(users)
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
                body = bodies[remaining % len(bodies)]
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


def cpu_seconds(pid: int) -> float:
    """CPU time the server has used (user + system, Linux): per request it does not depend on what
    else the shared machine is running, unlike throughput."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cmd, env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


# Bolt's defaults poll for the ack every 10 ms; the bot, like `awaited`, has Bolt await its listener.
# Those two ack empty; `answering` acks with the bot's own help, so both send the same bytes;
# `yielding` does so after one turn of the event loop, as the bot does: like for like.
BARE = "bare slack-bolt"
AWAITED = "bare, awaited"
ANSWERING = "bare, answering"
YIELDING = "bare, yielding"
BOT = "tsqa-bot"
REFERENCES = {BARE: [], AWAITED: ["awaited"], ANSWERING: ["answering"], YIELDING: ["yielding"]}


async def help_answer(url: str) -> str:
    """The bot's ack to `/quiz help` (JSON), for the reference that answers with the same bytes."""
    body = command_body("help")
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body)}
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as response:
        response.raise_for_status()
        return await response.text()


def report(
    results: dict[tuple[str, int], list[dict[str, float]]], concurrency: int, user_counts: list[int]
) -> None:
    """Medians over the rounds with their ranges: single runs vary widely on shared machines."""
    print(f"/quiz help, {concurrency} concurrent, closed loop, loopback; median [range] over rounds")
    print(f"{'server':<17}{'users':>6}{'errors':>8}{'req/s':>22}{'p99 ms':>22}{'CPU us/req':>20}")
    for (name, users), runs in results.items():
        rps = [r["rps"] for r in runs]
        p99 = [r["p99_ms"] for r in runs]
        cpu = [r["cpu_us"] for r in runs]
        errors = sum(int(r["errors"]) for r in runs)
        print(
            f"{name:<17}{users:>6}{errors:>8}"
            f"{statistics.median(rps):>8.0f} [{min(rps):.0f}-{max(rps):.0f}]".ljust(52)
            + f"{statistics.median(p99):>6.1f} [{min(p99):.1f}-{max(p99):.1f}]".ljust(22)
            + f"{statistics.median(cpu):>6.0f} [{min(cpu):.0f}-{max(cpu):.0f}]"
        )
    for users in user_counts:
        bot = results[(BOT, users)]
        p99 = statistics.median(r["p99_ms"] for r in bot)
        for reference in REFERENCES:
            ratios = [b["rps"] / r["rps"] for b, r in zip(bot, results[(reference, users)], strict=True)]
            ratio, low, high = statistics.median(ratios), min(ratios), max(ratios)
            verdict = "meets" if ratio >= 0.9 and p99 < 60 else "misses"
            cpu = statistics.median(
                r["cpu_us"] / b["cpu_us"] for b, r in zip(bot, results[(reference, users)], strict=True)
            )
            print(
                f"{users} user ID(s): tsqa-bot / {reference} = {ratio:.2f} [{low:.2f}-{high:.2f}] "
                f"(target >= 0.90); bot p99 {p99:.1f} ms (target < 60): {verdict} the target; "
                f"by CPU per request {cpu:.2f}"
            )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--cap-seconds", type=float, default=60.0)
    parser.add_argument("--users", type=int, default=500, help="distinct user IDs in the many-users run")
    parser.add_argument("--rounds", type=int, default=3, help="bot and bare alternate, so noise hits both")
    args = parser.parse_args()

    fake = SlackWebAPI(bot_token=TOKEN)
    await fake.start()
    tmp = tempfile.mkdtemp(prefix="tsqa-bench-")
    common = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url}
    bot_port = free_port()
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
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    user_counts = [1, args.users]
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    try:
        await wait_ready(f"http://127.0.0.1:{bot_port}/healthz")
        answer = await help_answer(f"http://127.0.0.1:{bot_port}/slack/events")
        for name, mode in REFERENCES.items():
            port = free_port()
            script = [sys.executable, str(ROOT / "benchmarks" / "bare_bolt_app.py"), str(port), *mode]
            servers[name] = (start(script, {**common, "BARE_ANSWER": answer}), port)
        servers[BOT] = (bot, bot_port)
        for name, (_process, port) in servers.items():
            await wait_ready(f"http://127.0.0.1:{port}/slack/events")
            results |= {(name, users): [] for users in user_counts}
        for _process, port in servers.values():  # warm-up: imports, auth.test, caches, start-up work
            await load(f"http://127.0.0.1:{port}/slack/events", 500, args.concurrency, 20)
        for round_number in range(args.rounds):
            for users in user_counts if round_number % 2 == 0 else user_counts[::-1]:
                for name, (process, port) in servers.items():
                    cpu_before = cpu_seconds(process.pid)
                    run = await load(
                        f"http://127.0.0.1:{port}/slack/events",
                        args.requests,
                        args.concurrency,
                        args.cap_seconds,
                        users,
                    )
                    run["cpu_us"] = (cpu_seconds(process.pid) - cpu_before) / run["requests"] * 1e6
                    results[(name, users)].append(run)
    finally:
        for process in [bot, *(p for p, _ in servers.values() if p is not bot)]:
            process.terminate()
            process.wait(timeout=15)
        await fake.stop()
    report(results, args.concurrency, user_counts)


if __name__ == "__main__":
    asyncio.run(main())
