"""Quiz answer clicks over signed HTTP: the bot on SQLite and on PostgreSQL against a bare slack-bolt
app whose click handler acks and makes one Web API call (issue 9's benchmark).

Setup, not measured: a topic of 5 single-choice questions and one attempt per simulated labeler and
phase, written straight to the database; then `tsqa run` as a subprocess against a Slack fake (one
fake per server, so neither pays for the other's messages). Each labeler answers its questions in
order with displayed option 0: it clicks question p's message and waits until the server's answer
reaches the fake before clicking the next one; 5% of clicks are sent twice at once. Two phases:
- saturated: a closed loop with `--concurrency` clicks in flight and no pause: the most either
  server can do on this machine, which the load generator shares (2 cores here);
- paced: all `--labelers` at once, each reading 0 to 2 x `--think` seconds before every click, as
  people do: the latency labelers feel at that offered load.
Measured per click:
- ack: the HTTP answer to the signed block_actions request (the bot acks before any database work);
- answered: click -> the chat.update of the clicked message reaching the fake (the bot's verdict in
  place, the bare app's one call): the like-for-like figure;
- next: click -> the bot's chat.postMessage of the next question (or of the result) reaching the fake:
  what a labeler waits for before the next click (bot only).
Afterwards the database must hold exactly one answer per (attempt, position) with every attempt
finished, and the fake must have seen one verdict and one next message per answer. The targets
(>= 0.7x the bare app, p99 < 150 ms) are printed as met or missed, never asserted. Server CPU excludes
PostgreSQL's own processes.

    python benchmarks/quiz_load.py [--labelers 500] [--concurrency 50] [--think 3] [--duplicates 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.http_load import cpu_seconds, free_port, wait_ready  # noqa: E402
from benchmarks.quiz_arrivals import Arrivals  # noqa: E402
from benchmarks.quiz_checks import QUESTIONS, check_database, check_side_effects  # noqa: E402
from benchmarks.quiz_clicks import SECRET, TOKEN, Run, load, new_fake, seed_questions  # noqa: E402
from benchmarks.scratch_db import postgres_database  # noqa: E402
from handlers.quiz import attempts, store  # noqa: E402
from handlers.quiz.bank import Choice, ImportedBank, Question  # noqa: E402
from storage.engine import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

TOPIC = "bench-basics"
WARMUP_LABELERS = 20  # imports, connection pools and caches warm up on these; not measured
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


@dataclass
class Plans:
    """Who answers in each phase (user -> attempt): every attempt is answered in one phase only."""

    warmup: dict[str, str]
    saturated: dict[str, str]
    paced: dict[str, str]

    @property
    def users(self) -> list[str]:
        return [*self.warmup, *self.saturated, *self.paced]


@dataclass
class Measured:
    saturated: Run
    paced: Run | None
    duplicates: int  # every duplicate click of the server's life: each hears "already answered"
    arrivals: Arrivals


async def measure(
    name: str, database_url: str, plans: Plans, args: argparse.Namespace, tmp: Path
) -> Measured:
    """One server (the bot, or the bare reference with `database_url` unused) from start to stop:
    warm-up, the saturated run, then the paced run."""
    fake = new_fake(plans.users)
    bot = name == BOT
    first_ts = seed_questions(fake, plans.users, 1 if bot else QUESTIONS)
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

    async def timed(plan: dict[str, str], seed: int, think: float) -> Run:
        # The Slack fake lives in this process and keeps every call: without this, a full collection
        # of its heap stalls it for ~0.4 s mid-phase, which shows up as the server's latency.
        gc.collect()
        gc.freeze()
        cpu_before, load_before = cpu_seconds(process.pid), time.process_time()
        run = await load(url, fake, arrivals, plan, first_ts, seed=seed, think=think, **options)
        run.cpu_s = cpu_seconds(process.pid) - cpu_before
        run.load_cpu_s = time.process_time() - load_before
        return run

    try:
        await wait_ready(f"http://127.0.0.1:{port}/healthz" if bot else url)
        warm = await load(url, fake, arrivals, plans.warmup, first_ts, seed=args.seed + 1, **options)
        saturated = await timed(plans.saturated, args.seed, 0.0)
        paced = await timed(plans.paced, args.seed + 2, args.think) if plans.paced else None
        await asyncio.sleep(0.5)  # late answers to duplicate clicks, before counting side effects
    finally:
        stop(process)
        await fake.stop()
    duplicates = warm.duplicates + saturated.duplicates + (paced.duplicates if paced else 0)
    return Measured(saturated, paced, duplicates, arrivals)


def ms(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * q) - 1)] * 1000 if q < 1 else ordered[-1] * 1000


def per_answer(cpu_s: float, run: Run) -> float:
    return cpu_s / max(run.answers, 1) * 1000


def verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def row(database: str, name: str, mode: str, run: Run) -> str:
    nxt = f"{statistics.median(run.next) * 1000:6.1f} /{ms(run.next, 0.99):6.1f}" if run.next else "     -"
    return (
        f"{database:<11}{name:<16}{mode:<10}"
        f"{run.answers / run.elapsed:>9.0f}{run.requests / run.elapsed:>7.0f}"
        f"{run.errors:>5}{run.lost:>5}"
        f"{statistics.median(run.ack) * 1000:>9.1f} /{ms(run.ack, 0.99):6.1f}"
        f"{statistics.median(run.answered) * 1000:>9.1f} /{ms(run.answered, 0.99):6.1f}"
        f"{nxt:>16}{per_answer(run.cpu_s, run):>12.2f}{per_answer(run.load_cpu_s, run):>9.2f}"
    )


async def section(
    database: str, url: str, args: argparse.Namespace, tmp: Path
) -> tuple[list[str], list[str]]:
    """Prepare the database, measure the bare app and the bot on the same payloads, check the result."""
    count = args.labelers
    paced_count = count if args.think > 0 else 0
    phases = {"warmup": WARMUP_LABELERS, "saturated": count, "paced": paced_count}
    users, first = {}, 0
    for phase, size in phases.items():
        users[phase] = [labeler_id(first + n) for n in range(size)]
        first += size
    setup_began = time.perf_counter()
    started = await prepare(url, [u for group in users.values() for u in group])
    setup_s = time.perf_counter() - setup_began
    plans = Plans(*({u: started[u] for u in users[phase]} for phase in phases))
    bare = await measure(BARE, url, plans, args, tmp)
    bot = await measure(BOT, url, plans, args, tmp)
    rows = [row(database, BARE, "saturated", bare.saturated), row(database, BOT, "saturated", bot.saturated)]
    if bare.paced and bot.paced:
        rows += [row(database, BARE, "paced", bare.paced), row(database, BOT, "paced", bot.paced)]
    db_ok, db_detail = await check_database(url, len(started))
    fx_ok, fx_detail = check_side_effects(bot.arrivals, plans.users, bot.duplicates)
    sat_bot, sat_bare = bot.saturated, bare.saturated
    ratio = (sat_bot.answers / sat_bot.elapsed) / (sat_bare.answers / sat_bare.elapsed)
    cpu_ratio = per_answer(sat_bare.cpu_s, sat_bare) / per_answer(sat_bot.cpu_s, sat_bot)
    notes = [
        f"{database}: saturated, tsqa-bot / bare = {ratio:.2f} in answers/s "
        f"(target >= 0.70: {verdict(ratio >= 0.7)}),"
        f" {cpu_ratio:.2f} by server CPU per answer; bot p99 until the next question "
        f"{ms(sat_bot.next, 0.99):.1f} ms (< 150: {verdict(ms(sat_bot.next, 0.99) < 150)})",
    ]
    if bot.paced and bare.paced:
        paced_ratio = (bot.paced.answers / bot.paced.elapsed) / (bare.paced.answers / bare.paced.elapsed)
        ack99, next99 = ms(bot.paced.ack, 0.99), ms(bot.paced.next, 0.99)
        notes.append(
            f"{database}: paced ({count} labelers reading 0-{2 * args.think:.0f} s between answers), "
            f"tsqa-bot / bare = {paced_ratio:.2f} in answers/s "
            f"(target >= 0.70: {verdict(paced_ratio >= 0.7)});"
            f" bot p99 of the ack {ack99:.1f} ms, until the next question {next99:.1f} ms "
            f"(< 150: {verdict(next99 < 150)})"
        )
    notes += [
        f"{database}: setup (topic and {len(started)} attempts, not measured) took {setup_s:.1f} s",
        f"{database}: exactly once in the database: {'PASS' if db_ok else 'FAIL'} ({db_detail})",
        f"{database}: the bot's messages once: {'PASS' if fx_ok else 'FAIL'} ({fx_detail})",
    ]
    return rows, notes


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labelers", type=int, default=500, help="per phase (saturated, paced)")
    parser.add_argument("--concurrency", type=int, default=50, help="clicks in flight at once when saturated")
    parser.add_argument(
        "--think", type=float, default=3.0, help="mean reading seconds when paced; 0: no paced run"
    )
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
        async with postgres_database(POSTGRES_URL) as url:
            if url is not None:
                pg_rows, pg_notes = await section("postgresql", url, args, tmp)
                rows += pg_rows
                notes += pg_notes
    print(
        f"Quiz answer clicks: {args.labelers} labelers x {QUESTIONS} questions per phase; saturated: "
        f"{args.concurrency} clicks in flight; paced: all labelers at once, "
        f"reading 0-{2 * args.think:.0f} s; "
        f"{args.duplicates:.0%} of clicks sent twice at once; over loopback, one run each"
    )
    print(
        "ack = HTTP answer to the click; answered = click -> chat.update of that message at the fake; "
        "next = click -> the bot's next question (or result) at the fake. Times p50 / p99 in ms."
    )
    print(
        f"{'database':<11}{'server':<16}{'mode':<10}{'answers/s':>9}{'req/s':>7}{'err':>5}{'lost':>5}"
        f"{'ack':>16}{'answered':>16}{'next':>16}{'CPU ms/ans':>12}{'load CPU':>9}"
    )
    print("\n".join(rows))
    print("CPU ms/ans: the server process per recorded answer (not PostgreSQL's); load CPU: this script's.")
    print("\n".join(notes))
    print(f"server logs: {tmp}")


if __name__ == "__main__":
    asyncio.run(main())
