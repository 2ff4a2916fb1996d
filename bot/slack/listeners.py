"""Bolt listeners: ack in time, translate Slack payloads into neutral events, hand them to the dispatcher.

The first ephemeral answer to a command rides in the ack itself (no extra API call); if the handler
has not answered within the ack budget, the listener acks empty and the handler answers by
response_url (see bot/slack/ack.py). What needs no handler (help, usage) is answered in the ack with
no background task at all.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond

from bot.chat.events import Action, Command, FileShared, FormSubmission, HomeOpened, Mention, Shortcut
from bot.chat.model import Message, MessageRef
from bot.chat.port import ChatPort
from bot.dispatch import Dispatcher
from bot.slack import render
from bot.slack.ack import AckDeadlines, AckResponder, response, settle

log = logging.getLogger("tsqa.slack")

_MENTION = re.compile(r"<@[A-Z0-9]+(\|[^>]*)?>")
# Slack's tokens in message text: <@U…>, <#C…|name>, <!here>, <!subteam^S…>, <https://…|label>.
_TOKEN = re.compile(r"<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>")


def from_a_bot(event: dict[str, Any], context: AsyncBoltContext) -> bool:
    """Bots (this one included) are never answered: two bots answering each other never stop."""
    own = {context.bot_user_id, context.bot_id} - {None}
    return bool(
        event.get("bot_id")
        or event.get("subtype") == "bot_message"
        or event.get("user") in own
        or event.get("user_id") in own
    )


def missing(event: dict[str, Any], *keys: str) -> bool:
    """An event without the IDs a reply needs is dropped, never answered into `channel=""`."""
    absent = [k for k in keys if not isinstance(event.get(k), str) or not event[k]]
    if absent:
        log.warning("dropped a %s event without %s", event.get("type"), ", ".join(absent))
    return bool(absent)


def mention_from(event: dict[str, Any], *, direct: bool = False) -> Mention:
    """The text without mentions of anyone (the bot's own included), where it was said."""
    return Mention(
        text=_MENTION.sub("", event.get("text") or "").strip(),
        user=event["user"],
        channel=event["channel"],
        ts=event["ts"],
        thread_ts=event.get("thread_ts"),
        direct=direct,
    )


def plain_text(text: str) -> str:
    """A message's text as a person reads it: people and channels as @ID and #name, links as their
    label, Slack's &amp; &lt; &gt; unescaped."""

    def readable(match: re.Match[str]) -> str:
        sigil, target, label = match.groups()
        if sigil == "@":
            return f"@{target}"
        if sigil == "#":
            return f"#{label or target}"
        if sigil == "!":
            return "@" + (label or target.split("^", 1)[-1]).lstrip("@")
        return label or target

    return html.unescape(_TOKEN.sub(readable, text))


def shortcut_from(body: dict[str, Any]) -> Shortcut:
    """A message_action payload as the neutral event; the author is a person's ID or a bot's."""
    message = body.get("message") or {}
    return Shortcut(
        name=body["callback_id"],
        user=body["user"]["id"],
        channel=(body.get("channel") or {}).get("id") or "",
        message_ts=body.get("message_ts") or message.get("ts") or "",
        text=plain_text(message.get("text") or ""),
        author=message.get("user") or message.get("bot_id"),
        trigger=body.get("trigger_id"),
    )


def direct_message(event: dict[str, Any]) -> bool:
    """A new message in a DM with the bot: Slack marks edits, deletions and file shares with a subtype."""
    return event.get("channel_type") == "im" and "subtype" not in event


def respond_by_url(respond: AsyncRespond | None, port: ChatPort, user: str):  # noqa: ANN201
    """A responder for interactions: the response_url if there is one (messages), else a DM (home tab)."""

    async def answer(message: Message, ephemeral: bool) -> None:
        if respond is not None and respond.response_url:
            await respond(**response(message, ephemeral), replace_original=False)
        else:
            await port.dm(user, message)

    return answer


def register_listeners(app: AsyncApp, dispatcher: Dispatcher, port: ChatPort) -> None:
    background = dispatcher.services.background
    commands = re.compile(r"^/(" + "|".join(map(re.escape, dispatcher.router.commands)) + r")$")

    deadlines = AckDeadlines()

    @app.command(commands)
    async def on_command(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        cmd = Command(
            name=body["command"].lstrip("/"),
            text=body.get("text") or "",
            user=body["user_id"],
            channel=body["channel_id"],
            trigger=body.get("trigger_id"),
        )
        if (answer := dispatcher.immediate(cmd)) is not None:
            # One turn of the loop first, as the task path takes: under load, requests read together
            # are then answered together, about 10% less CPU per request (benchmarks/http_load.py).
            await asyncio.sleep(0)
            await ack(**response(answer, ephemeral=True))
            return
        answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        responder = AckResponder(ack, respond, answered)
        task = background.spawn(dispatcher.command(cmd, responder), f"command {cmd.name}")
        task.add_done_callback(lambda _: settle(answered))
        deadlines.watch(answered)
        await answered  # the first answer, the handler's end or the budget; the task goes on
        await responder.ensure_acked()

    @app.action(re.compile(".+"))
    async def on_action(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        user = body["user"]["id"]
        raw = body["actions"][0]
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        selected = tuple(o["value"] for o in raw.get("selected_options") or [])
        value = raw.get("value") or (raw.get("selected_option") or {}).get("value") or ""
        action = Action(
            action=raw["action_id"],
            value=value,
            user=user,
            channel=channel,
            message_ts=message.get("ts"),
            thread_ts=message.get("thread_ts"),
            trigger=body.get("trigger_id"),
            selected=selected,
        )
        # No key per click: action_ts differs on every click. Handlers claim what a click means
        # (see Router.action), so a double click does nothing twice.
        background.spawn(dispatcher.action(action, respond_by_url(respond, port, user)), "action")

    @app.message_shortcut(re.compile(".+"))
    async def on_shortcut(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """Ack, then dispatch at once: the handler opens its form with a trigger that lasts 3 s."""
        await ack()
        event = shortcut_from(body)
        responder = respond_by_url(respond, port, event.user)
        background.spawn(dispatcher.shortcut(event, responder), f"shortcut {event.name}")

    @app.view(re.compile(".+"))
    async def on_submission(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body["view"]
        submission = FormSubmission(
            form_id=view["callback_id"],
            user=body["user"]["id"],
            values=render.form_values(view.get("state", {}).get("values", {})),
            state=view.get("private_metadata") or "",
        )
        result = await dispatcher.form(submission)
        if result and result.errors:
            await ack(response_action="errors", errors=result.errors)
        else:
            await ack()

    @app.event("app_mention")
    async def on_mention(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        if from_a_bot(event, context) or missing(event, "user", "channel", "ts"):
            return
        mention = mention_from(event)
        thread = MessageRef(mention.channel, mention.thread_ts or mention.ts)

        async def in_thread(message: Message, ephemeral: bool) -> None:
            # What a slash command would say to one person stays with that person, in the thread.
            if ephemeral:
                await port.ephemeral(mention.channel, mention.user, message, thread=thread)
            else:
                await port.reply(thread, message)

        background.spawn(dispatcher.mention(mention, in_thread, body.get("event_id")), "mention")

    @app.event("app_home_opened")
    async def on_home(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        if from_a_bot(event, context) or missing(event, "user"):
            return
        if event.get("tab", "home") == "home":
            background.spawn(dispatcher.home_opened(HomeOpened(event["user"]), body.get("event_id")), "home")

    @app.event("file_shared")
    async def on_file(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        # The bot's own uploads (digest charts) arrive here too.
        if from_a_bot(event, context) or missing(event, "file_id", "channel_id"):
            return
        shared = FileShared(
            file_id=event["file_id"],
            user=event.get("user_id", ""),
            channel=event.get("channel_id", ""),
            ts=event.get("event_ts"),
            direct=str(event.get("channel_id", "")).startswith("D"),
        )
        background.spawn(dispatcher.file_shared(shared, body.get("event_id")), "file")

    @app.event("message")
    async def on_message(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        """A person's own new message in their DM with the bot is addressed to it; anything else
        (channel chatter, edits, deletions, joins, file shares, bots) is acknowledged and left alone."""
        if not direct_message(event) or from_a_bot(event, context) or missing(event, "user", "channel", "ts"):
            return
        mention = mention_from(event, direct=True)

        async def in_dm(message: Message, ephemeral: bool) -> None:
            # The DM is private already: every answer is posted there, in the thread if asked in one.
            if mention.thread_ts:
                await port.reply(MessageRef(mention.channel, mention.thread_ts), message)
            else:
                await port.post(mention.channel, message)

        background.spawn(dispatcher.mention(mention, in_dm, body.get("event_id")), "direct message")

    unhandled: set[str] = set()

    @app.event(re.compile(".*"))
    async def on_other_event(event: dict[str, Any]) -> None:
        """Anything else subscribed to is acknowledged (else Slack retries it), logged once per type."""
        kind = str(event.get("type"))
        if kind not in unhandled:
            unhandled.add(kind)
            log.info("ignoring %s events: no capability handles them", kind)
