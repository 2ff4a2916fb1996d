"""What the browser shows for one person: their conversations, messages, threads, App Home and modal.

Visibility follows Slack: ephemeral messages only for their person, DMs only for their member, a
modal only for whoever opened it. Blocks go to the page as the bot sent them; the page renders them.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from bot.local.state import Message, View, WorkspaceState


def users(st: WorkspaceState) -> dict[str, dict[str, Any]]:
    return {
        u.id: {"name": u.real_name or u.name, "handle": u.name, "is_bot": u.is_bot} for u in st.users.values()
    }


def channel_names(st: WorkspaceState) -> dict[str, str]:
    return {c.id: c.name for c in st.channels.values() if not c.is_im}


def conversations(st: WorkspaceState, user: str, order: Iterable[str]) -> list[dict[str, Any]]:
    """The sidebar: the workspace file's channels in its order, then others the person is in, then DMs."""
    listed: list[dict[str, Any]] = []
    seen: set[str] = set()
    ordered = [c for c in order if c in st.channels] + sorted(st.channels)
    for channel_id in ordered:
        channel = st.channels[channel_id]
        if channel_id in seen or user not in channel.members:
            continue
        seen.add(channel_id)
        if channel.is_im:
            other = channel.members - {user}
            partner = st.users.get(next(iter(other))) if other else st.users.get(user)
            name = (partner.real_name or partner.name) if partner else channel_id
            listed.append(
                {"id": channel_id, "name": name, "kind": "im", "user": partner.id if partner else None}
            )
        elif channel.is_mpim:
            names = sorted(st.users[m].name for m in channel.members if m != user and m in st.users)
            listed.append({"id": channel_id, "name": ", ".join(names), "kind": "mpim"})
        else:
            listed.append(
                {
                    "id": channel_id,
                    "name": channel.name,
                    "kind": "private" if channel.is_private else "channel",
                }
            )
    return listed


def file_view(st: WorkspaceState, file_id: str) -> dict[str, Any] | None:
    file = st.files.get(file_id)
    if file is None:
        return None
    return {
        "id": file.id,
        "name": file.name,
        "title": file.title,
        "mimetype": mimetypes.guess_type(file.name)[0] or "application/octet-stream",
        "size": len(file.data) if file.data is not None else file.length,
        "ready": file.data is not None,
        "url": f"/files/{file.id}/{quote(file.name)}",
    }


def message_view(st: WorkspaceState, message: Message) -> dict[str, Any]:
    files = [f for f in (file_view(st, file_id) for file_id in message.files) if f is not None]
    return {
        "channel": message.channel,
        "ts": message.ts,
        "user": message.user,
        "text": message.text,
        "blocks": message.blocks,
        "attachments": message.attachments,
        "thread_ts": message.thread_ts,
        "is_reply": message.is_reply,
        "reply_count": message.reply_count,
        "reply_users": list(message.reply_users),
        "latest_reply": message.latest_reply,
        "edited": message.edited,
        "ephemeral": message.ephemeral_for is not None,
        "broadcast": message.broadcast,
        "files": files,
    }


def _visible(message: Message, channel: str, user: str) -> bool:
    return message.channel == channel and not message.deleted and message.ephemeral_for in (None, user)


def channel_messages(st: WorkspaceState, channel: str, user: str) -> list[dict[str, Any]]:
    """Top-level messages (and replies also sent to the channel) that `user` may see, oldest first."""
    return [
        message_view(st, m)
        for m in st.messages
        if _visible(m, channel, user) and (not m.is_reply or m.broadcast)
    ]


def thread_messages(st: WorkspaceState, channel: str, ts: str, user: str) -> list[dict[str, Any]]:
    """The parent first, then its replies; ephemeral replies only for their person."""
    return [
        message_view(st, m)
        for m in st.messages
        if _visible(m, channel, user) and (m.ts == ts or m.thread_ts == ts)
    ]


def _view(view: View) -> dict[str, Any]:
    body = view.view
    return {
        "id": view.id,
        "hash": view.hash,
        "type": view.type,
        "title": body.get("title"),
        "submit": body.get("submit"),
        "close": body.get("close"),
        "blocks": body.get("blocks") or [],
        "previous_view_id": view.previous_view_id,
    }


def home(st: WorkspaceState, user: str) -> dict[str, Any] | None:
    found = next((v for v in st.views.values() if v.type == "home" and v.user == user), None)
    return _view(found) if found is not None else None


def modal(st: WorkspaceState, user: str) -> dict[str, Any] | None:
    """The top of the person's modal stack: the most recently opened or pushed view still open."""
    found = [v for v in st.views.values() if v.type == "modal" and v.user == user]
    return _view(found[-1]) if found else None
