"""The foundation over real signed HTTP: help, signatures, bad input, retries, mentions, home, health."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest

from bot.chat.model import Message
from bot.logs import JsonFormatter
from bot.roles import Role
from bot.routing import Router, UsageError
from tests.e2e.harness import SECRET, TOKEN, eventually, running_bot, settled, texts
from tests.fakes import signing


async def test_digest_help_answers_in_the_ack(workspace, database_url) -> None:
    async with running_bot(workspace, database_url) as (_bot, slack):
        reply = await slack.command("/digest", "help")
        assert reply.status == 200
        body = reply.json()
        assert body["response_type"] == "ephemeral"
        assert "/digest" in texts(body["blocks"]) and "help" in texts(body["blocks"])


@pytest.mark.parametrize("command", ["/digest", "/policy", "/quiz", "/escalate"])
async def test_every_command_answers_help(workspace, sqlite_db, command) -> None:
    async with running_bot(workspace, str(sqlite_db.url)) as (_bot, slack):
        body = (await slack.command(command, "help")).json()
        assert f"*{command}*" in texts(body["blocks"])


async def test_bad_signatures_are_refused_and_nothing_runs(workspace, sqlite_db) -> None:
    quiet = workspace.model_copy(update={"digests": []})  # no start-up work to muddy the call count
    async with running_bot(quiet, str(sqlite_db.url)) as (_bot, slack):
        await settled(_bot)  # start-up checks are done
        before = len(slack.fake.calls)
        assert (await slack.command("/digest", "help", secret="wrong-secret")).status == 401
        stale = int(time.time()) - 6 * 60
        assert (await slack.command("/digest", "help", timestamp=stale)).status == 401
        body = signing.event_body(
            {"type": "app_mention", "user": "U0LABEL01", "text": "hi", "channel": "C0QAOPS01", "ts": "1.0"},
            "EvNOSIG",
        )
        async with slack.session.post(
            slack.url, data=body, headers={"Content-Type": "application/json"}
        ) as r:
            assert r.status == 401
        await asyncio.sleep(0.2)
        assert len(slack.fake.calls) == before


async def test_unknown_subcommand_gets_usage(workspace, sqlite_db) -> None:
    """A command made of verbs only (every product command has a default, so a test one)."""
    router = Router()
    router.command("probe", "verbs only")

    async def ping(ctx, cmd, args) -> None:  # noqa: ANN001
        await ctx.respond(Message.text("pong"))

    router.subcommand("probe", "ping", ping, usage="/probe ping", summary="answers pong")
    async with running_bot(workspace, str(sqlite_db.url), router=router) as (_bot, slack):
        body = (await slack.command("/probe", "frobnicate now")).json()
        assert "I don't know `/probe frobnicate`" in texts(body["blocks"])
        assert body["response_type"] == "ephemeral"


async def test_malformed_payloads_get_400_and_the_bot_keeps_serving(workspace, sqlite_db) -> None:
    async with running_bot(workspace, str(sqlite_db.url)) as (_bot, slack):
        assert (await slack.post("block_actions", b"payload=%7Bnot-json")).status == 400
        shapeless = b"payload=" + json.dumps({"type": "block_actions", "actions": [{}]}).encode()
        assert (await slack.post("block_actions", shapeless)).status == 400
        assert (await slack.post("event", b"{broken json")).status == 400
        assert (await slack.command("/digest", "help")).status == 200


async def test_url_verification_challenge(workspace, sqlite_db) -> None:
    async with running_bot(workspace, str(sqlite_db.url)) as (_bot, slack):
        body = json.dumps({"token": "x", "challenge": "abc123", "type": "url_verification"}).encode()
        reply = await slack.post("event", body)
        assert reply.status == 200 and "abc123" in reply.text


def mention_event(slack, text: str) -> dict:
    """The person's message exists in the channel, as it does in Slack, and mentions the bot."""
    message = slack.fake.add_message("C0QAOPS01", "U0LABEL01", text)
    return {
        "type": "app_mention",
        "user": "U0LABEL01",
        "text": text,
        "channel": "C0QAOPS01",
        "ts": message.ts,
        "event_ts": message.ts,
    }


