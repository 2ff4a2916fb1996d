"""The bot's acks, shown as Slack shows them.

A slash command's ack body is its first answer in the conversation; a modal submission's ack decides
whether the modal shows errors, is updated, has another pushed on it, or closes.
"""

from __future__ import annotations

import secrets
from typing import Any

from bot.local.bridge import Delivery
from bot.local.state import Channel, View
from bot.local.webapi import SlackWebAPI


def show_command_ack(
    api: SlackWebAPI, user: str, channel: Channel, typed: str, ack: Delivery, thread_ts: str | None
) -> None:
    """A command's ack body is its first answer: ephemeral unless `response_type` is in_channel.
    `typed`: the command as Slack stores the person's text (escaped)."""
    st = api.state
    payload = ack.json()
    now = api.clock()
    if payload is None:
        if ack.body.strip() and "json" not in ack.content_type:
            st.post(
                channel.id,
                st.bot_user_id,
                now,
                text=ack.body,
                thread_ts=thread_ts,
                ephemeral_for=user,
            )
        return
    if not isinstance(payload, dict) or not (payload.get("text") or payload.get("blocks")):
        return
    blocks = payload.get("blocks") if isinstance(payload.get("blocks"), list) else None
    in_channel = payload.get("response_type") == "in_channel"
    if in_channel:  # Slack shows the command itself first, as the person's message
        st.post(channel.id, user, now, text=typed, thread_ts=thread_ts)
    st.post(
        channel.id,
        st.bot_user_id,
        now,
        text=str(payload.get("text") or ""),
        blocks=blocks,
        thread_ts=thread_ts,
        ephemeral_for=None if in_channel else user,
    )


def apply_submission_ack(api: SlackWebAPI, user: str, view: View, ack: Delivery) -> dict[str, Any]:
    """What the ack of `view`'s submission does: errors shown in it, update, push, clear, or close."""
    st = api.state
    answer = ack.json()
    answer = answer if isinstance(answer, dict) else {}
    action = answer.get("response_action")
    if action == "errors":
        errors = answer.get("errors")
        return {"ok": True, "errors": errors if isinstance(errors, dict) else {}}
    if action == "update" and isinstance(answer.get("view"), dict):
        view.view, view.hash = answer["view"], f"{api.clock():.6f}.{secrets.token_hex(4)}"
    elif action == "push" and isinstance(answer.get("view"), dict):
        pushed = View(st.new_id("V"), "modal", user, answer["view"], hash=secrets.token_hex(8))
        pushed.root_view_id, pushed.previous_view_id = view.root_view_id or view.id, view.id
        st.views[pushed.id] = pushed
    # Two submits of one form at once (a double click, two tabs) both waited on the bot: the first
    # to come back closed it, so the others find it gone, and that is no error.
    elif action == "clear":
        for other in [v for v in st.views.values() if v.type == "modal" and v.user == user]:
            st.views.pop(other.id, None)
    else:
        st.views.pop(view.id, None)
    api.changed()
    return {"ok": True}
