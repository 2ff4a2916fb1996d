"""Closed-loop load of quiz answer clicks over signed HTTP: the bot on SQLite and on PostgreSQL against
a bare slack-bolt app whose click handler acks and makes one Web API call (issue 9's benchmark).

Setup, not measured: a topic of 5 single-choice questions and one attempt per simulated labeler,
written straight to the database; then `tsqa run` as a subprocess against a Slack fake (one fake per
server, so neither pays for the other's messages). Each labeler answers its questions in order with
displayed option 0: it clicks question p's message and waits until the server's answer reaches the fake
before clicking the next one; 5% of clicks are sent twice at once. Measured per click:
- ack: the HTTP answer to the signed block_actions request (the bot acks before any database work);
- answered: click -> the chat.update of the clicked message reaching the fake (the bot's verdict in
  place, the bare app's one call): the like-for-like figure;
- next: click -> the bot's chat.postMessage of the next question (or of the result) reaching the fake:
  what a labeler waits for before the next click (bot only).
Throughput is answers per second with `--concurrency` clicks in flight. Afterwards the database must
hold exactly one answer per (attempt, position) with every attempt finished, and the fake must have
seen one verdict and one next message per answer. The targets (>= 0.7x the bare app, p99 < 150 ms) are
printed as met or missed, never asserted. Server CPU excludes PostgreSQL's own processes.

    python benchmarks/quiz_load.py [--labelers 500] [--concurrency 50] [--duplicates 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.http_load import cpu_seconds, free_port, wait_ready  # noqa: E402
from bot.local.state import Call  # noqa: E402
from bot.local.webapi import SlackWebAPI  # noqa: E402
from handlers.quiz import attempts, store  # noqa: E402
from handlers.quiz.bank import Choice, ImportedBank, Question  # noqa: E402
from storage.engine import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import QuizAnswer, QuizAttempt  # noqa: E402
from tests.fakes.signing import block_actions_body, signed_headers  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
TOPIC = "bench-basics"
QUESTIONS = 5
WARMUP_LABELERS = 20  # imports, connection pools and caches warm up on these; not measured
WAIT_SECONDS = 15.0  # a server answer not seen by then counts as lost
POSTGRES_URL = os.environ.get("TSQA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
BARE, BOT = "bare slack-bolt", "tsqa-bot"


def bench_bank() -> ImportedBank:
    """Five synthetic single-choice questions of three options each."""
    bank = ImportedBank(titles={TOPIC: "Benchmark basics"}, pass_marks={TOPIC: 0.6})
    for n in range(QUESTIONS):
        bank.add(
            TOPIC,
            Question(
                f"bench-{n + 1}",
                "single",
                f"Synthetic question {n + 1}: which label fits the sample post?",
                choices=(Choice("Label A", 1.0), Choice("Label B"), Choice("Label C")),
                explanation="A synthetic explanation for the benchmark.",
                policy=f"bench#q{n + 1}",
            ),
        )
    return bank


def labeler_id(n: int) -> str:
    return f"U0QZ{n:05d}"


async def prepare(url: str, users: list[str]) -> dict[str, str]:
    """The topic and one started attempt per user; returns user -> attempt id."""
    db = Database(url)
    try:
        await upgrade(db)
        now = datetime.now(UTC)
        await store.import_bank(db, bench_bank(), now)
        started = {}
        for user in users:
            started[user] = (await attempts.start(db, user, TOPIC, now)).attempt_id
        return started
    finally:
        await db.dispose()


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str | None]:
    """A fresh database on the configured server, dropped afterwards; None when there is no server."""
    server = make_url(POSTGRES_URL)
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    name = f"tsqa_bench_{uuid.uuid4().hex[:10]}"
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # unreachable server, no CREATEDB right
        print(f"PostgreSQL at {server.render_as_string(hide_password=True)} skipped: {exc}")
        await admin.dispose()
        yield None
        return
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


class Arrivals:
    """When the fake received each chat.update (by message) and chat.postMessage (by DM), in order."""

    def __init__(self, fake: SlackWebAPI):
        self.fake = fake
        self.seen: dict[tuple[str, ...], list[tuple[float, Call]]] = defaultdict(list)
        self.waiting: dict[tuple[tuple[str, ...], int], asyncio.Future[tuple[float, Call]]] = {}
        self.responses: list[Call] = []
        fake.listeners.append(self.changed)

    def changed(self) -> None:
        # Called inside the fake's handler right after it did the work: the last call is this one.
        call, now = self.fake.calls[-1], time.perf_counter()
        if call.method == "response_url":
            self.responses.append(call)
            return
        if call.method == "chat.update":
            key = ("update", str(call.args.get("channel")), str(call.args.get("ts")))
        elif call.method == "chat.postMessage":
            key = ("post", str(call.args.get("channel")))
        else:
            return
        entries = self.seen[key]
        entries.append((now, call))
        future = self.waiting.pop((key, len(entries) - 1), None)
        if future is not None and not future.done():
            future.set_result((now, call))

    async def wait(self, key: tuple[str, ...], index: int) -> tuple[float, Call] | None:
        """The index-th arrival under `key` (when it reached the fake, the call), or None if it never came."""
        if len(self.seen[key]) > index:
            return self.seen[key][index]
        future = asyncio.get_running_loop().create_future()
        self.waiting[(key, index)] = future
        try:
            return await asyncio.wait_for(future, WAIT_SECONDS)
        except TimeoutError:
            self.waiting.pop((key, index), None)
            return None


@dataclass
class Run:
    answers: int = 0
    requests: int = 0
    duplicates: int = 0
    warmup_duplicates: int = 0  # their replies reach the fake too
    errors: int = 0
    lost: int = 0
    elapsed: float = 0.0
    cpu_s: float = 0.0
    load_cpu_s: float = 0.0
    ack: list[float] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)
    next: list[float] = field(default_factory=list)


def new_fake(users: list[str]) -> SlackWebAPI:
    fake = SlackWebAPI(bot_token=TOKEN)
    for user in users:
        fake.add_user(user, user.lower())
    return fake


def seed_questions(fake: SlackWebAPI, users: list[str], count: int) -> dict[str, list[str]]:
    """`count` question messages from the bot in each user's DM (what the click is on); user -> ts."""
    bot = fake.state.bot_user_id
    return {
        user: [fake.add_message(user, bot, f"Question {p + 1}", blocks=[]).ts for p in range(count)]
        for user in users
    }


