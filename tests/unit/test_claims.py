"""The one claim mechanism on SQLite and PostgreSQL: leases that run out, results, durable timers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from storage import claims
from storage.engine import Database

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_an_unfinished_claim_is_taken_again_once_its_lease_runs_out(db: Database) -> None:
    # The first worker is SIGKILLed after taking the claim: it never finishes nor releases.
    first = await claims.take(db, "digest:C1:2026-11-29:all", "digest", T0, owner="killed")
    assert first.won and not first.retaken
    held = await claims.take(db, "digest:C1:2026-11-29:all", "digest", T0 + timedelta(seconds=30))
    assert not held.won and not held.done  # a live lease: another worker is on it
    later = T0 + claims.LEASE + timedelta(seconds=1)
    again = await claims.take(db, "digest:C1:2026-11-29:all", "digest", later)
    assert again.won and again.retaken and again.attempts == 2  # look for the half-done effect first
    assert await claims.finish(db, "digest:C1:2026-11-29:all", later, "1764406800.000100")
    done = await claims.take(db, "digest:C1:2026-11-29:all", "digest", later + timedelta(hours=1))
    assert (done.won, done.done, done.result) == (False, True, "1764406800.000100")


async def test_a_worker_that_lost_its_lease_cannot_record_over_the_new_owner(db: Database) -> None:
    await claims.take(db, "k", "digest", T0, owner="slow")
    await claims.take(db, "k", "digest", T0 + claims.LEASE * 2, owner="fast")
    assert await claims.finish(db, "k", T0 + claims.LEASE * 2, "late", owner="slow") is False
    assert await claims.finish(db, "k", T0 + claims.LEASE * 2, "ts-1", owner="fast") is True
    assert (await claims.state(db, "k")).result == "ts-1"


async def test_once_records_the_result_and_gives_the_key_back_when_the_work_fails(db: Database) -> None:
    clock = Clock()
    calls = []

    async def fails(taken: claims.Taken) -> str:
        calls.append(taken.attempts)
        raise ConnectionError("slack unreachable")

    async def works(taken: claims.Taken) -> str:
        calls.append(taken.attempts)
        return "ts-9"

    with pytest.raises(ConnectionError):
        await claims.once(db, "notice:x", "notice", clock, fails)
    assert (await claims.state(db, "notice:x")).last_error == "ConnectionError: slack unreachable"
    taken = await claims.once(db, "notice:x", "notice", clock, works)  # at once: no lease to wait out
    assert taken.done and taken.result == "ts-9"
    assert (await claims.once(db, "notice:x", "notice", clock, works)).won is False
    assert calls == [1, 2]


async def test_concurrent_takers_of_one_key_have_one_winner(db: Database) -> None:
    results = await asyncio.gather(*(claims.take(db, "race", "digest", T0) for _ in range(8)))
    assert [r.won for r in results].count(True) == 1


async def test_a_timer_runs_when_due_once_across_workers_and_after_a_crash(db: Database) -> None:
    await claims.schedule(db, "remind:a1", "quiz.remind", T0 + timedelta(hours=1), T0, {"user": "U1"})
    assert await claims.schedule(db, "remind:a1", "quiz.remind", T0, T0) is False  # idempotent
    assert await claims.take_due(db, T0, ["quiz.remind"]) == []  # not due yet
    due = T0 + timedelta(hours=1)
    won = await asyncio.gather(*(claims.take_due(db, due, ["quiz.remind"], owner=f"w{i}") for i in range(4)))
    taken = [t for batch in won for t in batch]
    assert len(taken) == 1 and taken[0].payload == {"user": "U1"} and taken[0].kind == "quiz.remind"
    # its worker dies: the lease runs out and the timer is due again, once
    after = due + claims.LEASE + timedelta(seconds=1)
    again = await claims.take_due(db, after, ["quiz.remind"], owner="w9")
    assert [t.attempts for t in again] == [2]
    await claims.finish(db, "remind:a1", after, "sent", owner="w9")
    assert await claims.take_due(db, after + timedelta(days=1), ["quiz.remind"]) == []


async def test_a_released_timer_waits_for_its_retry_time_and_a_cancelled_one_never_runs(db: Database) -> None:
    await claims.schedule(db, "t1", "k", T0, T0)
    await claims.schedule(db, "t2", "k", T0 + timedelta(minutes=1), T0)
    [first] = await claims.take_due(db, T0, ["k"])
    await claims.release(db, first.key, retry_at=T0 + timedelta(minutes=5), error="503")
    assert await claims.cancel(db, "t2", T0) is True
    assert await claims.cancel(db, "t2", T0) is False
    assert await claims.take_due(db, T0 + timedelta(minutes=2), ["k"]) == []
    assert [t.key for t in await claims.take_due(db, T0 + timedelta(minutes=5), ["k"])] == ["t1"]


async def test_times_in_any_zone_compare_as_instants(db: Database) -> None:
    # 10:00 in Dublin is 09:00 UTC in November; 11:30 in Nairobi (UTC+3) is 08:30 UTC: already due.
    from zoneinfo import ZoneInfo

    nairobi = datetime(2026, 11, 30, 11, 30, tzinfo=ZoneInfo("Africa/Nairobi"))
    await claims.schedule(db, "t", "k", nairobi, T0)
    assert [t.key for t in await claims.take_due(db, T0, ["k"])] == ["t"]
    row = await claims.state(db, "t")
    assert row.due_at == nairobi and row.due_at.tzinfo is not None


async def test_a_timer_waiting_on_a_held_claim_tries_again_when_that_lease_ends(db: Database) -> None:
    # After a crash the timer's lease can run out before the lease on the post it was making: the
    # timer waits for that lease instead of backing off for a minute (or counting a failure).
    from types import SimpleNamespace

    from bot import timers
    from bot.routing import Timer

    until = T0 + timedelta(seconds=40)

    async def run(_services, _taken) -> str:  # noqa: ANN001
        raise claims.Held("digest:C1:2026-11-29:all", until)

    await claims.schedule(db, "t", "k", T0, T0)
    [taken] = await claims.take_due(db, T0, ["k"])
    services = SimpleNamespace(db=db, clock=Clock())
    assert await timers.run_one(services, Timer("k", run), taken) == "waiting"
    row = await claims.state(db, "t")
    assert (row.due_at, row.done_at, row.last_error, row.attempts) == (until, None, None, 0)  # no try used


async def test_a_timer_still_waiting_on_a_held_claim_at_its_deadline_gives_up_and_says_so(
    db: Database,
) -> None:
    from types import SimpleNamespace

    from bot import timers
    from bot.routing import Timer

    told = []

    async def run(_services, _taken) -> str:  # noqa: ANN001
        raise claims.Held("digest:C1:2026-11-29:all", T0 + timedelta(hours=2))  # a post hanging elsewhere

    async def give_up(_services, taken, error) -> None:  # noqa: ANN001
        told.append((taken.key, error))

    await claims.schedule(db, "t", "k", T0, T0, {"until": (T0 + timedelta(hours=1)).isoformat()})
    [taken] = await claims.take_due(db, T0, ["k"])
    services = SimpleNamespace(db=db, clock=Clock())
    assert await timers.run_one(services, Timer("k", run, give_up=give_up), taken) == "gave up"
    assert (await claims.state(db, "t")).done_at is not None
    assert told and "held by another worker" in told[0][1]
