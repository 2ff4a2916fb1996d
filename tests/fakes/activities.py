"""Activities exactly as Microsoft Teams posts them to a bot's messaging endpoint, and a signed sender.

Shapes follow the Bot Framework schema as the Teams SDK's pydantic models read it (`ActivityTypeAdapter`).
People are `User(aad_object_id, name)`; their Teams id (`29:…`) is derived from the AAD id, reversibly, so the
fake connector can map a member back to the personal chat. Every builder gives a fresh `id` unless one is
passed: Teams retries an activity with the same id, so tests re-send by passing it again.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any, NamedTuple, Required, TypedDict, Unpack

import aiohttp

TENANT_ID = "7d3c9b1e-4a2f-4e8d-9c6b-0f1e2d3c4b5a"  # made up
BOT_NAME = "tsqa"
FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"


class User(NamedTuple):
    aad_object_id: str
    name: str


TEAM_OWNER = User("0b9e7c1d-2f3a-4b5c-8d6e-7f8a9b0c1d2e", "Team Owner")

_last_id = 0
_id_lock = threading.Lock()


def next_message_id() -> str:
    """Unique, increasing numeric ids, shaped like Teams' millisecond timestamps (shared with the fake)."""
    global _last_id
    with _id_lock:
        _last_id = max(_last_id + 1, int(time.time() * 1000))
        return str(_last_id)


def user_id(aad_object_id: str) -> str:
    """The person's Bot Framework id (`29:…`); opaque like Teams' own, but decodable with `aad_of`."""
    return "29:1" + base64.urlsafe_b64encode(aad_object_id.encode()).decode().rstrip("=")


def aad_of(member_id: str) -> str:
    """The AAD object id behind a `user_id`; any other id comes back unchanged."""
    if not member_id.startswith("29:1"):
        return member_id
    encoded = member_id[4:]
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return member_id


def bot_id(app_id: str) -> str:
    return f"28:{app_id}"


def personal_conversation_id(aad_object_id: str) -> str:
    return f"a:personal-{aad_object_id}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _account(user: User) -> dict[str, Any]:
    aad, name = user
    return {"id": user_id(aad), "name": name, "aadObjectId": aad}


def _client_info() -> dict[str, Any]:
    return {"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web", "timezone": "UTC"}


