"""Workspace state behind the local Slack fake.

Everything lives in one `WorkspaceState` of plain dataclasses so it can later be saved to a database;
`bot.local.shapes` renders these objects in the JSON shapes Slack's Web API returns.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

TRIGGER_TTL = 3.0
RESPONSE_URL_TTL = 30 * 60.0
RESPONSE_URL_USES = 5


class SlackError(Exception):
    """A Slack error code; the HTTP layer answers it as `{"ok": false, "error": code}`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class User:
    id: str
    name: str
    real_name: str = ""
    email: str | None = None
    is_bot: bool = False
    tz: str = "UTC"


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    members: set[str] = field(default_factory=set)
    is_im: bool = False
    is_mpim: bool = False
    user: str | None = None
    created: int = 0


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    text: str = ""
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    reply_count: int = 0
    edited: bool = False
    ephemeral_for: str | None = None
    files: list[str] = field(default_factory=list)
    attachments: list[dict[str, Any]] | None = None
    reply_users: list[str] = field(default_factory=list)
    latest_reply: str | None = None
    broadcast: bool = False
    deleted: bool = False
    metadata: dict[str, Any] | None = None  # {"event_type", "event_payload"}, as chat.postMessage took it

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts


@dataclass
class View:
    id: str
    type: str
    user: str | None
    view: dict[str, Any]
    trigger: str | None = None
    hash: str = ""
    root_view_id: str | None = None
    previous_view_id: str | None = None


@dataclass
class File:
    id: str
    name: str
    title: str
    data: bytes | None = None
    length: int = 0
    channel: str | None = None
    thread_ts: str | None = None
    user: str = ""
    created: int = 0
    ts: str | None = None  # the message it was shared in, as Slack lists in `shares`


@dataclass
class Call:
    """One request the fake answered, with its arguments as Slack received them."""

    method: str
    args: dict[str, Any]
    token: str | None
    status: int = 200
    response: dict[str, Any] | None = None
    dropped: bool = False  # done, then the connection was closed without an answer

    def json(self, name: str) -> Any:
        """Decode a JSON-encoded form field (blocks, view, files); JSON bodies are already decoded."""
        value = self.args.get(name)
        return json.loads(value) if isinstance(value, str | bytes) else value


@dataclass
class Trigger:
    id: str
    user: str | None
    issued_at: float
    used: bool = False


@dataclass
class ResponseUrl:
    id: str
    channel: str
    user: str
    issued_at: float
    uses: int = 0
    message_ts: str | None = None
    thread_ts: str | None = None
    last_ts: str | None = None


