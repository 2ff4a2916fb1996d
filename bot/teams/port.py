"""The ChatPort for Teams: Bot Framework connector calls through the Teams SDK.

What Teams cannot do the way Slack does, and what happens instead:
- no ephemeral messages in channels: what only the asker should see goes to their personal chat;
- no home tab: the home view is a card in the personal chat;
- no files in channels without SharePoint: a chart goes as an image inside a card, other files are
  refused with a clear error;
- no usergroups the bot can read: groups are named in the workspace file;
- no way to find a message again by a key after a lost answer (Slack's metadata): a post whose answer
  was lost is retried by its claim, so it may, rarely, arrive twice.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx
from microsoft_teams.api import Account, Attachment, MessageActivityInput
from microsoft_teams.api.clients.conversation.params import CreateConversationParams
from microsoft_teams.apps import App
from microsoft_teams.apps.utils.thread import to_threaded_conversation_id

from bot.chat.model import Form, Home, Markup, Message, MessageRef, md
from bot.chat.port import ChatError, SharedFile
from bot.teams import render
from bot.teams.directory import Directory, DirectoryNames
from bot.teams.images import fit_png

log = logging.getLogger("tsqa.teams")

T = TypeVar("T")
MAX_TRIES = 4
MAX_FILES = 256
MAX_WAIT = 30.0
# The image inside a card, before base64 (which adds a third): the card stays under render's budget.
IMAGE_BYTES = render.IMAGE_CARD_BUDGET * 3 // 4 - 4_000
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


@dataclass(frozen=True)
class TeamsFile:
    """A file someone sent the bot in a personal chat: Teams gives a pre-authenticated download URL."""

    name: str
    url: str
    size: int
    thread: MessageRef | None


class DialogWaiters:
    """Dialogs open in the answer to Teams' `task/fetch` invoke, not by a later call as Slack's modals:
    the listener waits here for the handler's `open_form`, keyed by the trigger it made up."""

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[Form]] = {}

    def expect(self) -> tuple[str, asyncio.Future[Form]]:
        trigger = f"teams-dialog:{uuid.uuid4().hex}"
        future: asyncio.Future[Form] = asyncio.get_running_loop().create_future()
        self._waiting[trigger] = future
        return trigger, future

    def deliver(self, trigger: str, form: Form) -> None:
        future = self._waiting.pop(trigger, None)
        if future is None or future.done():
            raise ChatError("expired_trigger", "the dialog took too long to open; click the button again")
        future.set_result(form)

    def forget(self, trigger: str) -> None:
        self._waiting.pop(trigger, None)


