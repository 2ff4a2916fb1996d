"""The daily audit draw in a running bot (Slack fake, controllable clock): yesterday's sample per queue
posted once with its CSV, across repeated jobs and a restart; and a switch of inspection from returned
audits posted once, saying when and why."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from handlers.sampling import daily
from tests.e2e.escalate_flow import run_timers
from tests.e2e.harness import EXAMPLE_NOW, eventually, running_bot, texts
from tests.e2e.sampling_flow import (
    CHANNEL,
    REDUCED,
    YESTERDAY,
    sample_name,
    sample_posts,
    switch_posts,
    with_sampling,
    yesterdays_file,
    yesterdays_posts,
)
from tests.unit.sampling_fixtures import audit, csv_rows, drawn_keys


async def test_the_daily_draw_posts_once_with_its_file_across_restarts(workspace, loaded_url) -> None:
    ws = with_sampling(workspace)
    now = [EXAMPLE_NOW]  # 10:15 Dublin, past the 06:00 draw: the start catches up yesterday's
    async with running_bot(ws, loaded_url, clock=lambda: now[0]) as (bot, slack):
        posts = await yesterdays_posts(slack)
        assert {p.args["channel"] for p in posts} == {CHANNEL}
        hate = next(p for p in posts if "Hate speech EN" in p.args["text"])
        blocks = texts(hate.json("blocks"))
        assert f"Audit sample · Hate speech EN · {YESTERDAY}" in blocks
        assert "normal inspection, AQL 1, level II" in blocks
        sheet = await yesterdays_file(slack, "hate-en")
        assert sheet.thread_ts == hate.response["ts"]  # the file sits in the summary's thread
        rows = csv_rows(sheet.data)
        draw = await daily.store.load_draw(bot.db, "hate-en", YESTERDAY)
        assert draw is not None and len(rows) == draw.drawn.size > 0
        assert f"Drawn*\n{draw.drawn.size} (plan {draw.sample_size})" in blocks
        assert {r["item_id"] for r in rows} == {p.item_id for p in draw.drawn.picks}
        # the cron firing again (a retry, a second replica) posts nothing more
        await asyncio.gather(*(daily.draw_due(bot.services) for _ in range(3)))
        await run_timers(bot)  # and whatever the start and the scheduler set going has finished
        assert len(sample_posts(slack.fake)) == 3 and len(slack.fake.state.files) == 3
        fake = slack.fake
    async with running_bot(ws, loaded_url, clock=lambda: now[0], fake=fake) as (bot, slack):
        await daily.catch_up(bot.services)  # what the restart runs, awaited here
        # a signed request meanwhile: the admin's /sampling says where and when the draw posts
        body = (await slack.command("/sampling", "", user="U0QALEAD1")).json()
        assert f"Daily audit draw: at 06:00 (Europe/Dublin) in <#{CHANNEL}>" in texts(body["blocks"])
        await run_timers(bot)  # the restart's own catch-up and the scheduler's jobs, finished
        assert len(sample_posts(slack.fake)) == 3 and len(slack.fake.state.files) == 3


async def test_a_lot_failed_on_reduced_switches_to_normal_and_says_when_and_why(
    workspace, loaded_url
) -> None:
    ws = with_sampling(workspace, **{"hate-en": REDUCED})
    now = [EXAMPLE_NOW]
    async with running_bot(ws, loaded_url, clock=lambda: now[0]) as (bot, slack):
        await yesterdays_posts(slack)
        first = await daily.store.load_draw(bot.db, "hate-en", YESTERDAY)
        assert first is not None and first.inspection == "reduced"
        # every drawn decision comes back overturned ("no-such-label" differs from any decision)
        drawn = await drawn_keys(bot.db, YESTERDAY, "hate-en")
        assert len(drawn) == first.drawn.size
        await audit(bot.db, dict.fromkeys(drawn, "no-such-label"), "hate-en")
        now[0] = EXAMPLE_NOW + timedelta(days=1)
        # the next morning's run: no decisions for the 24th are loaded, but the 23rd's lot is judged
        await daily.draw_due(bot.services)
        await asyncio.gather(*(daily.draw_due(bot.services) for _ in range(2)))
        await run_timers(bot)
        posts = switch_posts(slack.fake)
        assert len(posts) == 1 and posts[0].args["channel"] == CHANNEL
        said = texts(posts[0].json("blocks"))
        assert "Hate speech EN" in said and "reduced → normal inspection" in said
        assert f"When: after the lot of {YESTERDAY} (its audits judged {now[0].date()})" in said
        assert f"lot {YESTERDAY} was not accepted under reduced inspection" in said
        state = await daily.store.load_state(bot.db, "northwind", "hate-en")
        assert state is not None and state.inspection == "normal"
        fake = slack.fake
    async with running_bot(ws, loaded_url, clock=lambda: now[0], fake=fake) as (bot, slack):
        await daily.catch_up(bot.services)
        await run_timers(bot)
        assert len(switch_posts(slack.fake)) == 1


async def test_a_post_retried_after_its_file_was_uploaded_does_not_upload_it_again(
    workspace, loaded_url, monkeypatch
) -> None:
    """The summary and its CSV went out, then recording the post failed (the database, say): the retry
    finds the post (keyed) and the file (a claim of its own), and adds neither again."""
    from bot import timers

    ws = with_sampling(workspace)
    now = [EXAMPLE_NOW]
    real = daily.store.set_posted
    failed: list[str] = []

    async def flaky(db, queue, day, ts):  # noqa: ANN001, ANN202
        if queue == "hate-en" and not failed:
            failed.append(queue)
            raise ConnectionError("the database went away")
        return await real(db, queue, day, ts)

    monkeypatch.setattr(daily.store, "set_posted", flaky)
    async with running_bot(ws, loaded_url, clock=lambda: now[0]) as (bot, slack):
        await eventually(lambda: failed and len(slack.fake.state.files) == 3, 30)
        now[0] = EXAMPLE_NOW + timedelta(minutes=5)  # past the timer's back-off
        while await timers.run_due(bot.services, bot.services.timers):
            pass
        draw = await daily.store.load_draw(bot.db, "hate-en", YESTERDAY)
        assert failed == ["hate-en"] and draw is not None and draw.posted_ts
        names = [f.name for f in slack.fake.state.files.values()]
        assert names.count(sample_name("hate-en")) == 1 and len(names) == 3
        assert len(sample_posts(slack.fake)) == 3