@dataclass
class WorkspaceState:
    """The whole fake workspace; the only mutable state the fake keeps."""

    team_id: str = "T0TEST01"
    team_domain: str = "tsqa-local"
    bot_user_id: str = "UBOT0001"
    bot_id: str = "B0TEST01"
    app_id: str = "A0TEST01"
    users: dict[str, User] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    views: dict[str, View] = field(default_factory=dict)
    files: dict[str, File] = field(default_factory=dict)
    dms: dict[str, str] = field(default_factory=dict)
    triggers: dict[str, Trigger] = field(default_factory=dict)
    response_urls: dict[str, ResponseUrl] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    sequence: int = 0
    last_ts_micros: int = 0

    # ----- identifiers -----

    def new_id(self, prefix: str) -> str:
        """Slack-shaped (`F…`, `R…`), but random: file and response-URL IDs are what grants access."""
        return prefix + base64.b32encode(secrets.token_bytes(15)).decode()

    def next_ts(self, now: float) -> str:
        """Slack message timestamps: unique and increasing even when the clock stands still."""
        micros = max(int(now * 1_000_000), self.last_ts_micros + 1)
        self.last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def new_trigger(self, user: str | None, now: float) -> str:
        self.forget_expired(now)
        self.sequence += 1
        trigger_id = f"{int(now)}.{self.sequence}.{secrets.token_hex(16)}"
        self.triggers[trigger_id] = Trigger(trigger_id, user, now)
        return trigger_id

    def use_trigger(self, trigger_id: str | None, now: float) -> Trigger:
        """A trigger opens one view within three seconds, like Slack's."""
        trigger = self.triggers.get(trigger_id or "")
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if now - trigger.issued_at > TRIGGER_TTL:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger

    def forget_expired(self, now: float) -> None:
        """Drop triggers and response URLs past their lifetime, so a long run stays small.

        Spent ones (used once, or five times) stay until then, so a reuse still gets Slack's error."""
        for key in [k for k, t in self.triggers.items() if now - t.issued_at > TRIGGER_TTL]:
            del self.triggers[key]
        for key in [k for k, u in self.response_urls.items() if now - u.issued_at > RESPONSE_URL_TTL]:
            del self.response_urls[key]

    # ----- conversations -----

    def open_dm(self, user_id: str) -> Channel:
        """The bot's DM with a user; the same D… id every time."""
        if user_id not in self.users:
            raise SlackError("user_not_found")
        channel_id = self.dms.get(user_id)
        if channel_id is None:
            channel_id = "D" + user_id[1:]
            self.dms[user_id] = channel_id
            self.channels[channel_id] = Channel(
                channel_id, "", is_private=True, members={user_id, self.bot_user_id}, is_im=True, user=user_id
            )
        return self.channels[channel_id]

    def channel(self, channel_id: str | None, *, dm_for_user: bool = False) -> Channel:
        if not channel_id:
            raise SlackError("channel_not_found")
        if dm_for_user and channel_id[0] in "UW" and channel_id in self.users:
            return self.open_dm(channel_id)
        found = self.channels.get(channel_id)
        if found is None:
            raise SlackError("channel_not_found")
        return found

    def visible_channel(self, channel_id: str | None) -> Channel:
        """Private conversations the bot is not in look missing, as in Slack."""
        found = self.channel(channel_id)
        if found.is_private and self.bot_user_id not in found.members:
            raise SlackError("channel_not_found")
        return found

    # ----- messages -----

    def find_message(self, channel: str, ts: str | None, *, ephemeral: bool = False) -> Message | None:
        """A live message by channel and ts; ephemeral ones only when asked (the API cannot see them)."""
        for message in self.messages:
            live = message.channel == channel and message.ts == ts and not message.deleted
            if live and (ephemeral or message.ephemeral_for is None):
                return message
        return None

    def thread_parent(self, channel: str, thread_ts: str) -> Message:
        try:
            float(thread_ts)
        except ValueError:
            raise SlackError("invalid_thread_ts") from None
        parent = self.find_message(channel, thread_ts)
        if parent is None:
            raise SlackError("thread_not_found")
        if parent.is_reply:
            parent = self.find_message(channel, parent.thread_ts)
            if parent is None:
                raise SlackError("thread_not_found")
        return parent

    def post(
        self,
        channel: str,
        user: str,
        now: float,
        *,
        text: str = "",
        blocks: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        ephemeral_for: str | None = None,
        files: list[str] | None = None,
        broadcast: bool = False,
        metadata: dict[str, Any] | None = None,
    ) -> Message:
        """Store a message; a reply bumps its parent's reply_count like Slack's thread summary."""
        parent = self.thread_parent(channel, thread_ts) if thread_ts else None
        message = Message(
            channel=channel,
            ts=self.next_ts(now),
            user=user,
            text=text,
            blocks=blocks,
            attachments=attachments,
            thread_ts=parent.ts if parent else None,
            ephemeral_for=ephemeral_for,
            files=list(files or []),
            broadcast=broadcast,
            metadata=metadata,
        )
        if parent is not None and ephemeral_for is None:
            parent.thread_ts = parent.ts
            parent.reply_count += 1
            parent.latest_reply = message.ts
            if user not in parent.reply_users:
                parent.reply_users.append(user)
        self.messages.append(message)
        return message

    def permalink(self, message: Message) -> str:
        digits = message.ts.replace(".", "")
        link = f"https://{self.team_domain}.slack.com/archives/{message.channel}/p{digits}"
        if message.is_reply:
            link += f"?thread_ts={message.thread_ts}&cid={message.channel}"
        return link
