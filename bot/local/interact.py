"""What a person does in the local workspace, turned into what Slack would store and send to the bot.

Messages land in the workspace state; commands, clicks, form submissions and events go to the bot as
signed requests (built in `payloads`), and its acks are shown as Slack shows them (`acks`: ephemeral
answers, modal errors).
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.local import acks, outbound, payloads
from bot.local.bridge import BotLink, Delivery
from bot.local.elements import action_payload, find_element
from bot.local.shapes import view_json
from bot.local.state import Channel, File, Message, SlackError, View, WorkspaceState
from bot.local.webapi import SlackWebAPI

SLACKBOT = "USLACKBOT"
Result = dict[str, Any]
_MENTION = re.compile(r"(?<![\w<@])@([A-Za-z][\w.-]*)")
_EVENT_ID_CHARS = string.ascii_uppercase + string.digits


def escape(text: str) -> str:
    """Slack stores message text with &, < and > escaped; only its own <…> tokens stay raw."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


CHANGED: Result = {"ok": False, "error": "This message changed before your click reached it; look again."}


def _pressed(
    blocks: list[dict[str, Any]], block: int, element: int | str, seen: dict[str, Any] | None
) -> tuple[str, dict[str, Any]] | None:
    """The block id and element clicked, or None when it is no longer the one the page drew: another
    element there, or none at all (the bot replaced the buttons with its answer). No `seen`: not checked,
    and a position with no element is an error."""
    try:
        bid, found = find_element(blocks, block, element)
    except SlackError:
        if seen is None:
            raise
        return None
    if seen is None:
        return bid, found
    now = (str(found.get("action_id") or ""), str(found.get("value") or ""))
    return (bid, found) if now == (str(seen.get("action_id") or ""), str(seen.get("value") or "")) else None


def _event_id() -> str:
    return "Ev" + "".join(secrets.choice(_EVENT_ID_CHARS) for _ in range(10))


@dataclass(frozen=True)
class MenuShortcut:
    """A message shortcut as the app's configuration shows it in a message's "More actions" menu."""

    callback_id: str
    name: str
    description: str = ""