async def load(
    url: str,
    fake: SlackWebAPI,
    arrivals: Arrivals,
    plan: dict[str, str],
    first_ts: dict[str, list[str]],
    *,
    bot: bool,
    concurrency: int,
    duplicates: float,
    seed: int,
) -> Run:
    """Every labeler answers its questions in order; `concurrency` clicks are in flight at once, each
    until the server's answer the labeler waits for (bot: the next question; bare: its one call)."""
    run, rng, gate = Run(), random.Random(seed), asyncio.Semaphore(concurrency)
    twice = {(user, p): rng.random() < duplicates for user in plan for p in range(QUESTIONS)}
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def post(body: bytes) -> None:
            started = time.perf_counter()
            headers = signed_headers(SECRET, "block_actions", body)
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    run.errors += response.status != 200
            except aiohttp.ClientError:
                run.errors += 1
            run.ack.append(time.perf_counter() - started)
            run.requests += 1

        async def labeler(user: str, attempt: str) -> None:
            dm = fake.dm_channel(user)
            ts = first_ts[user][0]
            for position in range(QUESTIONS):
                message = {"ts": ts, "type": "message", "text": ""}
                value = f"{attempt}|{position}|0"
                body = block_actions_body(
                    user,
                    [{"action_id": "quiz:answer", "value": value, "block_id": f"quiz-{position}"}],
                    channel_id=dm,
                    message=message,
                    response_url=fake.new_response_url(dm, user, message_ts=ts),
                )
                copies = 2 if twice[(user, position)] else 1
                async with gate:
                    sent = time.perf_counter()
                    await asyncio.gather(*(post(body) for _ in range(copies)))
                    answered = await arrivals.wait(("update", dm, ts), 0)
                    following = await arrivals.wait(("post", dm), position) if bot else None
                run.duplicates += copies - 1
                if answered is None or (bot and following is None):
                    run.lost += 1
                    return  # no next question to click: this labeler stops here
                run.answers += 1
                run.answered.append(answered[0] - sent)
                if following is not None:
                    run.next.append(following[0] - sent)
                    ts = (following[1].response or {}).get("ts", "")
                elif position + 1 < QUESTIONS:
                    ts = first_ts[user][position + 1]

        began = time.perf_counter()
        await asyncio.gather(*(labeler(user, attempt) for user, attempt in plan.items()))
        run.elapsed = time.perf_counter() - began
    return run