def replies_to(slack, event: dict) -> list:
    return [c for c in slack.fake.calls_to("chat.postMessage") if c.args.get("thread_ts") == event["ts"]]


async def test_mention_gets_overview_once_despite_retries(workspace, database_url) -> None:
    quiet = workspace.model_copy(update={"digests": []})  # no start-up DMs among the posts
    async with running_bot(quiet, database_url) as (bot, slack):
        event = mention_event(slack, "<@UBOT0001> hello there")
        assert (await slack.event(event, "Ev0001")).status == 200
        assert await eventually(lambda: replies_to(slack, event)), "the overview never came"
        for retry in (1, 2, 3):
            assert (await slack.event(event, "Ev0001", retry=retry)).status == 200
        await settled(bot)  # the retries' work is done: a duplicate would be here
        posts = replies_to(slack, event)
        assert len(posts) == 1
        assert posts[0].args["thread_ts"] == event["ts"]
        assert "/digest" in texts(posts[0].json("blocks"))


async def test_mention_that_names_a_command_answers_privately_in_thread(workspace, sqlite_db) -> None:
    async with running_bot(workspace, str(sqlite_db.url)) as (bot, slack):
        event = mention_event(slack, "<@UBOT0001> digest help")
        await slack.event(event, "Ev0002")
        await settled(bot)  # the mention's work is done: a public answer would be here
        answers = slack.fake.calls_to("chat.postEphemeral")
        assert len(answers) == 1
        assert answers[0].args["user"] == "U0LABEL01" and answers[0].args["thread_ts"] == event["ts"]
        assert "*/digest*" in texts(answers[0].json("blocks"))
        public = [c for c in slack.fake.calls_to("chat.postMessage") if c.args.get("channel") == "C0QAOPS01"]
        assert public == []


async def test_home_tab_is_published(workspace, sqlite_db) -> None:
    async with running_bot(workspace, str(sqlite_db.url)) as (_bot, slack):
        await slack.event(
            {"type": "app_home_opened", "user": "U0LABEL01", "channel": "D0001", "tab": "home"}, "Ev3"
        )
        published = await eventually(lambda: slack.fake.calls_to("views.publish"))
        view = published[0].json("view")
        assert view["type"] == "home" and "/escalate" in texts(view["blocks"])


def _slow_router(release: asyncio.Event) -> Router:
    """A test capability: a slow command (answers once `release` is set), an admin-only one and one
    that fails, to exercise the core."""
    router = Router()
    router.command("digest", "test digest")

    async def slow(ctx, cmd, args):
        await release.wait()  # beyond the ack budget: the answer must go by response_url
        await ctx.respond(Message.text("slow answer"))

    async def admin_only(ctx, cmd, args):
        await ctx.respond(Message.text("admin answer"))

    async def broken(ctx, cmd, args):
        raise RuntimeError("boom with xoxb-should-not-leak-123")

    async def strict(ctx, cmd, args):
        raise UsageError("`when` must be a date like 2026-11-23")

    router.subcommand("digest", "slow", slow, usage="/digest slow", summary="slow")
    router.subcommand(
        "digest", "admin", admin_only, usage="/digest admin", summary="admin", roles=[Role.ADMIN]
    )
    router.subcommand("digest", "broken", broken, usage="/digest broken", summary="broken")
    router.subcommand("digest", "strict", strict, usage="/digest strict", summary="strict")
    return router


async def test_slow_work_acks_in_time_and_answers_by_response_url(workspace, sqlite_db) -> None:
    release = asyncio.Event()
    quiet = workspace.model_copy(update={"digests": []})
    async with running_bot(quiet, str(sqlite_db.url), router=_slow_router(release)) as (bot, slack):
        await settled(bot)  # start-up checks are done
        # The handler cannot answer before it is released: an ack that waited for it would never come.
        reply = await asyncio.wait_for(slack.command("/digest", "slow"), timeout=30)
        assert reply.status == 200 and reply.text == ""  # acked with nothing to say yet
        assert slack.fake.calls_to("response_url") == []
        release.set()
        await settled(bot)
        answers = slack.fake.calls_to("response_url")
        assert [c.args.get("text") for c in answers] == ["slow answer"]
        assert [m.text for m in slack.fake.ephemeral_for("U0LABEL01")] == ["slow answer"]


