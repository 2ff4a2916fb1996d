"""Policy answers through signed HTTP: `/policy QUESTION` against the running bot with a synthetic
library of `--sections` sections (default 10,000) loaded, beside a bare slack-bolt app that acks the
same command with the bot's answer bytes after one turn of the event loop (`bare_bolt_app.py
yielding`, the like-for-like ack path). The bot's answer rides in the ack: it searches the index
(built once, in a worker thread, on the first question: the warm-up), stores the question and
renders the cited passages. Prints throughput, p50/p99 and server CPU per request of both, and the
ratio. Setup (the library written as policy files and loaded with the bot's own loader) is timed but
not part of the ratio. Targets are printed as met or missed, never asserted.

    python benchmarks/policy_http.py [--sections 10000] [--requests 2000] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.http_load import (  # noqa: E402
    SECRET,
    TOKEN,
    command_body,
    cpu_seconds,
    free_port,
    load,
    start,
    wait_ready,
)
from benchmarks.policy_search import library, questions  # noqa: E402
from bot.local.webapi import SlackWebAPI  # noqa: E402
from handlers.policy.model import Passage  # noqa: E402
from handlers.policy.store import load_dir  # noqa: E402
from storage.engine import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tests.fakes.signing import sign  # noqa: E402

OWNER = "U0QALEAD1"  # an admin of examples/workspace.yml


def policy_files(passages: list[Passage], folder: Path) -> None:
    """The generated sections as policy files, ten sections a policy, in the library's format."""
    by_policy: dict[str, list[Passage]] = defaultdict(list)
    for passage in passages:
        by_policy[passage.policy_id].append(passage)
    for policy_id, sections in by_policy.items():
        body = "\n\n".join(f"## {p.heading}\n\n{p.text}" for p in sections)
        folder.joinpath(f"{policy_id}.md").write_text(
            f"---\nid: {policy_id}\ntitle: Synthetic policy {policy_id}\nversion: 1\n"
            f"effective: 2026-01-01\nowners: [{OWNER}]\n---\n# Synthetic policy {policy_id}\n\n{body}\n"
        )


async def prepare(url: str, folder: Path) -> tuple[float, int]:
    db = Database(url)
    try:
        await upgrade(db)
        began = time.perf_counter()
        results = await load_dir(db, folder, datetime.now(UTC))
        return time.perf_counter() - began, sum(r.status != "invalid" for r in results)
    finally:
        await db.dispose()


async def ask(url: str, body: bytes, timeout: float = 120.0) -> str:
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body)}
    timeouts = aiohttp.ClientTimeout(total=timeout)
    async with (
        aiohttp.ClientSession(timeout=timeouts) as session,
        session.post(url, data=body, headers=headers) as response,
    ):
        response.raise_for_status()
        return await response.text()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sections", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    passages = library(rng, args.sections)
    asked = questions(rng, passages, 300)
    bodies = [command_body(q, f"U0BENCH{n % 50:04d}", command="/policy") for n, q in enumerate(asked)]
    tmp = Path(tempfile.mkdtemp(prefix="tsqa-policy-http-"))
    folder = tmp / "policies"
    folder.mkdir()
    policy_files(passages, folder)
    database = f"sqlite+aiosqlite:///{tmp}/bench.db"
    load_s, stored = await prepare(database, folder)
    print(f"library: {args.sections:,} sections in {stored} policy files, loaded in {load_s:.1f} s (setup)")

    fake = SlackWebAPI(bot_token=TOKEN)
    await fake.start()
    results: dict[str, dict[str, float]] = {}
    try:
        port = free_port()
        env = {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": database,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "TSQA_WORKSPACE": str(ROOT / "examples" / "workspace.yml"),
            "LOG_LEVEL": "WARNING",
        }
        bot = start([sys.executable, "-m", "bot.cli", "run"], env)
        url = f"http://127.0.0.1:{port}/slack/events"
        try:
            await wait_ready(f"http://127.0.0.1:{port}/healthz")
            began = time.perf_counter()
            answer = await ask(url, bodies[0])  # the first question builds the index
            print(f"first answer (index built in a worker thread): {time.perf_counter() - began:.2f} s")
            for body in bodies[:50]:
                await ask(url, body)
            cpu = cpu_seconds(bot.pid)
            results["tsqa-bot"] = await load(url, args.requests, args.concurrency, 300, bodies=bodies)
            results["tsqa-bot"]["cpu_us"] = (
                (cpu_seconds(bot.pid) - cpu) / results["tsqa-bot"]["requests"] * 1e6
            )
        finally:
            bot.terminate()
            bot.wait(timeout=30)

        port = free_port()
        bare_env = {**env, "PORT": str(port), "BARE_ANSWER": json.dumps(json.loads(answer))}
        bare = start(
            [sys.executable, str(ROOT / "benchmarks" / "bare_bolt_app.py"), str(port), "yielding"], bare_env
        )
        url = f"http://127.0.0.1:{port}/slack/events"
        try:
            await wait_ready(url)
            for body in bodies[:50]:
                await ask(url, body)
            cpu = cpu_seconds(bare.pid)
            results["bare, yielding"] = await load(url, args.requests, args.concurrency, 300, bodies=bodies)
            used = cpu_seconds(bare.pid) - cpu
            results["bare, yielding"]["cpu_us"] = used / results["bare, yielding"]["requests"] * 1e6
        finally:
            bare.terminate()
            bare.wait(timeout=30)
    finally:
        await fake.stop()

    print(f"{args.requests} signed /policy questions, {args.concurrency} in flight, over loopback")
    print(f"{'server':<16}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'CPU µs/req':>12}{'errors':>8}")
    for name, r in results.items():
        print(
            f"{name:<16}{r['rps']:>8.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['cpu_us']:>12.0f}{r['errors']:>8.0f}"
        )
    bot_r, bare_r = results["tsqa-bot"], results["bare, yielding"]
    print(
        f"tsqa-bot / bare = {bot_r['rps'] / bare_r['rps']:.2f} in requests/s, "
        f"{bare_r['cpu_us'] / bot_r['cpu_us']:.2f} by CPU per request; bot p99 {bot_r['p99_ms']:.1f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
