"""The outgoing side: every operation a handler may ask of a chat platform."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.chat.model import Form, Home, Markup, Message, MessageRef


class ChatError(Exception):
    """A platform refused an operation; `code` is its error (e.g. not_in_channel), `hint` what to do."""

    def __init__(self, code: str, hint: str = ""):
        self.code = code
        self.hint = hint
        super().__init__(f"{code}: {hint}" if hint else code)


@dataclass(frozen=True)
class SharedFile:
    """A file someone shared, downloaded; `thread` is the message it was shared in, to reply under."""

    name: str
    content: bytes
    thread: MessageRef | None = None
    size: int = 0  # bytes, as the platform reports it before any download


class ChatPort(Protocol):
    # With a `key` (what the post means, e.g. a claim's key) a post is made once even when the
    # connection drops after the platform stored it; `look_first` when an earlier attempt may have
    # got part-way (a claim taken over after a crash).
    async def post(
        self, channel: str, message: Message, *, key: str | None = None, look_first: bool = False
    ) -> MessageRef: ...

    async def reply(
        self, thread: MessageRef, message: Message, *, key: str | None = None, look_first: bool = False
    ) -> MessageRef: ...

    async def update(self, ref: MessageRef, message: Message) -> None: ...

    # Seen by `user` only; with a `thread`, under that message (an answer to a mention).
    async def ephemeral(
        self, channel: str, user: str, message: Message, *, thread: MessageRef | None = None
    ) -> None: ...

    async def dm(
        self, user: str, message: Message, *, key: str | None = None, look_first: bool = False
    ) -> MessageRef: ...

    async def open_form(self, trigger: str, form: Form) -> None: ...

    async def publish_home(self, user: str, home: Home) -> None: ...

    async def upload_file(
        self,
        channel: str,
        filename: str,
        content: bytes,
        *,
        title: str = "",
        thread: MessageRef | None = None,
        look_first: bool = False,
    ) -> None: ...

    async def download_file(
        self, file_id: str, channel: str, *, max_bytes: int | None = None, content: bool = True
    ) -> SharedFile:
        """The file and where it was shared. Above `max_bytes` it raises ChatError `file_too_large`
        before fetching anything; with `content=False` only name, size and thread are looked up."""
        ...

    async def channel_members(self, channel: str) -> list[str]: ...

    async def is_member(self, channel: str) -> bool: ...

    async def usergroup_members(self, usergroup: str) -> list[str]: ...

    async def permalink(self, ref: MessageRef) -> str: ...

    async def own_user(self) -> str:
        """The bot's own user ID as this platform writes it in member lists, so a handler can leave the
        bot out of the people it reaches."""
        ...

    def join_hint(self, channel: Markup) -> Markup:
        """What to do so the bot can post in `channel` (its name), in this platform's words."""
        ...
