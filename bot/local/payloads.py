"""What Slack sends the bot when a person acts, read from the workspace state at that moment.

The events about a new message, a shared file or an opened home tab; a slash command's form; the
block_actions of a click in a message or a view; a shortcut's message_action; a modal's view_submission.
"""

from __future__ import annotations

import uuid
from typing import Any

from bot.local import outbound
from bot.local.elements import form_state, selection_state
from bot.local.shapes import message_json, view_json
from bot.local.state import Channel, File, Message, View, WorkspaceState
from bot.local.webapi import SlackWebAPI


def channel_name(channel: Channel) -> str:
    if channel.is_im:
        return "directmessage"
    return channel.name or channel.id.lower()


def message_event(
    st: WorkspaceState, kind: str, user: str, channel: Channel, message: Message
) -> dict[str, Any]:
    """The inner event Slack sends about a person's new message (app_mention or message)."""
    event: dict[str, Any] = {
        "client_msg_id": str(uuid.uuid4()),
        "type": kind,
        "text": message.text,
        "user": user,
        "ts": message.ts,
        "team": st.team_id,
        "channel": channel.id,
        "event_ts": message.ts,
    }
    if message.thread_ts:
        event["thread_ts"] = message.thread_ts
    if message.files:
        event["files"] = [{"id": f} for f in message.files]
    return event


def file_shared_event(user: str, channel: Channel, file: File, message: Message) -> dict[str, Any]:
    """The inner event Slack sends when a person shares `file` in `message`."""
    return {
        "type": "file_shared",
        "channel_id": channel.id,
        "file_id": file.id,
        "user_id": user,
        "file": {"id": file.id},
        "event_ts": message.ts,
    }


def home_opened_event(api: SlackWebAPI, user: str, dm: Channel) -> dict[str, Any]:
    """app_home_opened, with the person's home view if the bot has published one."""
    st = api.state
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": dm.id,
        "tab": "home",
        "event_ts": f"{api.clock():.6f}",
    }
    home = next((v for v in st.views.values() if v.type == "home" and v.user == user), None)
    if home is not None:
        event["view"] = view_json(st, home)
    return event


def command_body(
    api: SlackWebAPI, user: str, channel: Channel, command: str, rest: str, thread_ts: str | None
) -> bytes:
    """A slash command `command rest` typed by `user` in `channel`, with a fresh response_url."""
    st = api.state
    response_url = api.new_response_url(channel.id, user, thread_ts=thread_ts)
    return outbound.slash_command_body(
        command,
        rest,
        user,
        channel.id,
        response_url,
        api.new_trigger_id(user),
        st.team_id,
        user_name=st.users[user].name,
        channel_name=channel_name(channel),
        team_domain=st.team_domain,
        api_app_id=st.app_id,
    )


def view_click_body(
    api: SlackWebAPI,
    user: str,
    view: View,
    blocks: list[dict[str, Any]],
    action: dict[str, Any],
    values: dict[str, Any],
) -> bytes:
    """block_actions for a click in a view; a modal's state carries what the form holds (`values`)."""
    st = api.state
    shown = view_json(st, view)
    state = form_state(blocks, values) if view.type == "modal" else {}
    return outbound.block_actions_body(
        user,
        [action],
        view=shown,
        state_values=state,
        trigger_id=api.new_trigger_id(user),
        team_id=st.team_id,
        user_name=st.users[user].name,
    )


def message_click_body(
    api: SlackWebAPI,
    user: str,
    message: Message,
    bid: str,
    found: dict[str, Any],
    action: dict[str, Any],
    selected: Any,
) -> bytes:
    """block_actions for a click on element `found` of block `bid` in `message`."""
    st = api.state
    state = (
        {}
        if found.get("type") == "button"
        else {bid: {action["action_id"]: selection_state(found, selected)}}
    )
    ephemeral = message.ephemeral_for is not None
    conversation = st.channels[message.channel]
    return outbound.block_actions_body(
        user,
        [action],
        channel_id=message.channel,
        message=message_json(st, message, api.base_url or ""),
        trigger_id=api.new_trigger_id(user),
        response_url=api.new_response_url(
            message.channel,
            user,
            message_ts=message.ts,
            thread_ts=message.thread_ts if message.is_reply else None,
        ),
        state_values=state,
        team_id=st.team_id,
        user_name=st.users[user].name,
        channel_name=channel_name(conversation),
        is_ephemeral=ephemeral,
    )


def shortcut_body(api: SlackWebAPI, user: str, message: Message, callback_id: str) -> bytes:
    """message_action for the shortcut `callback_id` chosen on `message`."""
    st = api.state
    return outbound.message_action_body(
        callback_id,
        user,
        message.channel,
        message_json(st, message, api.base_url or ""),
        api.new_trigger_id(user),
        api.new_response_url(
            message.channel,
            user,
            message_ts=message.ts,
            thread_ts=message.thread_ts if message.is_reply else None,
        ),
        team_id=st.team_id,
        user_name=st.users[user].name,
        channel_name=channel_name(st.channels[message.channel]),
    )


def submission_body(api: SlackWebAPI, user: str, view: View, values: dict[str, Any]) -> bytes:
    """view_submission of the modal `view` holding `values`."""
    st = api.state
    shown = view_json(st, view)
    shown["state"] = {"values": form_state(list(view.view.get("blocks") or []), values)}
    return outbound.view_submission_body(
        user,
        shown,
        api.new_trigger_id(user),
        team_id=st.team_id,
        user_name=st.users[user].name,
    )