def _place(
    conversation_id: str, tenant_id: str, *, message_id: str | None, team_id: str | None, channel_name: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(conversation, channelData) for a conversation id: `19:…@thread.tacv2` channel, other `19:` group chat,
    anything else a personal chat. A channel message without a thread gets `;messageid=` like Teams adds."""
    tenant = {"tenant": {"id": tenant_id}}
    if not conversation_id.startswith("19:"):
        return {"conversationType": "personal", "tenantId": tenant_id, "id": conversation_id}, tenant
    channel = conversation_id.split(";messageid=")[0]
    if "@thread.tacv2" not in channel and "@thread.skype" not in channel:
        group = {
            "isGroup": True,
            "conversationType": "groupChat",
            "tenantId": tenant_id,
            "id": conversation_id,
        }
        return group, tenant
    if ";messageid=" not in conversation_id and message_id:
        conversation_id = f"{channel};messageid={message_id}"
    team = team_id or channel  # a team's General channel has the team's id
    conversation = {
        "isGroup": True,
        "conversationType": "channel",
        "tenantId": tenant_id,
        "id": conversation_id,
    }
    return conversation, _channel_data(channel, team, channel_name, tenant_id)


def _channel_data(channel_id: str, team_id: str, channel_name: str, tenant_id: str) -> dict[str, Any]:
    return {
        "teamsChannelId": channel_id,
        "teamsTeamId": team_id,
        "channel": {"id": channel_id, "name": channel_name},
        "team": {"id": team_id, "aadGroupId": str(uuid.uuid5(uuid.NAMESPACE_URL, team_id))},
        "tenant": {"id": tenant_id},
    }


def _activity(
    kind: str,
    user: User,
    conversation: dict[str, Any],
    channel_data: dict[str, Any],
    *,
    service_url: str,
    app_id: str,
    id: str | None,
    **fields: Any,
) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "type": kind,
        "id": id or next_message_id(),
        "timestamp": _now(),
        "localTimestamp": _now(),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": _account(user),
        "conversation": conversation,
        "recipient": {"id": bot_id(app_id), "name": BOT_NAME},
        "entities": [_client_info()],
        "channelData": channel_data,
        "locale": "en-US",
        "localTimezone": "UTC",
    }
    activity.update({k: v for k, v in fields.items() if v is not None})
    return activity


def personal_message(
    text: str,
    user: User,
    *,
    service_url: str,
    app_id: str,
    tenant_id: str = TENANT_ID,
    id: str | None = None,
    value: dict[str, Any] | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A message in the bot's 1:1 chat (`value` set: an `Action.Submit` from a card)."""
    conversation = {
        "conversationType": "personal",
        "tenantId": tenant_id,
        "id": personal_conversation_id(user.aad_object_id),
    }
    return _activity(
        "message",
        user,
        conversation,
        {"tenant": {"id": tenant_id}},
        service_url=service_url,
        app_id=app_id,
        id=id,
        text=text,
        textFormat="plain",
        value=value,
        attachments=attachments,
    )


def channel_mention(
    text: str,
    user: User,
    channel_id: str,
    team_id: str,
    *,
    service_url: str,
    app_id: str,
    tenant_id: str = TENANT_ID,
    id: str | None = None,
    thread_root: str | None = None,
    channel_name: str = "General",
) -> dict[str, Any]:
    """`@tsqa <text>` in a channel: a new thread, or a reply in `thread_root`'s thread."""
    id = id or next_message_id()
    mention = f"<at>{BOT_NAME}</at>"
    entity = {"type": "mention", "text": mention, "mentioned": {"id": bot_id(app_id), "name": BOT_NAME}}
    conversation = {
        "isGroup": True,
        "conversationType": "channel",
        "tenantId": tenant_id,
        "id": f"{channel_id};messageid={thread_root or id}",
    }
    activity = _activity(
        "message",
        user,
        conversation,
        _channel_data(channel_id, team_id, channel_name, tenant_id),
        service_url=service_url,
        app_id=app_id,
        id=id,
        text=f"{mention} {text}",
        textFormat="plain",
        replyToId=thread_root,
    )
    activity["entities"] = [entity, _client_info()]
    return activity


class Where(TypedDict, total=False):
    """Where an invoke comes from, besides the conversation: the keywords every invoke builder takes."""

    service_url: Required[str]
    app_id: Required[str]
    tenant_id: str  # TENANT_ID if left out
    team_id: str | None  # a channel's team; its General channel's id (the channel's own) if left out
    channel_name: str
    id: str | None  # a retry passes the first attempt's


def _invoke(
    name: str,
    value: dict[str, Any],
    user: User,
    conversation: str,
    message_id: str | None,
    **where: Unpack[Where],
) -> dict[str, Any]:
    tenant_id = where.get("tenant_id", TENANT_ID)
    account, channel_data = _place(
        conversation,
        tenant_id,
        message_id=message_id,
        team_id=where.get("team_id"),
        channel_name=where.get("channel_name", "General"),
    )
    return _activity(
        "invoke",
        user,
        account,
        channel_data,
        service_url=where["service_url"],
        app_id=where["app_id"],
        id=where.get("id") or f"f:{next_message_id()}",
        name=name,
        value=value,
        replyToId=message_id,
    )


def card_action(
    verb: str, data: dict[str, Any], user: User, conversation: str, message_id: str, **where: Unpack[Where]
) -> dict[str, Any]:
    """A press of an `Action.Execute` button on the card the bot posted as `message_id` in `conversation`."""
    value = {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"}
    return _invoke("adaptiveCard/action", value, user, conversation, message_id, **where)


def dialog_open(
    data: dict[str, Any], user: User, conversation: str, message_id: str | None = None, **where: Unpack[Where]
) -> dict[str, Any]:
    """A button that opens a dialog (task module) was pressed: `task/fetch`."""
    return _invoke("task/fetch", _dialog_value(data), user, conversation, message_id, **where)


def dialog_submit(
    data: dict[str, Any], user: User, conversation: str, message_id: str | None = None, **where: Unpack[Where]
) -> dict[str, Any]:
    """A dialog's form was submitted: `task/submit`, `data` holding the inputs and the button's own data."""
    return _invoke("task/submit", _dialog_value(data), user, conversation, message_id, **where)


def _dialog_value(data: dict[str, Any]) -> dict[str, Any]:
    return {"data": data, "context": {"theme": "default"}}


def _installed(
    user: User,
    conversation: dict[str, Any],
    channel_data: dict[str, Any],
    *,
    service_url: str,
    app_id: str,
) -> list[dict[str, Any]]:
    common = {"service_url": service_url, "app_id": app_id, "id": None}
    install = _activity("installationUpdate", user, conversation, channel_data, action="add", **common)
    update_data = {**channel_data, "eventType": "teamMemberAdded"} if "team" in channel_data else channel_data
    members = [{"id": bot_id(app_id)}]
    update = _activity("conversationUpdate", user, conversation, update_data, membersAdded=members, **common)
    return [install, update]


def installed_personal(
    user: User, *, service_url: str, app_id: str, tenant_id: str = TENANT_ID
) -> list[dict[str, Any]]:
    """The app added for one person: Teams sends `installationUpdate` (add) and `conversationUpdate`
    (the bot in `membersAdded`), in no guaranteed order."""
    conversation = {
        "conversationType": "personal",
        "tenantId": tenant_id,
        "id": personal_conversation_id(user.aad_object_id),
    }
    return _installed(
        user, conversation, {"tenant": {"id": tenant_id}}, service_url=service_url, app_id=app_id
    )


def installed_in_team(
    team_id: str,
    channel_id: str,
    *,
    service_url: str,
    app_id: str,
    tenant_id: str = TENANT_ID,
    user: User = TEAM_OWNER,
    team_name: str = "Quality",
    channel_name: str = "General",
) -> list[dict[str, Any]]:
    """The app added to a team by `user`: the same pair as `installed_personal`, in the team's channel."""
    conversation = {"isGroup": True, "conversationType": "channel", "tenantId": tenant_id, "id": channel_id}
    channel_data = _channel_data(channel_id, team_id, channel_name, tenant_id)
    channel_data["team"]["name"] = team_name
    channel_data["settings"] = {"selectedChannel": {"id": channel_id}}
    return _installed(user, conversation, channel_data, service_url=service_url, app_id=app_id)


def file_in_personal_chat(
    name: str,
    download_url: str,
    user: User,
    *,
    service_url: str,
    app_id: str,
    tenant_id: str = TENANT_ID,
    id: str | None = None,
) -> dict[str, Any]:
    """A file sent to the bot in its 1:1 chat. Teams gives no size: the download says how big it is."""
    attachment = {
        "contentType": FILE_DOWNLOAD_INFO,
        "contentUrl": f"https://tenant.example/personal/{user.aad_object_id}/Documents/{name}",
        "name": name,
        "content": {
            "downloadUrl": download_url,
            "uniqueId": str(uuid.uuid4()),
            "fileType": PurePosixPath(name).suffix.lstrip("."),
        },
    }
    return personal_message(
        "", user, service_url=service_url, app_id=app_id, tenant_id=tenant_id, id=id, attachments=[attachment]
    )


async def send(
    bot_url: str, activity: dict[str, Any], token: str, *, session: aiohttp.ClientSession | None = None
) -> tuple[int, Any]:
    """POST an activity to the bot's messaging endpoint as Teams does; (status, JSON body or text or None)."""
    headers = {"Authorization": f"Bearer {token}"}
    if session is None:
        async with aiohttp.ClientSession() as own:
            return await send(bot_url, activity, token, session=own)
    async with session.post(bot_url, json=activity, headers=headers) as response:
        text = await response.text()
        if not text:
            return response.status, None
        try:
            return response.status, await response.json(content_type=None)
        except ValueError:
            return response.status, text
