"""The clicks of the quiz benchmark: simulated labelers answering their questions over signed HTTP,
each waiting for the server's answer at the Slack fake before the next click, timed per click."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

import aiohttp

from benchmarks.quiz_arrivals import Arrivals
from benchmarks.quiz_checks import QUESTIONS
from bot.local.webapi import SlackWebAPI
from tests.fakes.signing import block_actions_body, signed_headers

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"


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
    think: float = 0.0,
) -> Run:
    """Every labeler answers its questions in order. Saturated (`think` 0): `concurrency` clicks are in
    flight at once, each until the server's answer the labeler waits for (bot: the next question;
    bare: its one call). Paced: every labeler at once, reading for 0 to 2 x `think` seconds before
    each click, as people do."""
    run, rng = Run(), random.Random(seed)
    gate = asyncio.Semaphore(concurrency if think <= 0 else len(plan))
    twice = {(user, p): rng.random() < duplicates for user in plan for p in range(QUESTIONS)}
    reading = {user: random.Random(f"{seed}:{user}") for user in plan}
    connector = aiohttp.TCPConnector(limit=(concurrency if think <= 0 else len(plan)) * 2)
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
                if think > 0:
                    await asyncio.sleep(reading[user].uniform(0, 2 * think))
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
