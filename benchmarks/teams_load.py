"""Closed-loop load of signed Teams "help" messages over loopback: tsqa-bot against a bare Teams SDK app.

The Bot Framework fake runs in this process (its own thread): it publishes the keys both servers check
tokens against and is the connector their replies reach, each timed on arrival. The servers are
subprocesses on free ports: the bot as `tsqa run` starts it for Teams (teams_bot.py: only its outbound
token is made locally) on a temporary SQLite file, and bare_teams_app.py twice, answering with a short
text and with the bot's own help card (the same bytes on the wire). Each gets N personal-chat "help"
activities (distinct activity ids, from the example workspace's people), C at a time, bounded in time.

Per server: HTTP answers/s, p50/p99 of the HTTP answer, p50/p99 of the time until the reply reached the
connector (matched per conversation in order), connector calls per request and server CPU time per
request (user + system from /proc, counted until the last reply arrived); then the ratios bot/bare.

    python benchmarks/teams_load.py [--requests 2000] [--concurrency 20] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.http_load import cpu_seconds, free_port, wait_ready  # noqa: E402
from bot.workspace import load_workspace  # noqa: E402
from tests.fakes import activities  # noqa: E402
from tests.fakes.activities import TENANT_ID, User  # noqa: E402
from tests.fakes.bot_framework import BotFramework  # noqa: E402

APP_ID = "8e2d4c6a-1b3f-4a5e-9c7d-2f4e6a8c0b1d"  # made up
WORKSPACE = ROOT / "examples" / "workspace-teams.yml"
BOT = "tsqa-bot"
BARE = "bare SDK, text"
BARE_CARD = "bare SDK, same card"
REPLY_TIMEOUT = 30.0


class TimedBotFramework(BotFramework):
    """The fake, noting when each posted activity reached the connector, per conversation, and waking
    whoever waits for it on the load's event loop (the fake serves from a thread of its own)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[str, list[float]] = defaultdict(list)  # touched on the load's loop only
        self._news: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._load_loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> str:
        self._load_loop = asyncio.get_running_loop()
        return await super().start()

    async def _connector(self, request: web.Request, rest: list[str]) -> web.StreamResponse:
        arrived = time.perf_counter()
        response = await super()._connector(request, rest)
        if request.method == "POST" and len(rest) == 2 and rest[1] == "activities" and self._load_loop:
            self._load_loop.call_soon_threadsafe(self._arrived, rest[0], arrived)
        return response

    def _arrived(self, conversation: str, at: float) -> None:
        self.arrivals[conversation].append(at)
        news = self._news.pop(conversation, None)
        if news is not None:
            news.set()

    def count(self) -> int:
        return sum(len(times) for times in self.arrivals.values())

    async def reply(self, conversation: str, ordinal: int) -> None:
        """Until the conversation has had `ordinal` + 1 replies."""
        while len(self.arrivals[conversation]) <= ordinal:
            await self._news[conversation].wait()


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A server with its output in `log` (the bot logs every request, as it does in production)."""
    with log.open("wb") as out:
        environment = {**os.environ, **env}
        return subprocess.Popen(cmd, env=environment, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)] if ordered else float("nan")


def help_activities(bf: BotFramework, people: list[User], count: int) -> list[tuple[str, bytes]]:
    """(conversation id, JSON body) of `count` "help" messages, each with a fresh activity id."""
    where = {"service_url": bf.url, "app_id": APP_ID}
    built = [activities.personal_message("help", people[n % len(people)], **where) for n in range(count)]
    return [(a["conversation"]["id"], json.dumps(a).encode()) for a in built]


async def wait_for_replies(bf: TimedBotFramework, expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while bf.count() < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


@dataclass
class Load:
    """What every run shares: the fake, who writes, the token Teams signs with, and the bounds."""

    bf: TimedBotFramework
    people: list[User]
    token: str
    concurrency: int
    cap_seconds: float
    wait_for_reply: bool = True  # a person waits for the answer before writing again


async def load(url: str, how: Load, requests: int) -> dict[str, float]:
    """`concurrency` workers each send the next activity when the previous was answered (and, with
    `wait_for_reply`, its reply reached the connector), until done; then waits for the last replies."""
    bf, concurrency = how.bf, how.concurrency
    bodies = help_activities(bf, how.people, requests)
    headers = {"Authorization": f"Bearer {how.token}", "Content-Type": "application/json"}
    sent_at: dict[str, list[float]] = defaultdict(list)  # conversation → send times, in sending order
    latencies: list[float] = []
    errors = 0
    remaining = requests
    calls_before = len(bf.sent)
    bf.arrivals.clear()
    deadline = time.monotonic() + how.cap_seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal remaining, errors
            while remaining > 0 and time.monotonic() < deadline:
                remaining -= 1
                conversation, body = bodies[remaining]
                began = time.perf_counter()
                ordinal = len(sent_at[conversation])
                sent_at[conversation].append(began)
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    answered = time.perf_counter()
                if response.status != 200:
                    errors += 1  # no reply will come: the replies after it in this chat pair up wrong
                    continue
                latencies.append(answered - began)
                if how.wait_for_reply:
                    try:
                        await asyncio.wait_for(bf.reply(conversation, ordinal), REPLY_TIMEOUT)
                    except TimeoutError:
                        return  # counted as a missing reply; the chat's later pairs would be wrong

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        http_elapsed = time.perf_counter() - began
    await wait_for_replies(bf, len(latencies), REPLY_TIMEOUT)
    # Replies in one chat may overtake each other: the k-th reply is taken for the k-th request.
    delays = [
        reply - request
        for conversation, times in sent_at.items()
        for request, reply in zip(times, sorted(bf.arrivals[conversation]), strict=False)
    ]
    last = max((at for times in bf.arrivals.values() for at in times), default=began)
    return {
        "requests": len(latencies) + errors,
        "errors": errors,
        "replies": bf.count(),
        "rps": len(latencies) / http_elapsed,
        "replies_per_s": bf.count() / max(last - began, 1e-9),
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "reply_p50_ms": statistics.median(delays) * 1000 if delays else float("nan"),
        "reply_p99_ms": percentile(delays, 0.99) * 1000,
        "calls": (len(bf.sent) - calls_before) / max(len(latencies), 1),
    }


def last_reply(bf: BotFramework) -> dict[str, Any]:
    """The bot's answer to "help" as the connector got it: what the `card` reference sends too."""
    replies = [s.body for s in bf.sent if s.operation == "create" and s.status == 201]
    if not replies:
        raise RuntimeError("the bot sent no reply to help (its output is not kept: run teams_bot.py by hand)")
    return {"attachments": replies[-1].get("attachments", []), "summary": replies[-1].get("summary")}


