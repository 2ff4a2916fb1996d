"""Slack's JSON shapes for the fake's state: what users.info, conversations.info and friends return."""

from __future__ import annotations

import mimetypes
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.local.state import Channel, File, Message, User, View, WorkspaceState


def message_json(
    st: WorkspaceState, message: Message, base_url: str = "", *, metadata: bool = False
) -> dict[str, Any]:
    """`metadata` only where Slack shows it: answers to the post itself, history with include_all_metadata."""
    out: dict[str, Any] = {"type": "message", "text": message.text, "user": message.user, "ts": message.ts}
    out["team"] = st.team_id
    if message.user == st.bot_user_id:
        out.update(bot_id=st.bot_id, app_id=st.app_id)
    if message.blocks is not None:
        out["blocks"] = message.blocks
    if message.attachments is not None:
        out["attachments"] = message.attachments
    if message.thread_ts is not None:
        out["thread_ts"] = message.thread_ts
    if message.is_reply:
        parent = st.find_message(message.channel, message.thread_ts)
        out["parent_user_id"] = parent.user if parent else message.user
    if message.reply_count:
        out.update(
            reply_count=message.reply_count,
            reply_users=list(message.reply_users),
            reply_users_count=len(message.reply_users),
            latest_reply=message.latest_reply,
        )
    if message.edited:
        out["edited"] = {"user": message.user, "ts": message.ts}
    if message.files:
        out["files"] = [file_json(st, st.files[f], base_url) for f in message.files if f in st.files]
        out["upload"] = True
    if metadata and message.metadata is not None:
        out["metadata"] = message.metadata
    return out


def user_json(st: WorkspaceState, user: User, now: float) -> dict[str, Any]:
    try:
        zone = ZoneInfo(user.tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    moment = datetime.fromtimestamp(now, zone)
    offset = moment.utcoffset()
    profile: dict[str, Any] = {
        "real_name": user.real_name or user.name,
        "display_name": user.name,
        "real_name_normalized": user.real_name or user.name,
        "display_name_normalized": user.name,
        "team": st.team_id,
    }
    if user.email:
        profile["email"] = user.email
    if user.is_bot and user.id == st.bot_user_id:
        profile.update(bot_id=st.bot_id, api_app_id=st.app_id)
    return {
        "id": user.id,
        "team_id": st.team_id,
        "name": user.name,
        "deleted": False,
        "real_name": user.real_name or user.name,
        "tz": user.tz,
        "tz_label": moment.tzname() or user.tz,
        "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
        "is_admin": False,
        "is_owner": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": int(now),
        "profile": profile,
    }


def channel_json(st: WorkspaceState, channel: Channel, *, num_members: bool = False) -> dict[str, Any]:
    if channel.is_im:
        return {
            "id": channel.id,
            "created": channel.created,
            "is_im": True,
            "is_org_shared": False,
            "user": channel.user,
            "is_user_deleted": False,
            "priority": 0,
        }
    out: dict[str, Any] = {
        "id": channel.id,
        "name": channel.name,
        "name_normalized": channel.name,
        "is_channel": not channel.is_mpim,
        "is_group": False,
        "is_im": False,
        "is_mpim": channel.is_mpim,
        "is_private": channel.is_private,
        "is_archived": False,
        "is_general": False,
        "is_shared": False,
        "is_org_shared": False,
        "is_member": st.bot_user_id in channel.members,
        "created": channel.created,
        "creator": "",
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
    }
    if num_members:
        out["num_members"] = len(channel.members)
    return out


def view_json(st: WorkspaceState, view: View) -> dict[str, Any]:
    body = view.view
    out: dict[str, Any] = {
        "id": view.id,
        "team_id": st.team_id,
        "type": view.type,
        "blocks": body.get("blocks", []),
        "private_metadata": body.get("private_metadata", ""),
        "callback_id": body.get("callback_id", ""),
        "state": {"values": {}},
        "hash": view.hash,
        "clear_on_close": bool(body.get("clear_on_close", False)),
        "notify_on_close": bool(body.get("notify_on_close", False)),
        "root_view_id": view.root_view_id or view.id,
        "previous_view_id": view.previous_view_id,
        "app_id": st.app_id,
        "external_id": body.get("external_id", ""),
        "app_installed_team_id": st.team_id,
        "bot_id": st.bot_id,
    }
    for key in ("title", "submit", "close"):
        if key in body:
            out[key] = body[key]
    return out


def file_json(st: WorkspaceState, file: File, base_url: str = "") -> dict[str, Any]:
    mimetype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    filetype = file.name.rsplit(".", 1)[-1].lower() if "." in file.name else "binary"
    channel = st.channels.get(file.channel or "")
    shares: dict[str, Any] = {}
    if channel is not None:
        bucket = "private" if channel.is_private else "public"
        share = {"ts": file.ts or "", "channel_name": channel.name, "team_id": st.team_id}
        if file.thread_ts:
            share["thread_ts"] = file.thread_ts
        shares[bucket] = {channel.id: [share]}
    return {
        "id": file.id,
        "created": file.created,
        "timestamp": file.created,
        "name": file.name,
        "title": file.title,
        "mimetype": mimetype,
        "filetype": filetype,
        "pretty_type": filetype.upper(),
        "user": file.user,
        "user_team": st.team_id,
        "editable": False,
        "size": len(file.data) if file.data is not None else file.length,
        "mode": "hosted",
        "is_external": False,
        "is_public": channel is not None and not channel.is_private,
        "url_private": f"{base_url}/files/{file.id}/{quote(file.name)}",
        "url_private_download": f"{base_url}/files/{file.id}/download/{quote(file.name)}",
        "permalink": f"https://{st.team_domain}.slack.com/files/{file.user}/{file.id}/{quote(file.name)}",
        "channels": [channel.id] if channel is not None and not channel.is_private else [],
        "groups": [channel.id] if channel is not None and channel.is_private and not channel.is_im else [],
        "ims": [channel.id] if channel is not None and channel.is_im else [],
        "shares": shares,
    }