def start_server(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:  # the child keeps its own descriptor
        return subprocess.Popen(cmd, env={**os.environ, **env}, cwd=ROOT, stdout=out, stderr=out)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def measure(
    name: str,
    database_url: str,
    plan: dict[str, str],
    warmup: dict[str, str],
    args: argparse.Namespace,
    tmp: Path,
) -> tuple[Run, Arrivals]:
    """One server (the bot, or the bare reference with `database_url` unused) from start to stop."""
    users = [*warmup, *plan]
    fake = new_fake(users)
    bot = name == BOT
    first_ts = seed_questions(fake, users, 1 if bot else QUESTIONS)
    arrivals = Arrivals(fake)
    await fake.start()
    port = free_port()
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url}
    if bot:
        cmd = [sys.executable, "-m", "bot.cli", "run"]
        env |= {
            "DATABASE_URL": database_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "TSQA_WORKSPACE": str(ROOT / "examples" / "workspace.yml"),
            "LOG_LEVEL": "INFO",
        }
    else:
        cmd = [sys.executable, str(ROOT / "benchmarks" / "bare_bolt_app.py"), str(port), "clicks"]
    process = start_server(cmd, env, tmp / f"{name.replace(' ', '-')}.log")
    url = f"http://127.0.0.1:{port}/slack/events"
    options = {"bot": bot, "concurrency": args.concurrency, "duplicates": args.duplicates}
    try:
        await wait_ready(f"http://127.0.0.1:{port}/healthz" if bot else url)
        warm = await load(url, fake, arrivals, warmup, first_ts, seed=args.seed + 1, **options)
        cpu_before, load_before = cpu_seconds(process.pid), time.process_time()
        run = await load(url, fake, arrivals, plan, first_ts, seed=args.seed, **options)
        run.cpu_s = cpu_seconds(process.pid) - cpu_before
        run.load_cpu_s = time.process_time() - load_before
        run.warmup_duplicates = warm.duplicates
        await asyncio.sleep(0.5)  # late answers to duplicate clicks, before counting side effects
    finally:
        stop(process)
        await fake.stop()
    return run, arrivals


async def check_database(url: str, expected: int) -> tuple[bool, str]:
    """Exactly one answer per (attempt, position), QUESTIONS per attempt, and every attempt finished."""
    db = Database(url)
    try:
        async with db.transaction() as session:
            rows = (
                await session.execute(
                    select(
                        QuizAnswer.attempt_id,
                        func.count(),
                        func.count(func.distinct(QuizAnswer.position)),
                        func.min(QuizAnswer.position),
                        func.max(QuizAnswer.position),
                    ).group_by(QuizAnswer.attempt_id)
                )
            ).all()
            started = (await session.execute(select(func.count()).select_from(QuizAttempt))).scalar_one()
            finished = (
                await session.execute(
                    select(func.count()).select_from(QuizAttempt).where(QuizAttempt.finished_at.is_not(None))
                )
            ).scalar_one()
    finally:
        await db.dispose()
    whole = (QUESTIONS, QUESTIONS, 0, QUESTIONS - 1)
    complete = sum(1 for row in rows if tuple(row[1:]) == whole)
    doubled = sum(1 for row in rows if row[1] > row[2])
    answers = sum(row[1] for row in rows)
    ok = started == expected and complete == expected and finished == expected and doubled == 0
    detail = (
        f"{started} attempts, {complete} with exactly {QUESTIONS} answers at positions 0-{QUESTIONS - 1}, "
        f"{finished} finished, {answers} answer rows, {doubled} attempts with a doubled position"
    )
    return ok, detail


def check_side_effects(arrivals: Arrivals, users: list[str], duplicates: int) -> tuple[bool, str]:
    """The bot's messages once: one verdict per question message, one next message per answer."""
    dms = {"D" + user[1:] for user in users}
    updates = [len(v) for k, v in arrivals.seen.items() if k[0] == "update" and k[1] in dms]
    posts = [len(arrivals.seen[("post", dm)]) for dm in dms]
    said = [str(call.args.get("text", "")) for call in arrivals.responses]
    # The loser of a double click hears "already answered", or "finished" when the winner was the last answer.
    expected = ("already answered", "quiz is finished")
    replies = sum(any(e in line for e in expected) for line in said)
    other = sorted({line[:80] for line in said if not any(e in line for e in expected)})
    ok = (
        len(updates) == len(users) * QUESTIONS
        and set(updates) == {1}
        and set(posts) == {QUESTIONS}
        and replies == duplicates
        and not other
    )
    detail = (
        f"{sum(updates)} verdict updates on {len(updates)} question messages (max {max(updates, default=0)} "
        f"per message), next messages per labeler {min(posts, default=0)}-{max(posts, default=0)}; "
        f"{replies} of {duplicates} duplicate clicks (warm-up included) told it was already answered"
        + (f"; other answers: {other}" if other else "")
    )
    return ok, detail


def ms(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * q) - 1)] * 1000 if q < 1 else ordered[-1] * 1000


def per_answer(cpu_s: float, run: Run) -> float:
    return cpu_s / max(run.answers, 1) * 1000


def verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def row(database: str, name: str, run: Run) -> str:
    nxt = f"{statistics.median(run.next) * 1000:6.1f} /{ms(run.next, 0.99):6.1f}" if run.next else "     -"
    return (
        f"{database:<11}{name:<16}{run.answers / run.elapsed:>9.0f}{run.requests / run.elapsed:>7.0f}"
        f"{run.errors:>5}{run.lost:>5}"
        f"{statistics.median(run.ack) * 1000:>9.1f} /{ms(run.ack, 0.99):6.1f}"
        f"{statistics.median(run.answered) * 1000:>9.1f} /{ms(run.answered, 0.99):6.1f}"
        f"{nxt:>16}{per_answer(run.cpu_s, run):>12.2f}{per_answer(run.load_cpu_s, run):>9.2f}"
    )


async def section(
    database: str, url: str, args: argparse.Namespace, tmp: Path
) -> tuple[list[str], list[str]]:
    """Prepare the database, measure the bare app and the bot on the same payloads, check the result."""
    labelers = [labeler_id(n) for n in range(args.labelers)]
    warmers = [labeler_id(args.labelers + n) for n in range(WARMUP_LABELERS)]
    setup_began = time.perf_counter()
    started = await prepare(url, [*warmers, *labelers])
    setup_s = time.perf_counter() - setup_began
    plan = {user: started[user] for user in labelers}
    warmup = {user: started[user] for user in warmers}
    bare, _ = await measure(BARE, url, plan, warmup, args, tmp)
    bot, arrivals = await measure(BOT, url, plan, warmup, args, tmp)
    rows = [row(database, BARE, bare), row(database, BOT, bot)]
    db_ok, db_detail = await check_database(url, len(started))
    fx_ok, fx_detail = check_side_effects(
        arrivals, [*warmers, *labelers], bot.duplicates + bot.warmup_duplicates
    )
    ratio = (bot.answers / bot.elapsed) / (bare.answers / bare.elapsed)
    cpu_ratio = per_answer(bare.cpu_s, bare) / per_answer(bot.cpu_s, bot)
    ack99, next99 = ms(bot.ack, 0.99), ms(bot.next, 0.99)
    notes = [
        f"{database}: tsqa-bot / bare = {ratio:.2f} in answers/s (target >= 0.70: {verdict(ratio >= 0.7)}), "
        f"{cpu_ratio:.2f} by server CPU per answer; bot p99 of the HTTP answer (ack) {ack99:.1f} ms "
        f"(target < 150: {verdict(ack99 < 150)}); bot p99 until the next question {next99:.1f} ms "
        f"(< 150: {verdict(next99 < 150)})",
        f"{database}: setup (topic and {len(started)} attempts, not measured) took {setup_s:.1f} s",
        f"{database}: exactly once in the database: {'PASS' if db_ok else 'FAIL'} ({db_detail})",
        f"{database}: the bot's messages once: {'PASS' if fx_ok else 'FAIL'} ({fx_detail})",
    ]
    return rows, notes


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labelers", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50, help="clicks in flight at once")
    parser.add_argument("--duplicates", type=float, default=0.05, help="share of clicks sent twice at once")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="tsqa-quiz-bench-"))
    rows, notes = [], []
    if not args.skip_sqlite:
        sqlite_rows, sqlite_notes = await section("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.db", args, tmp)
        rows += sqlite_rows
        notes += sqlite_notes
    if not args.skip_postgres:
        async with postgres_database() as url:
            if url is not None:
                pg_rows, pg_notes = await section("postgresql", url, args, tmp)
                rows += pg_rows
                notes += pg_notes
    print(
        f"Quiz answer clicks: {args.labelers} labelers x {QUESTIONS} questions, {args.concurrency} clicks in "
        f"flight, {args.duplicates:.0%} sent twice at once; closed loop over loopback, one run each"
    )
    print(
        "ack = HTTP answer to the click; answered = click -> chat.update of that message at the fake; "
        "next = click -> the bot's next question (or result) at the fake. Times p50 / p99 in ms."
    )
    print(
        f"{'database':<11}{'server':<16}{'answers/s':>9}{'req/s':>7}{'err':>5}{'lost':>5}"
        f"{'ack':>16}{'answered':>16}{'next':>16}{'CPU ms/ans':>12}{'load CPU':>9}"
    )
    print("\n".join(rows))
    print("CPU ms/ans: the server process per recorded answer (not PostgreSQL's); load CPU: this script's.")
    print("\n".join(notes))
    print(f"server logs: {tmp}")


if __name__ == "__main__":
    asyncio.run(main())
