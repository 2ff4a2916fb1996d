"""Slack Web API methods of the local fake (auth, chat, conversations, users), answering as Slack does.

Each handler takes the parsed arguments (strings from forms, real JSON from JSON bodies) and returns the
fields of a successful answer, or raises `SlackError` with Slack's error code.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.local.shapes import channel_json, message_json, user_json
from bot.local.state import Channel, Message, SlackError, WorkspaceState


@dataclass
class Context:
    """What a handler may use besides its arguments: the state, the fake clock's now, and our own URL."""

    state: WorkspaceState
    now: float
    base_url: str


Handler = Callable[[Context, dict[str, Any]], dict[str, Any]]
METHODS: dict[str, Handler] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        METHODS[name] = handler
        return handler

    return register


def json_object(text: str) -> dict[str, Any]:
    """A JSON body that must be an object, else Slack's `invalid_json`."""
    try:
        body = json.loads(text)
    except ValueError:
        raise SlackError("invalid_json") from None
    if not isinstance(body, dict):
        raise SlackError("invalid_json")
    return body


def json_arg(args: dict[str, Any], name: str, error: str = "invalid_arguments") -> Any:
    """Form bodies carry JSON as strings, JSON bodies carry it decoded; accept both like Slack."""
    value = args.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError(error) from None
    return value


def bool_arg(args: dict[str, Any], name: str) -> bool:
    return args.get(name) in (True, 1, "1", "true", "True")


def str_arg(args: dict[str, Any], name: str) -> str | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def content(args: dict[str, Any]) -> tuple[str, list[dict[str, Any]] | None, list[dict[str, Any]] | None]:
    blocks = json_arg(args, "blocks", "invalid_blocks_format")
    if blocks is not None and not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    attachments = json_arg(args, "attachments", "invalid_attachments")
    if attachments is not None and not isinstance(attachments, list):
        raise SlackError("invalid_attachments")
    return str_arg(args, "text") or "", blocks, attachments


def metadata_arg(args: dict[str, Any]) -> dict[str, Any] | None:
    """`metadata` as slack_sdk sends it (an object in JSON bodies, a string in forms): event_type and
    event_payload, nothing else stored."""
    metadata = json_arg(args, "metadata", "invalid_metadata_format")
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise SlackError("invalid_metadata_format")
    event_type, payload = metadata.get("event_type"), metadata.get("event_payload")
    if not isinstance(event_type, str) or not event_type or not isinstance(payload, dict):
        raise SlackError("invalid_metadata_schema")
    return {"event_type": event_type, "event_payload": payload}


def post_content(
    ctx: Context,
    channel_id: str,
    args: dict[str, Any],
    *,
    required: bool = True,
    thread_ts: str | None = None,
    **extra: Any,
) -> Message:
    """Post the text, blocks and attachments in `args` as the bot, in the thread `args` names (else in
    `thread_ts`); with `required`, `no_text` when all three are empty."""
    text, blocks, attachments = content(args)
    if required and not text and not blocks and not attachments:
        raise SlackError("no_text")
    st = ctx.state
    return st.post(
        channel_id,
        st.bot_user_id,
        ctx.now,
        text=text,
        blocks=blocks,
        attachments=attachments,
        thread_ts=str_arg(args, "thread_ts") or thread_ts,
        **extra,
    )


def own_message(ctx: Context, args: dict[str, Any], refused: str) -> tuple[Channel, Message]:
    """The bot's own message at `channel` and `ts`; someone else's is the `refused` error."""
    st = ctx.state
    channel = st.channel(str_arg(args, "channel"))
    message = st.find_message(channel.id, str_arg(args, "ts"))
    if message is None:
        raise SlackError("message_not_found")
    if message.user != st.bot_user_id:
        raise SlackError(refused)
    return channel, message


def postable(ctx: Context, channel_arg: str | None) -> Channel:
    channel = ctx.state.channel(channel_arg, dm_for_user=True)
    if ctx.state.bot_user_id not in channel.members:
        raise SlackError("not_in_channel")
    return channel


# ----- auth / chat -----