class Interactions:
    """The Slack client side: every method acts as `user` and returns `{"ok": ...}` for the page."""

    def __init__(
        self,
        api: SlackWebAPI,
        link: BotLink,
        commands: Iterable[str],
        shortcuts: Iterable[MenuShortcut] = (),
    ) -> None:
        """`shortcuts`: what every message's menu offers, as the Slack app's configuration lists them."""
        self.api = api
        self.link = link
        self.commands = set(commands)
        self.shortcuts = {s.callback_id: s for s in shortcuts}

    @property
    def st(self) -> WorkspaceState:
        """Read through the fake each time, so a state restored at startup is the one used."""
        return self.api.state

    def _person(self, user: str) -> None:
        found = self.st.users.get(user)
        if found is None or found.is_bot:
            raise SlackError("user_not_found")

    def _conversation(self, user: str, channel_id: str) -> Channel:
        """A conversation `user` can write in: a channel they are in, or their DM with the bot."""
        channel = self.st.channels.get(channel_id)
        if channel is None or user not in channel.members:
            raise SlackError("channel_not_found")
        return channel

    def _slackbot(self, channel: str, user: str, text: str, thread_ts: str | None) -> None:
        self.st.post(channel, SLACKBOT, self.api.clock(), text=text, thread_ts=thread_ts, ephemeral_for=user)

    def encode_mentions(self, text: str) -> str:
        """`@tsqa`, `@quinn` or `@here` typed in the composer become Slack's <@U…>/<!here> tokens."""
        names = {u.name.lower(): u.id for u in self.st.users.values()}
        for user in self.st.users.values():
            first = (user.real_name or "").split(" ")[0].lower()
            names.setdefault(first, user.id)

        def token(match: re.Match[str]) -> str:
            word = match.group(1)
            if word.lower() in ("here", "channel", "everyone"):
                return f"<!{word.lower()}>"
            user_id = names.get(word.lower()) or names.get(word.rstrip(".").lower())
            if user_id is None:
                return match.group(0)
            return f"<@{user_id}>" + word[len(word.rstrip(".")) :]

        return _MENTION.sub(token, escape(text))

    # ----- messages and commands -----

    async def send_message(
        self, user: str, channel_id: str, text: str, thread_ts: str | None = None
    ) -> Result:
        self._person(user)
        channel = self._conversation(user, channel_id)
        stripped = text.strip()
        if not stripped:
            return {"ok": False, "error": "no_text"}
        if stripped.startswith("/"):
            return await self._command(user, channel, stripped, thread_ts)
        message = self.st.post(
            channel.id, user, self.api.clock(), text=self.encode_mentions(stripped), thread_ts=thread_ts
        )
        self.api.changed()
        await self._maybe_mention(user, channel, message)
        await self._maybe_direct(user, channel, message)
        return {"ok": True, "ts": message.ts}

    async def _maybe_mention(self, user: str, channel: Channel, message: Message) -> None:
        """Slack sends app_mention for channels the bot is in; never for DMs (that is message.im)."""
        if f"<@{self.st.bot_user_id}>" not in message.text or channel.is_im:
            return
        if self.st.bot_user_id not in channel.members:
            return
        await self._event(payloads.message_event(self.st, "app_mention", user, channel, message))

    async def _maybe_direct(self, user: str, channel: Channel, message: Message) -> None:
        """A person's message in their DM with the bot: Slack sends it as `message` (message.im), with
        the subtype `file_share` when a file came with it."""
        if not channel.is_im or self.st.bot_user_id not in channel.members or user == self.st.bot_user_id:
            return
        event = payloads.message_event(self.st, "message", user, channel, message)
        event["channel_type"] = "im"
        if message.files:
            event["subtype"] = "file_share"
        await self._event(event)

    async def _event(self, event: dict[str, Any]) -> Delivery:
        body = outbound.event_body(event, _event_id(), self.st.team_id, bot_user_id=self.st.bot_user_id)
        return await self.link.send("event", body)

    async def _command(self, user: str, channel: Channel, text: str, thread_ts: str | None) -> Result:
        words = text[1:].split(None, 1)
        name = words[0] if words else ""
        command, rest = f"/{name}", (words[1].strip() if len(words) > 1 else "")
        if name not in self.commands:
            self._slackbot(
                channel.id,
                user,
                f"`{command}` is not a valid command. In Slack, messages that start with `/` are "
                "interpreted as commands.",
                thread_ts,
            )
            self.api.changed()
            return {"ok": True}
        body = payloads.command_body(self.api, user, channel, command, rest, thread_ts)
        delivery = await self.link.send("slash_command", body)
        if not delivery.ok:
            error = delivery.error or "dispatch_failed"
            self._slackbot(channel.id, user, f'`{command}` failed with the error "{error}"', thread_ts)
        else:
            acks.show_command_ack(self.api, user, channel, escape(text), delivery, thread_ts)
        self.api.changed()
        return {"ok": True}

    async def upload(
        self,
        user: str,
        channel_id: str,
        filename: str,
        data: bytes,
        text: str = "",
        thread_ts: str | None = None,
    ) -> Result:
        """A person shares a file: it appears in the conversation and the bot gets file_shared."""
        self._person(user)
        channel = self._conversation(user, channel_id)
        now = self.api.clock()
        name = filename.replace("/", "_").replace("\\", "_").strip() or "file"
        file = File(self.st.new_id("F"), name, name, data=data, length=len(data), user=user, created=int(now))
        self.st.files[file.id] = file
        message = self.st.post(
            channel.id,
            user,
            now,
            text=self.encode_mentions(text.strip()),
            thread_ts=thread_ts,
            files=[file.id],
        )
        file.channel, file.thread_ts, file.ts = channel.id, message.thread_ts, message.ts
        self.api.changed()
        if self.st.bot_user_id in channel.members:
            await self._event(payloads.file_shared_event(user, channel, file, message))
        await self._maybe_mention(user, channel, message)
        await self._maybe_direct(user, channel, message)
        return {"ok": True, "ts": message.ts, "file": file.id}

    # ----- interactivity -----

    def _view(self, user: str, view_id: str) -> View:
        view = self.st.views.get(view_id)
        if view is None or view.user != user:
            raise SlackError("view_not_found")
        return view

    def _message(self, user: str, channel: str, ts: str) -> Message:
        for message in self.st.messages:
            same = message.channel == channel and message.ts == ts and not message.deleted
            if same and message.ephemeral_for in (None, user):
                return message
        raise SlackError("message_not_found")

    async def click(
        self,
        user: str,
        *,
        block: int,
        element: int | str,
        selected: Any = None,
        channel: str | None = None,
        ts: str | None = None,
        view_id: str | None = None,
        values: dict[str, Any] | None = None,
        seen: dict[str, Any] | None = None,
    ) -> Result:
        """A button press or a choice in a message, the home tab or a modal: one block_actions.
        `seen`: the element's action_id and value as the page drew it. Slack sends the pressed button
        itself; here the position is looked up now, so a click on a drawing the bot has since updated
        (a ballot moved on to its next item) is refused rather than sent as a different button."""
        self._person(user)
        if view_id:
            view = self._view(user, view_id)
            blocks = list(view.view.get("blocks") or [])
            pressed = _pressed(blocks, block, element, seen)
            if pressed is None:
                return CHANGED
            bid, found = pressed
            action = action_payload(bid, found, element, selected)
            body = payloads.view_click_body(self.api, user, view, blocks, action, values or {})
        else:
            message = self._message(user, channel or "", ts or "")
            self._conversation(user, message.channel)
            pressed = _pressed(list(message.blocks or []), block, element, seen)
            if pressed is None:
                return CHANGED
            bid, found = pressed
            action = action_payload(bid, found, element, selected)
            body = payloads.message_click_body(self.api, user, message, bid, found, action, selected)
        delivery = await self.link.send("block_actions", body)
        if not delivery.ok:
            return {"ok": False, "error": "The app did not respond. Try again in a moment."}
        return {"ok": True}

    async def shortcut(self, user: str, channel: str, ts: str, callback_id: str) -> Result:
        """A message shortcut chosen in a message's menu: one message_action, as Slack sends it. Slack
        offers shortcuts on messages everyone sees, never on ephemeral ones."""
        self._person(user)
        if callback_id not in self.shortcuts:
            raise SlackError("invalid_callback_id")
        message = self._message(user, channel, ts)
        if message.ephemeral_for is not None:
            raise SlackError("message_not_found")
        self._conversation(user, message.channel)
        body = payloads.shortcut_body(self.api, user, message, callback_id)
        delivery = await self.link.send("message_action", body)
        if not delivery.ok:
            return {"ok": False, "error": "The app did not respond. Try again in a moment."}
        return {"ok": True}

    async def submit(self, user: str, view_id: str, values: dict[str, Any]) -> Result:
        """Submit a modal; the ack decides: errors shown in it, update, push, clear, or close."""
        self._person(user)
        view = self._view(user, view_id)
        if view.type != "modal":
            raise SlackError("view_not_found")
        body = payloads.submission_body(self.api, user, view, values)
        delivery = await self.link.send("view_submission", body)
        if not delivery.ok:
            return {"ok": False, "error": "We had some trouble connecting. Try again?"}
        return acks.apply_submission_ack(self.api, user, view, delivery)

    async def close_view(self, user: str, view_id: str) -> Result:
        """Cancel a modal: it closes (revealing the one below), and the bot hears if it asked to."""
        self._person(user)
        view = self._view(user, view_id)
        shown = view_json(self.st, view)
        del self.st.views[view.id]
        self.api.changed()
        if view.view.get("notify_on_close"):
            body = outbound.view_closed_body(
                user, shown, team_id=self.st.team_id, user_name=self.st.users[user].name
            )
            await self.link.send("view_closed", body)
        return {"ok": True}

    async def open_home(self, user: str) -> Result:
        """Opening the App Home tab: Slack sends app_home_opened every time, with the view if any."""
        self._person(user)
        opened = user in self.st.dms
        dm = self.st.open_dm(user)
        if not opened:
            self.api.changed()
        event = payloads.home_opened_event(self.api, user, dm)
        delivery = await self._event(event)
        if not delivery.ok:
            return {"ok": False, "error": "The app did not respond. Try again in a moment."}
        return {"ok": True}
