"""Reading a conversation back, as Slack's `conversations.history` and `conversations.replies` answer.

The bot reads its own recent posts (with `include_all_metadata`) to find one it may already have sent
after an uncertain failure, so paging, the time window and the metadata follow Slack exactly.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from bot.local.methods import Context, bool_arg, cursor_arg, limit_arg, make_cursor, method, str_arg
from bot.local.shapes import message_json
from bot.local.state import Message, SlackError

MAX_LIMIT = 999


def _micros(ts: str, error: str) -> int:
    """A Slack timestamp (`1700000000.000100`, `1700000000`) as whole microseconds."""
    try:
        return int(Decimal(ts) * 1_000_000)
    except (InvalidOperation, ValueError, OverflowError):  # not a number, NaN, Infinity
        raise SlackError(error) from None


def _window(args: dict[str, Any]) -> tuple[int, int | None, bool]:
    """`oldest`/`latest` bounds; no `latest` means up to the newest message (Slack: now)."""
    oldest = _micros(str_arg(args, "oldest") or "0", "invalid_ts_oldest")
    latest_arg = str_arg(args, "latest")
    latest = _micros(latest_arg, "invalid_ts_latest") if latest_arg else None
    return oldest, latest, bool_arg(args, "inclusive")


def _within(message: Message, oldest: int, latest: int | None, inclusive: bool) -> bool:
    at = _micros(message.ts, "invalid_ts")
    if inclusive:
        return oldest <= at and (latest is None or at <= latest)
    return oldest < at and (latest is None or at < latest)


def _cursor_micros(args: dict[str, Any]) -> int | None:
    value = cursor_arg(args, "next_ts")
    if value is not None and not value.isdigit():
        raise SlackError("invalid_cursor")
    return None if value is None else int(value)


def _page(
    ctx: Context, args: dict[str, Any], messages: list[Message], *, newest_first: bool
) -> dict[str, Any]:
    """One page of `messages` (already in answer order) from the cursor on, in Slack's shape."""
    start = _cursor_micros(args)
    if start is not None:  # the cursor names the first message of its page
        keys = [_micros(m.ts, "invalid_ts") for m in messages]
        messages = [
            m
            for m, key in zip(messages, keys, strict=True)
            if (key <= start if newest_first else key >= start)
        ]
    limit = limit_arg(args, MAX_LIMIT)
    page, rest = messages[:limit], messages[limit:]
    with_metadata = bool_arg(args, "include_all_metadata")
    return {
        "messages": [message_json(ctx.state, m, ctx.base_url, metadata=with_metadata) for m in page],
        "has_more": bool(rest),
        "response_metadata": {
            "next_cursor": make_cursor("next_ts", rest[0].ts.replace(".", "")) if rest else ""
        },
    }


def _readable(ctx: Context, args: dict[str, Any]) -> str:
    """A conversation the bot is in; others are Slack's not_in_channel (or missing, when private)."""
    channel = ctx.state.visible_channel(str_arg(args, "channel"))
    if ctx.state.bot_user_id not in channel.members:
        raise SlackError("not_in_channel")
    return channel.id


def _listed(message: Message, channel: str) -> bool:
    return message.channel == channel and not message.deleted and message.ephemeral_for is None


@method("conversations.history")
def conversations_history(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Top-level messages (and broadcast replies), newest first."""
    channel = _readable(ctx, args)
    oldest, latest, inclusive = _window(args)
    found = [
        m
        for m in reversed(ctx.state.messages)
        if _listed(m, channel) and (not m.is_reply or m.broadcast) and _within(m, oldest, latest, inclusive)
    ]
    return {
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
        **_page(ctx, args, found, newest_first=True),
    }


@method("conversations.replies")
def conversations_replies(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    """A thread, parent first then replies oldest first; `ts` may name the parent or any reply."""
    channel = _readable(ctx, args)
    ts = str_arg(args, "ts")
    if ts is None:
        raise SlackError("invalid_arguments")
    named = ctx.state.find_message(channel, ts)
    if named is None:
        raise SlackError("thread_not_found")
    parent_ts = named.thread_ts or named.ts
    oldest, latest, inclusive = _window(args)
    found = [
        m
        for m in ctx.state.messages
        if _listed(m, channel)
        and (m.ts == parent_ts or m.thread_ts == parent_ts)
        and (m.ts == parent_ts or _within(m, oldest, latest, inclusive))
    ]
    return _page(ctx, args, found, newest_first=False)