async def test_roles_refusal_names_who_may(workspace, sqlite_db) -> None:
    async with running_bot(workspace, str(sqlite_db.url), router=_slow_router(asyncio.Event())) as (
        _b,
        slack,
    ):
        refused = (await slack.command("/digest", "admin", user="U0LABEL01")).json()
        assert "Only admins (QA leads) may run `/digest admin`" in texts(refused["blocks"])
        allowed = (await slack.command("/digest", "admin", user="U0QALEAD1")).json()
        assert "admin answer" in texts(allowed["blocks"])


async def test_usergroup_admins_are_resolved(workspace, sqlite_db) -> None:
    ws = workspace.model_copy(update={"admins": ["S0QALEADS"]})
    from tests.e2e.harness import seeded_fake

    fake = seeded_fake(ws)
    fake.add_usergroup("S0QALEADS", ["U0TRAINER1"])
    async with running_bot(ws, str(sqlite_db.url), fake=fake, router=_slow_router(asyncio.Event())) as (
        _b,
        slack,
    ):
        allowed = (await slack.command("/digest", "admin", user="U0TRAINER1")).json()
        assert "admin answer" in texts(allowed["blocks"])
        await slack.command("/digest", "admin", user="U0TRAINER1")
        assert len(fake.calls_to("usergroups.users.list")) == 1  # cached


async def test_failures_are_reported_logged_once_and_secrets_scrubbed(workspace, sqlite_db, caplog) -> None:
    caplog.set_level(logging.INFO)
    async with running_bot(workspace, str(sqlite_db.url), router=_slow_router(asyncio.Event())) as (
        _b,
        slack,
    ):
        body = (await slack.command("/digest", "broken")).json()
        assert "Something went wrong" in texts(body["blocks"])
        usage = (await slack.command("/digest", "strict")).json()
        assert "`when` must be a date" in texts(usage["blocks"]) and "/digest help" in texts(usage["blocks"])
    lines = [r for r in caplog.records if r.name == "tsqa.request"]
    outcomes = {(r.fields["id"], r.fields["outcome"]) for r in lines}
    assert ("/digest broken", "error") in outcomes and ("/digest strict", "usage") in outcomes
    assert all({"kind", "id", "user", "latency_ms", "outcome"} <= set(r.fields) for r in lines)
    failure = next(r for r in caplog.records if r.name == "tsqa.dispatch" and r.exc_info)
    line = JsonFormatter([SECRET]).format(failure)
    assert "xoxb-should-not-leak" not in line and "[redacted]" in line
    assert json.loads(line)["level"] == "error"


async def test_health_is_200_with_a_database(workspace, sqlite_db) -> None:
    async with (
        running_bot(workspace, str(sqlite_db.url)) as (bot, slack),
        slack.session.get(f"http://127.0.0.1:{bot.http_port}/healthz") as response,
    ):
        assert response.status == 200


async def test_health_is_503_when_the_database_is_down() -> None:
    from aiohttp import ClientSession, web
    from aiohttp.test_utils import TestServer

    from bot.slack.server import health_routes
    from storage.engine import Database

    dead = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    app = web.Application()
    app.add_routes(health_routes(dead.ping))
    async with (
        TestServer(app, host="127.0.0.1") as server,
        ClientSession() as session,
        session.get(server.make_url("/healthz")) as response,
    ):
        assert response.status == 503
        assert (await response.json())["database"] == "down"
    await dead.dispose()


def test_token_is_not_in_settings_repr() -> None:
    from bot.config import Settings

    settings = Settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET, _env_file=None)
    assert TOKEN not in repr(settings) and SECRET not in repr(settings)