@method("auth.test")
def auth_test(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    st = ctx.state
    bot = st.users.get(st.bot_user_id)
    return {
        "url": f"https://{st.team_domain}.slack.com/",
        "team": st.team_domain,
        "user": bot.name if bot else "bot",
        "team_id": st.team_id,
        "user_id": st.bot_user_id,
        "bot_id": st.bot_id,
        "is_enterprise_install": False,
    }


@method("chat.postMessage")
def chat_post_message(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    st = ctx.state
    channel = postable(ctx, str_arg(args, "channel"))
    metadata = metadata_arg(args)
    message = post_content(
        ctx, channel.id, args, broadcast=bool_arg(args, "reply_broadcast"), metadata=metadata
    )
    payload = message_json(st, message, ctx.base_url, metadata=True)
    return {"channel": channel.id, "ts": message.ts, "message": payload}


@method("chat.update")
def chat_update(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    channel, message = own_message(ctx, args, "cant_update_message")
    text, blocks, attachments = content(args)
    metadata = metadata_arg(args)
    if metadata is not None:  # left as it was when not given, as in Slack
        message.metadata = metadata
    if "text" in args:
        message.text = text
    if blocks is not None:
        message.blocks = blocks
    if attachments is not None:
        message.attachments = attachments
    message.edited = True
    payload = message_json(ctx.state, message, ctx.base_url, metadata=True)
    return {"channel": channel.id, "ts": message.ts, "text": message.text, "message": payload}


@method("chat.delete")
def chat_delete(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    channel, message = own_message(ctx, args, "cant_delete_message")
    message.deleted = True
    return {"channel": channel.id, "ts": message.ts}


@method("chat.postEphemeral")
def chat_post_ephemeral(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    st = ctx.state
    channel = postable(ctx, str_arg(args, "channel"))
    user = str_arg(args, "user")
    if user is None or user not in st.users:
        raise SlackError("user_not_found")
    if user not in channel.members:
        raise SlackError("user_not_in_channel")
    message = post_content(ctx, channel.id, args, ephemeral_for=user)
    return {"message_ts": message.ts}


@method("chat.getPermalink")
def chat_get_permalink(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    st = ctx.state
    channel = st.channel(str_arg(args, "channel"))
    message = st.find_message(channel.id, str_arg(args, "message_ts"))
    if message is None:
        raise SlackError("message_not_found")
    return {"channel": channel.id, "permalink": st.permalink(message)}


# ----- conversations / users -----


@method("conversations.open")
def conversations_open(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    st = ctx.state
    existing = str_arg(args, "channel")
    users_arg = str_arg(args, "users")
    if existing is not None:
        channel = st.channel(existing)
        opened_before = True
    elif users_arg is None:
        raise SlackError("users_list_not_supplied")
    else:
        users = [u.strip() for u in users_arg.split(",") if u.strip()]
        for user in users:
            if user not in st.users:
                raise SlackError("user_not_found")
        key = ",".join(sorted(set(users)))
        opened_before = key in st.dms
        channel = st.open_dm(users[0]) if len(set(users)) == 1 else _open_mpim(ctx, key, users)
    answer = channel_json(st, channel) if bool_arg(args, "return_im") else {"id": channel.id}
    if opened_before:
        return {"no_op": True, "already_open": True, "channel": answer}
    return {"channel": answer}


def _open_mpim(ctx: Context, key: str, users: list[str]) -> Channel:
    st = ctx.state
    if key not in st.dms:
        channel_id = st.new_id("G")
        names = sorted(st.users[u].name for u in set(users) | {st.bot_user_id})
        name = "mpdm-" + "--".join(names) + "-1"
        members = set(users) | {st.bot_user_id}
        st.channels[channel_id] = Channel(channel_id, name, True, members, is_mpim=True, created=int(ctx.now))
        st.dms[key] = channel_id
    return st.channels[st.dms[key]]


def limit_arg(args: dict[str, Any], maximum: int) -> int:
    try:
        limit = int(args.get("limit") or 100)
    except (TypeError, ValueError):
        raise SlackError("invalid_limit") from None
    return max(1, min(limit, maximum))


def make_cursor(kind: str, value: str) -> str:
    """Slack's cursors are base64 of `kind:value` (`user:U…`, `next_ts:…`)."""
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def cursor_arg(args: dict[str, Any], kind: str) -> str | None:
    """The value in a cursor `make_cursor(kind, …)` made; anything else is Slack's invalid_cursor."""
    cursor = str_arg(args, "cursor")
    if cursor is None:
        return None
    try:
        decoded = base64.b64decode(cursor, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise SlackError("invalid_cursor") from None
    if not decoded.startswith(kind + ":"):
        raise SlackError("invalid_cursor")
    return decoded[len(kind) + 1 :]


def user_page(users: list[str], args: dict[str, Any], maximum: int) -> tuple[list[str], str]:
    """One page of user IDs from the request's cursor, and the cursor of the next ("" at the end)."""
    limit = limit_arg(args, maximum)
    start = 0
    after = cursor_arg(args, "user")
    if after is not None:
        if after not in users:
            raise SlackError("invalid_cursor")
        start = users.index(after)
    rest = users[start + limit :]
    return users[start : start + limit], make_cursor("user", rest[0]) if rest else ""


@method("conversations.members")
def conversations_members(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    channel = ctx.state.visible_channel(str_arg(args, "channel"))
    page, next_cursor = user_page(sorted(channel.members), args, 1000)
    return {"members": page, "response_metadata": {"next_cursor": next_cursor}}


@method("conversations.info")
def conversations_info(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    channel = ctx.state.visible_channel(str_arg(args, "channel"))
    return {"channel": channel_json(ctx.state, channel, num_members=bool_arg(args, "include_num_members"))}


@method("usergroups.users.list")
def usergroups_users_list(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    users = ctx.state.usergroups.get(str_arg(args, "usergroup") or "")
    if users is None:
        raise SlackError("no_such_subteam")
    return {"users": list(users)}


@method("users.info")
def users_info(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    user = ctx.state.users.get(str_arg(args, "user") or "")
    if user is None:
        raise SlackError("user_not_found")
    return {"user": user_json(ctx.state, user, ctx.now)}


@method("users.list")
def users_list(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Every user, the bot and bot users with `is_bot`, paged by cursor as Slack does."""
    page, next_cursor = user_page(sorted(ctx.state.users), args, 200)
    return {
        "members": [user_json(ctx.state, ctx.state.users[u], ctx.now) for u in page],
        "response_metadata": {"next_cursor": next_cursor},
    }


@method("users.lookupByEmail")
def users_lookup_by_email(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    email = (str_arg(args, "email") or "").lower()
    for user in ctx.state.users.values():
        if email and (user.email or "").lower() == email:
            return {"user": user_json(ctx.state, user, ctx.now)}
    raise SlackError("users_not_found")
