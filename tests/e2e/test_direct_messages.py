"""Direct messages to the bot on Slack, end to end over signed HTTP: free text in a person's DM reaches
the text handlers (`direct`), is answered once in the DM however often Slack retries it, and what is not
a person's new message there (edits, bots, the bot itself, channel chatter) is left alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.app import TsqaBot
from bot.chat.events import Mention
from bot.chat.model import Message, md
from bot.context import Context
from bot.routing import Router
from bot.workspace import Workspace
from tests.e2e.harness import SlackSide, eventually, running_bot, settled, texts

LABELER = "U0LABEL01"
QA_OPS = "C0QAOPS01"
BOT_USER, BOT_ID = "UBOT0001", "B0TEST01"  # the Slack fake's own bot
QUESTION = "does a quoted insult in a news post count as harassment"


def listening(heard: list[Mention]) -> Router:
    """A router whose one text handler records what it got and answers, as privately as it may."""
    router = Router()

    async def answer(ctx: Context, mention: Mention) -> bool:
        heard.append(mention)
        await ctx.respond(Message.text(md("Heard: {}", mention.text)))
        return True

    router.on_text(answer)
    return router


@asynccontextmanager
async def bot_with(
    workspace: Workspace, database_url: str, router: Router | None = None
) -> AsyncIterator[tuple[TsqaBot, SlackSide]]:
    """The bot on the real clock, so without the example's scheduled digests (they would speak mid-test)."""
    quiet = workspace.model_copy(update={"digests": []})
    async with running_bot(quiet, database_url, router=router) as (bot, slack):
        yield bot, slack


def dm_event(slack: SlackSide, text: str, user: str = LABELER, **extra: Any) -> dict[str, Any]:
    """The person's message exists in their DM with the bot, and Slack sends it as message.im does."""
    channel = slack.fake.dm_channel(user)
    message = slack.fake.add_message(channel, user, text, thread_ts=extra.get("thread_ts"))
    event = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": message.ts,
        "event_ts": message.ts,
        "channel_type": "im",
        "client_msg_id": f"msg-{message.ts}",
    }
    return {**event, **extra}


def posts_in(slack: SlackSide, channel: str) -> list[Any]:
    return [c for c in slack.fake.calls_to("chat.postMessage") if c.args.get("channel") == channel]


async def test_a_dm_is_answered_once_in_the_dm_despite_retries(workspace, database_url) -> None:
    heard: list[Mention] = []
    async with bot_with(workspace, database_url, listening(heard)) as (bot, slack):
        event = dm_event(slack, QUESTION)
        assert (await slack.event(event, "EvDM0001")).status == 200
        await eventually(lambda: posts_in(slack, event["channel"]))
        for retry in (1, 2, 3):
            assert (await slack.event(event, "EvDM0001", retry=retry)).status == 200
        await settled(bot)
        answers = posts_in(slack, event["channel"])
        assert len(answers) == 1 and "thread_ts" not in answers[0].args
        assert f"Heard: {QUESTION}" in texts(answers[0].json("blocks"))
        assert slack.fake.calls_to("chat.postEphemeral") == []  # a DM is private: no ephemeral needed
        assert heard == [Mention(QUESTION, LABELER, event["channel"], event["ts"], direct=True)]


async def test_a_dm_in_a_thread_is_answered_in_that_thread(workspace, sqlite_db) -> None:
    heard: list[Mention] = []
    async with bot_with(workspace, str(sqlite_db.url), listening(heard)) as (_bot, slack):
        root = slack.fake.add_message(slack.fake.dm_channel(LABELER), LABELER, "a question first")
        event = dm_event(slack, f"<@{BOT_USER}> and a follow-up", thread_ts=root.ts)
        await slack.event(event, "EvDM0002")
        answers = await eventually(lambda: posts_in(slack, event["channel"]))
        assert answers[0].args["thread_ts"] == root.ts
        assert heard[0].text == "and a follow-up" and heard[0].thread_ts == root.ts and heard[0].direct


async def test_what_is_not_a_persons_new_dm_is_ignored(workspace, sqlite_db) -> None:
    heard: list[Mention] = []
    async with bot_with(workspace, str(sqlite_db.url), listening(heard)) as (bot, slack):
        dm = slack.fake.dm_channel(LABELER)
        edited = dm_event(slack, QUESTION)
        ignored = [
            {
                "type": "message",
                "subtype": "message_changed",
                "channel": dm,
                "channel_type": "im",
                "hidden": True,
                "ts": "1764000000.000100",
                "event_ts": "1764000000.000100",
                "message": {"type": "message", "user": LABELER, "text": "edited", "ts": edited["ts"]},
            },
            dm_event(slack, "a bot says hi", user=BOT_USER, subtype="bot_message", bot_id="B0OTHER01"),
            dm_event(slack, "Here is what I can do", user=BOT_USER, bot_id=BOT_ID),
            dm_event(slack, "a file for you", subtype="file_share"),
            {**dm_event(slack, QUESTION), "channel": QA_OPS, "channel_type": "channel"},
        ]
        for n, event in enumerate(ignored):
            assert (await slack.event(event, f"EvIGN{n:04d}")).status == 200
        # The same person's plain DM afterwards is heard: the ones above were left, not just slow.
        control = dm_event(slack, "and this one counts")
        await slack.event(control, "EvDM0003")
        await eventually(lambda: heard)
        await settled(bot)
        assert [m.text for m in heard] == ["and this one counts"]
        assert len(posts_in(slack, dm)) == 1 and posts_in(slack, QA_OPS) == []


async def test_a_dm_naming_a_command_runs_it_in_the_dm(workspace, sqlite_db) -> None:
    heard: list[Mention] = []
    async with bot_with(workspace, str(sqlite_db.url), listening(heard)) as (bot, slack):
        event = dm_event(slack, "digest help")
        await slack.event(event, "EvDM0004")
        answers = await eventually(lambda: posts_in(slack, event["channel"]))
        assert "*/digest*" in texts(answers[0].json("blocks"))
        await settled(bot)
        assert heard == [] and slack.fake.calls_to("chat.postEphemeral") == []


async def test_a_channel_mention_with_free_text_reaches_the_handler_not_as_direct(
    workspace, sqlite_db
) -> None:
    heard: list[Mention] = []
    async with bot_with(workspace, str(sqlite_db.url), listening(heard)) as (_bot, slack):
        text = f"<@{BOT_USER}> {QUESTION}"
        message = slack.fake.add_message(QA_OPS, LABELER, text)
        event = {"type": "app_mention", "user": LABELER, "text": text, "channel": QA_OPS}
        await slack.event({**event, "ts": message.ts, "event_ts": message.ts}, "EvMEN0001")
        await eventually(lambda: heard)
        assert heard == [Mention(QUESTION, LABELER, QA_OPS, message.ts, direct=False)]
        # Its answer is for the asker alone, under their message.
        answers = await eventually(lambda: slack.fake.calls_to("chat.postEphemeral"))
        assert answers[0].args["user"] == LABELER and answers[0].args["thread_ts"] == message.ts


async def test_without_a_text_handler_a_dm_gets_the_overview(workspace, sqlite_db) -> None:
    async with bot_with(workspace, str(sqlite_db.url)) as (bot, slack):
        bot.router.text_handlers.clear()  # whatever capabilities answer free text, none does here
        event = dm_event(slack, "hello there")
        await slack.event(event, "EvDM0005")
        answers = await eventually(lambda: posts_in(slack, event["channel"]))
        shown = texts(answers[0].json("blocks"))
        assert "I help Trust & Safety QA teams" in shown and "/digest" in shown