class TeamsPort:
    platform = "teams"

    def __init__(
        self,
        app: App,
        directory: Directory,
        *,
        app_id: str,
        tenant_id: str,
        service_url: str,
        file_hosts: list[str] | tuple[str, ...] = (),
    ):
        self.app = app
        self.directory = directory
        self.names = DirectoryNames(directory)
        self.app_id = app_id
        self.tenant_id = tenant_id
        self.default_service_url = service_url
        self.dialogs = DialogWaiters()
        self.file_hosts = tuple(h.lower() for h in file_hosts)
        # Files announced in a personal chat, downloaded moments later by the same process.
        self.files: OrderedDict[str, TeamsFile] = OrderedDict()

    def remember_file(self, file_id: str, shared: TeamsFile) -> None:
        self.files[file_id] = shared
        while len(self.files) > MAX_FILES:
            self.files.popitem(last=False)

    def may_download(self, url: str) -> bool:
        """Only from OneDrive/SharePoint (TEAMS_FILE_HOSTS): a download URL comes from the activity, and
        fetching any URL someone put there would let them read what the bot's network can reach."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        for allowed in self.file_hosts:
            wildcard = allowed.startswith("*.")
            matches = host.endswith(allowed[1:]) if wildcard else host == allowed
            loopback_test = allowed in ("127.0.0.1", "localhost") and parts.scheme == "http"
            if matches and (parts.scheme == "https" or loopback_test):
                return True
        return False

    # --- sending ------------------------------------------------------------------------------

    def _message(self, message: Message) -> MessageActivityInput:
        try:
            hash(message)
        except TypeError:  # a list inside a part: correct, only not cacheable
            return self._activity(render.card(message, self.names), render.fallback_text(message, self.names))
        return self._activity(*_rendered(message, self.names))

    def _activity(self, card: dict[str, Any], summary: str) -> MessageActivityInput:
        activity = MessageActivityInput(attachments=[Attachment(**render.attachment(card))])
        activity.summary = summary  # shown in notifications instead of "sent a card"
        return activity

    async def _service_url(self, conversation_id: str) -> str:
        known = await self.directory.conversation(conversation_id.split(";")[0])
        if known is not None:
            return known.service_url
        return await self.directory.any_service_url() or self.default_service_url

    async def _send(self, conversation_id: str, activity: MessageActivityInput, *, idempotent: bool) -> str:
        service_url = await self._service_url(conversation_id)
        sent = await self._call(
            lambda: self.app.send(conversation_id, activity, service_url=service_url), idempotent=idempotent
        )
        return sent.id

    async def _call(self, operation: Callable[[], Awaitable[T]], *, idempotent: bool) -> T:
        """Waits out 429s (Retry-After); retries what certainly did not arrive, and for idempotent calls
        server errors too. Anything else becomes a ChatError with what to do about it."""
        for attempt in range(1, MAX_TRIES + 1):
            try:
                return await operation()
            except httpx.HTTPStatusError as exc:
                status = exc.response.status_code
                retry = status == 429 or (idempotent and status >= 500)
                if not retry or attempt == MAX_TRIES:
                    raise _chat_error(status, exc.response) from None
                await asyncio.sleep(_retry_after(exc.response, attempt))
            except (httpx.ConnectError, httpx.ConnectTimeout):
                if attempt == MAX_TRIES:
                    raise ChatError("unreachable", "Bot Framework's connector did not answer") from None
                await asyncio.sleep(_backoff(attempt))
            except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError):
                if not idempotent or attempt == MAX_TRIES:
                    raise ChatError("uncertain", "the connection dropped before Teams answered") from None
                await asyncio.sleep(_backoff(attempt))
        raise AssertionError("unreachable")

    async def post(
        self, channel: str, message: Message, *, key: str | None = None, look_first: bool = False
    ) -> MessageRef:
        ts = await self._send(channel, self._message(message), idempotent=False)
        return MessageRef(channel, ts)

    async def reply(
        self, thread: MessageRef, message: Message, *, key: str | None = None, look_first: bool = False
    ) -> MessageRef:
        ts = await self._send(await self._thread_of(thread), self._message(message), idempotent=False)
        return MessageRef(thread.channel, ts)

    async def _thread_of(self, thread: MessageRef) -> str:
        """Channels have reply chains (`;messageid=<root>`); chats have none: a reply is a message."""
        known = await self.directory.conversation(thread.channel)
        in_channel = known.kind == "channel" if known else is_channel_id(thread.channel)
        if in_channel and thread.ts.isdigit() and thread.ts != "0":
            return to_threaded_conversation_id(thread.channel, thread.ts)
        return thread.channel

    async def update(self, ref: MessageRef, message: Message) -> None:
        await self._send(ref.channel, self._message(message).with_id(ref.ts), idempotent=True)

    async def ephemeral(
        self, channel: str, user: str, message: Message, *, thread: MessageRef | None = None
    ) -> None:
        """Teams has no message only one person sees in a channel: it goes to their personal chat."""
        await self.dm(user, message)

    async def dm(
        self, user: str, message: Message, *, key: str | None = None, look_first: bool = False
    ) -> MessageRef:
        conversation = await self._personal_chat(user)
        return await self.post(conversation, message)

    async def _personal_chat(self, user: str) -> str:
        known = await self.directory.personal(user)
        if known is not None:
            return known.conversation_id
        person = await self.directory.person(user)
        service_url = (person and person.service_url) or await self.directory.any_service_url()
        service_url = service_url or self.default_service_url
        tenant = (person and person.tenant_id) or self.tenant_id
        member = Account(id=person.teams_id if person else user, aad_object_id=user)
        # isGroup and bot are Bot Framework's fields the SDK's model lacks; it passes extra ones through.
        extra = {"isGroup": False, "bot": {"id": f"28:{self.app_id}"}}
        params = CreateConversationParams(
            members=[member], tenant_id=tenant, channel_data={"tenant": {"id": tenant}}, **extra
        )
        api = self.app.api.clone(service_url=service_url)
        try:
            created = await self._call(lambda: api.conversations.create(params), idempotent=True)
        except ChatError as exc:
            if exc.code in ("not_in_channel", "channel_not_found"):  # 403/404: not installed for them
                name = self.directory.person_name(user) or user
                raise ChatError(
                    "not_installed_for_user",
                    f"{name} has not added tsqa-bot in Teams: ask them to open it once (Apps → tsqa-bot → "
                    "Add), or install it for them from the Teams admin center",
                ) from None
            raise
        await self.directory.remember_personal(user, created.id, service_url, tenant)
        return created.id

    async def open_form(self, trigger: str, form: Form) -> None:
        self.dialogs.deliver(trigger, form)

    async def publish_home(self, user: str, home: Home) -> None:
        conversation = await self._personal_chat(user)
        card = render.home_card(home, self.names)
        await self._send(conversation, self._activity(card, "tsqa-bot"), idempotent=False)

    async def upload_file(
        self,
        channel: str,
        filename: str,
        content: bytes,
        *,
        title: str = "",
        thread: MessageRef | None = None,
        look_first: bool = False,
    ) -> None:
        """An image goes inside a card (Teams shows no file a bot attaches in a channel without
        SharePoint); any other file is refused."""
        suffix = filename[filename.rfind(".") :].lower() if "." in filename else ""
        if suffix not in IMAGE_TYPES:
            raise ChatError(
                "files_not_supported",
                "Teams bots can only show images in a channel; use the CLI's export for this file",
            )
        try:
            png = await asyncio.to_thread(fit_png, content, IMAGE_BYTES)
            card = render.image_card(title or filename, png, alt=title or filename)
        except (ValueError, OSError) as exc:  # OSError: Pillow cannot read it as an image
            raise ChatError("file_too_large", str(exc)) from None
        target = await self._thread_of(thread) if thread else channel
        await self._send(target, self._activity(card, title or filename), idempotent=False)

    async def download_file(
        self, file_id: str, channel: str, *, max_bytes: int | None = None, content: bool = True
    ) -> SharedFile:
        shared = self.files.get(file_id)
        if shared is None:
            raise ChatError("file_not_found", "send the file to me again in our personal chat")
        if not self.may_download(shared.url):
            raise ChatError("file_not_allowed", "files are read from OneDrive or SharePoint only")
        if max_bytes is not None and shared.size > max_bytes:
            raise ChatError("file_too_large", f"{shared.size:,} bytes, above the limit of {max_bytes:,}")
        if not content:
            return SharedFile(shared.name, b"", shared.thread, shared.size)
        data = await self._call(lambda: self._download(shared.url, max_bytes), idempotent=True)
        return SharedFile(shared.name, data, shared.thread, len(data))

    async def _download(self, url: str, max_bytes: int | None) -> bytes:
        async with httpx.AsyncClient(timeout=60) as client, client.stream("GET", url) as response:
            response.raise_for_status()
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if max_bytes is not None and len(data) > max_bytes:
                    raise ChatError("file_too_large", f"above the limit of {max_bytes:,} bytes")
            return bytes(data)

    async def channel_members(self, channel: str) -> list[str]:
        known = await self.directory.conversation(channel)
        target = (known.team_id if known and known.team_id else None) or channel
        service_url = await self._service_url(channel)
        api = self.app.api.clone(service_url=service_url)
        members = await self._call(lambda: api.conversations.get_members(target), idempotent=True)
        # Bots (this one too) are `28:<app id>` accounts without an Entra object: not people to track.
        people = [m for m in members if m.aad_object_id or not (m.id or "").startswith("28:")]
        return [(m.aad_object_id or m.id).lower() for m in people]

    async def is_member(self, channel: str) -> bool:
        """Installed in the team or chat: Teams says so with a conversationUpdate the bot stored."""
        known = await self.directory.conversation(channel)
        return known is not None and known.installed

    def join_hint(self, channel: Markup) -> Markup:
        return md(
            "add tsqa-bot to the team that has {} (in Teams: the team's … → Manage team → Apps), "
            "or check that channel's ID in the workspace file",
            channel,
        )

    async def learn_team(self, team_id: str, service_url: str) -> None:
        """The channels of a team the app was just added to: posts to any of them work from now on,
        and setup checks know the bot is there."""
        api = self.app.api.clone(service_url=service_url)
        channels = await self._call(lambda: api.teams.get_conversations(team_id), idempotent=True)
        for channel in channels:
            if channel.id:
                await self.directory.remember_channel(channel.id, channel.name, team_id, service_url)

    async def own_user(self) -> str:
        """The bot's account: `28:` and the app ID, as activities name it as recipient (the mention the
        listeners strip), lower-cased as `channel_members` returns IDs."""
        return f"28:{self.app_id}".lower()

    async def usergroup_members(self, usergroup: str) -> list[str]:
        raise ChatError(
            "not_supported", "Teams has no usergroups the bot can read: name a group in `groups:`"
        )

    async def permalink(self, ref: MessageRef) -> str:
        known = await self.directory.conversation(ref.channel)
        query = f"tenantId={quote(self.tenant_id)}"
        if known is not None and known.kind == "channel":
            if known.team_group_id:
                query += f"&groupId={quote(known.team_group_id)}"
            query += f"&parentMessageId={quote(ref.ts)}"
        return f"https://teams.microsoft.com/l/message/{quote(ref.channel)}/{quote(ref.ts)}?{query}"


@lru_cache(maxsize=256)
def _rendered(message: Message, names: DirectoryNames) -> tuple[dict[str, Any], str]:
    """Messages are frozen and many repeat (help, usage, refusals): each is rendered once. The card is
    shared: it is only ever serialised, never changed."""
    return render.card(message, names), render.fallback_text(message, names)


def is_channel_id(conversation_id: str) -> bool:
    """A team's channel (which has reply chains), as opposed to a group or personal chat."""
    return conversation_id.startswith("19:") and conversation_id.endswith(("@thread.tacv2", "@thread.skype"))


def _backoff(attempt: int) -> float:
    return min(0.5 * 2 ** (attempt - 1), MAX_WAIT)


def _retry_after(response: httpx.Response, attempt: int) -> float:
    try:
        return min(float(response.headers.get("Retry-After", "")), MAX_WAIT)
    except ValueError:
        return _backoff(attempt)


HINTS = {
    401: "the app's credentials were refused: check TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID",
    403: "the app is not installed there: add tsqa-bot to the team (Apps → Manage your apps) or chat",
    404: "Teams knows no such conversation: check the channel ID in the workspace file",
    413: "the message is too large for Teams",
}


def _chat_error(status: int, response: httpx.Response) -> ChatError:
    code = {401: "not_authed", 403: "not_in_channel", 404: "channel_not_found", 413: "msg_too_long"}.get(
        status, f"http_{status}"
    )
    return ChatError(code, HINTS.get(status, response.text[:200]))