async def test_setup_problems_are_told_to_admins_once(workspace, sqlite_db) -> None:
    from tests.e2e.harness import seeded_fake

    quiet = workspace.model_copy(update={"digests": []})
    fake = seeded_fake(quiet)
    fake.add_channel("C0BLUEB01", "vendor-bluebird", members=["U0BBLEAD1"], bot_member=False)
    for _ in range(2):  # a restart must not repeat the DM
        async with running_bot(quiet, str(sqlite_db.url), fake=fake) as (bot, _slack):
            await settled(bot)  # the start-up check has told what it tells
    notes = fake.messages_in(fake.dm_channel("U0QALEAD1"))
    assert len(notes) == 1
    assert (
        "I am not in #vendor-bluebird (Bluebird Moderation's channel): type `/invite @tsqa`" in notes[0].text
    )


async def test_setup_checks_the_appeals_review_channel_when_appeals_are_on(workspace, sqlite_db) -> None:
    from tests.e2e.harness import seeded_fake

    quiet = workspace.model_copy(update={"digests": []})
    assert quiet.appeals is not None
    fake = seeded_fake(quiet)
    fake.add_channel(quiet.appeals.channel, "qa-appeals", members=["U0QALEAD1"], bot_member=False)
    async with running_bot(quiet, str(sqlite_db.url), fake=fake) as (_bot, slack):
        dm = slack.fake.dm_channel("U0QALEAD1")
        notes = await eventually(lambda: slack.fake.messages_in(dm))
    assert any("I am not in #qa-appeals (appeal reviews): type `/invite @tsqa`" in n.text for n in notes)
    # Without the section appeals are off: the channel is not the bot's concern, so nothing to tell.
    off = quiet.model_copy(update={"appeals": None})
    before = len(fake.calls)
    async with running_bot(off, str(sqlite_db.url), fake=fake) as (bot, slack):
        await settled(bot)
        checked = [
            c.args.get("channel") for c in slack.fake.calls[before:] if c.method == "conversations.info"
        ]
        assert checked and quiet.appeals.channel not in checked
        assert len(slack.fake.messages_in(slack.fake.dm_channel("U0QALEAD1"))) == 1  # the first run's


async def test_setup_notices_show_names_from_the_workspace_file_as_text(workspace, sqlite_db) -> None:
    from tests.e2e.harness import seeded_fake

    vendors = [
        v.model_copy(update={"name": "Blue <!here> <https://x.example|Re-login>"}) for v in workspace.vendors
    ]
    quiet = workspace.model_copy(update={"digests": [], "vendors": vendors})
    fake = seeded_fake(quiet)
    fake.add_channel("C0BLUEB01", "vendor-bluebird", members=["U0BBLEAD1"], bot_member=False)
    async with running_bot(quiet, str(sqlite_db.url), fake=fake) as (_bot, slack):
        dm = slack.fake.dm_channel("U0QALEAD1")
        notes = await eventually(lambda: slack.fake.messages_in(dm))
    assert "Blue &lt;!here&gt; &lt;https://x.example|Re-login&gt;'s channel" in notes[0].text
    assert "<!here>" not in str(notes[0].blocks)


async def test_rate_limited_posts_wait_for_retry_after_and_succeed(workspace, sqlite_db) -> None:
    quiet = workspace.model_copy(update={"digests": []})
    async with running_bot(quiet, str(sqlite_db.url)) as (bot, slack):
        await settled(bot)
        slack.fake.fail_next("chat.postMessage", status=429, retry_after=1)
        slack.fake.fail_next("chat.postMessage", status=503)
        event = mention_event(slack, "<@UBOT0001> hello")
        began = asyncio.get_running_loop().time()
        await slack.event(event, "EvRate1")
        posts = await eventually(
            lambda: [c for c in slack.fake.calls_to("chat.postMessage") if c.status == 200], timeout=10
        )
        statuses = [c.status for c in slack.fake.calls_to("chat.postMessage")]
        assert statuses == [429, 503, 200]
        assert asyncio.get_running_loop().time() - began >= 1.0  # Retry-After was honoured
        assert len(posts) == 1 and posts[0].args["thread_ts"] == event["ts"]