def _cell(values: list[float], digits: int) -> str:
    middle = statistics.median(values)
    if len(values) == 1:
        return f"{middle:.{digits}f}"
    return f"{middle:.{digits}f} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


COLUMNS = [
    ("HTTP req/s", "rps", 0),
    ("HTTP p50 ms", "p50_ms", 1),
    ("HTTP p99 ms", "p99_ms", 1),
    ("reply p50 ms", "reply_p50_ms", 1),
    ("reply p99 ms", "reply_p99_ms", 1),
    ("replies/s", "replies_per_s", 0),
    ("calls/req", "calls", 2),
    ("CPU us/req", "cpu_us", 0),
]


def report(results: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> None:
    """Medians over the rounds with their ranges: single runs vary widely on shared machines."""
    rounds = len(next(iter(results.values())))
    loop = "each waits for the HTTP answer only" if args.http_only else "each waits for its reply"
    print(
        f'Personal-chat "help", {args.requests} requests, {args.concurrency} concurrent ({loop}), '
        f"loopback; median [range] over {rounds} round(s)"
    )
    width = 22 if rounds > 1 else 14
    heads = "".join(f"{h:>{width}}" for h, _, _ in COLUMNS)
    print(f"{'server':<21}{'sent':>7}{'errors':>7}{'replies':>8}{heads}")
    for name, runs in results.items():
        counts = [sum(int(r[k]) for r in runs) for k in ("requests", "errors", "replies")]
        cells = "".join(f"{_cell([r[key] for r in runs], d):>{width}}" for _, key, d in COLUMNS)
        print(f"{name:<21}{counts[0]:>7}{counts[1]:>7}{counts[2]:>8}{cells}")
    print("Ratios tsqa-bot / reference (median over rounds; throughput: higher is better, the rest: lower)")
    for reference in (BARE, BARE_CARD):
        pairs = list(zip(results[BOT], results[reference], strict=True))
        parts = [
            f"{label} {statistics.median(b[key] / r[key] for b, r in pairs):.2f}"
            for label, key in (
                ("HTTP req/s", "rps"),
                ("HTTP p99", "p99_ms"),
                ("reply p50", "reply_p50_ms"),
                ("reply p99", "reply_p99_ms"),
                ("CPU/req", "cpu_us"),
            )
        ]
        print(f"  vs {reference}: " + "; ".join(parts))


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--cap-seconds", type=float, default=30.0, help="per server and round")
    parser.add_argument("--rounds", type=int, default=1, help="servers alternate, so noise hits them all")
    parser.add_argument("--warm-up", type=int, default=200, help="requests per server before measuring")
    parser.add_argument(
        "--http-only",
        action="store_true",
        help="send again once the HTTP answer is in, without waiting for the reply: replies pile up",
    )
    args = parser.parse_args()

    workspace = load_workspace(WORKSPACE)
    people = [User(p.id, p.name) for p in workspace.people]
    bf = TimedBotFramework()
    await bf.start()
    tmp = Path(tempfile.mkdtemp(prefix="tsqa-teams-bench-"))
    common = {
        "TEAMS_APP_ID": APP_ID,
        "TEAMS_TENANT_ID": TENANT_ID,
        "TEAMS_OPENID_METADATA_URL": bf.openid_metadata_url,
        "TEAMS_SERVICE_URL": bf.url,
    }
    bot_port = free_port()
    bot_env = {
        **common,
        "TEAMS_APP_PASSWORD": "placeholder-never-used",  # the launcher makes the outbound token
        "TSQA_WORKSPACE": str(WORKSPACE),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
        "HOST": "127.0.0.1",
        "PORT": str(bot_port),
        "LOG_LEVEL": "INFO",
    }
    bot = start([sys.executable, str(ROOT / "benchmarks" / "teams_bot.py")], bot_env, tmp / "bot.log")
    servers = {BOT: (bot, bot_port)}
    # Valid for an hour; Teams too signs once and reuses a token for many activities.
    how = Load(bf, people, bf.token(APP_ID, bf.url), args.concurrency, args.cap_seconds, not args.http_only)
    results: dict[str, list[dict[str, float]]] = {}
    try:
        await wait_ready(f"http://127.0.0.1:{bot_port}/api/messages")
        await load(f"http://127.0.0.1:{bot_port}/api/messages", how, args.warm_up)
        bot_reply = last_reply(bf)
        bare_script = str(ROOT / "benchmarks" / "bare_teams_app.py")
        for name, mode in ((BARE, []), (BARE_CARD, ["card"])):
            port = free_port()
            env = {**common, "BARE_REPLY": json.dumps(bot_reply)}
            log = tmp / f"bare{'-' if mode else ''}{''.join(mode)}.log"
            servers[name] = (start([sys.executable, bare_script, str(port), *mode], env, log), port)
        for name, (_process, port) in servers.items():
            await wait_ready(f"http://127.0.0.1:{port}/api/messages")
            results[name] = []
            if name != BOT:  # warm-up: imports, keys, connections (the bot's was above)
                await load(f"http://127.0.0.1:{port}/api/messages", how, args.warm_up)
        for round_number in range(args.rounds):
            order = list(servers.items())
            for name, (process, port) in order if round_number % 2 == 0 else order[::-1]:
                cpu_before = cpu_seconds(process.pid)
                run = await load(f"http://127.0.0.1:{port}/api/messages", how, args.requests)
                run["cpu_us"] = (cpu_seconds(process.pid) - cpu_before) / max(run["requests"], 1) * 1e6
                results[name].append(run)
    finally:
        for process, _port in servers.values():
            process.terminate()
            process.wait(timeout=15)
        await bf.stop()
    print(f"Server output and the bot's database: {tmp}")
    reply_bytes = len(json.dumps(bot_reply).encode())
    print(f"The bot's help reply: one Adaptive Card, {reply_bytes:,} bytes of attachments and summary")
    report(results, args)


if __name__ == "__main__":
    asyncio.run(main())
