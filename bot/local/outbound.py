"""Requests as Slack sends them to an app: signed headers and bodies shaped exactly as Slack's.

The local workspace sends these to the bot, and tests use the same builders (re-exported by
`tests.fakes.signing`). The signature is computed with hmac/hashlib, independently of slack_sdk, so the
bot's verifier is checked against a second implementation.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

TEAM_ID = "T0TEST01"
TEAM_DOMAIN = "tsqa-local"
API_APP_ID = "A0TEST01"
BOT_USER_ID = "UBOT0001"
VERIFICATION_TOKEN = "verification-token-unused"

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
_KINDS = {
    "slash_command": FORM,
    "command": FORM,
    "block_actions": FORM,
    "view_submission": FORM,
    "view_closed": FORM,
    "message_action": FORM,
    "interactive": FORM,
    "form": FORM,
    "event": JSON,
    "event_callback": JSON,
    "url_verification": JSON,
    "json": JSON,
}
_counter = itertools.count(1)


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Slack adds: `v0=` + hex HMAC-SHA256 over `v0:{timestamp}:{body}`."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    base = b"v0:" + str(ts).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def headers_for(kind: str) -> dict[str, str]:
    """The Content-Type Slack uses for a kind of request (slash_command, block_actions, event, ...)."""
    try:
        return {"Content-Type": _KINDS[kind]}
    except KeyError:
        raise ValueError(f"unknown request kind {kind!r}; use one of {sorted(_KINDS)}") from None


def signed_headers(secret: str, kind: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Content-Type plus signature: everything a test needs to POST `body` to the bot."""
    return {**headers_for(kind), **sign(secret, body, timestamp)}


def new_trigger_id() -> str:
    """A trigger_id in Slack's `<digits>.<digits>.<hex>` form (not exchangeable anywhere)."""
    return f"{int(time.time())}.{next(_counter)}.{secrets.token_hex(16)}"


def _action_ts() -> str:
    return f"{time.time():.6f}"


def _user(user_id: str, team_id: str, user_name: str | None) -> dict[str, Any]:
    name = user_name or user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def slash_command_body(
    command: str,
    text: str,
    user_id: str,
    channel_id: str,
    response_url: str,
    trigger_id: str,
    team_id: str = TEAM_ID,
    *,
    user_name: str | None = None,
    channel_name: str | None = None,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = API_APP_ID,
) -> bytes:
    """A slash command POST body, form-encoded with the fields in Slack's order."""
    if channel_name is None:
        channel_name = "directmessage" if channel_id.startswith("D") else channel_id.lower()
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    return urlencode(fields).encode()


def _action(action: dict[str, Any], index: int) -> dict[str, Any]:
    """Fill what Slack always sends for an action; selects keep their selected_option(s)."""
    out = {
        "action_id": action.get("action_id", f"action_{index}"),
        "block_id": action.get("block_id", f"b{index}"),
    }
    out["type"] = action.get("type", "button")
    if "value" in action or out["type"] == "button":
        out["value"] = action.get("value", "")
    if out["type"] == "button":
        out["text"] = action.get("text", {"type": "plain_text", "text": "Button", "emoji": True})
    out.update({k: v for k, v in action.items() if k not in out})
    out["action_ts"] = action.get("action_ts", _action_ts())
    return out


def block_actions_body(
    user_id: str,
    actions: list[dict[str, Any]],
    channel_id: str | None = None,
    message: dict[str, Any] | None = None,
    container: dict[str, Any] | None = None,
    trigger_id: str | None = None,
    response_url: str | None = None,
    *,
    view: dict[str, Any] | None = None,
    state_values: dict[str, Any] | None = None,
    team_id: str = TEAM_ID,
    user_name: str | None = None,
    channel_name: str | None = None,
    is_ephemeral: bool = False,
) -> bytes:
    """A block_actions interaction as `payload=<json>`: from a message if channel_id is given, else a view.

    On an ephemeral message Slack marks the container and leaves the message out."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, team_id, user_name),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if channel_id is not None:
        if payload["container"] is None:
            payload["container"] = {
                "type": "message",
                "message_ts": (message or {}).get("ts", ""),
                "channel_id": channel_id,
                "is_ephemeral": is_ephemeral,
            }
        name = channel_name or ("directmessage" if channel_id.startswith("D") else channel_id.lower())
        payload["channel"] = {"id": channel_id, "name": name}
        if not is_ephemeral:
            payload["message"] = message or {}
        payload["state"] = {"values": state_values or {}}
        if response_url is not None:
            payload["response_url"] = response_url
    if view is not None:
        full_view = _view(view, team_id)
        if state_values is not None:
            full_view["state"] = {"values": state_values}
        payload["view"] = full_view
        if payload["container"] is None:
            payload["container"] = {"type": "view", "view_id": full_view["id"]}
    payload["actions"] = [_action(a, i) for i, a in enumerate(actions)]
    return urlencode({"payload": json.dumps(payload)}).encode()


def message_action_body(
    callback_id: str,
    user_id: str,
    channel_id: str,
    message: dict[str, Any],
    trigger_id: str,
    response_url: str,
    *,
    team_id: str = TEAM_ID,
    user_name: str | None = None,
    channel_name: str | None = None,
) -> bytes:
    """A message shortcut chosen on `message` (its ts, user, text as stored) as `payload=<json>`."""
    name = channel_name or ("directmessage" if channel_id.startswith("D") else channel_id.lower())
    payload = {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": _action_ts(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": _user(user_id, team_id, user_name),
        "channel": {"id": channel_id, "name": name},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
        "response_url": response_url,
        "message_ts": message.get("ts", ""),
        "message": message,
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def _view(view: dict[str, Any], team_id: str) -> dict[str, Any]:
    """A view as Slack echoes it back: our fields plus the ones Slack adds (id, hash, state...)."""
    view_id = view.get("id", f"VTEST{next(_counter):04d}")
    out: dict[str, Any] = {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "blocks": [],
        "private_metadata": "",
        "callback_id": "",
        "state": {"values": {}},
        "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        "title": {"type": "plain_text", "text": "Modal", "emoji": True},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": None,
        "submit": None,
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": API_APP_ID,
        "external_id": "",
        "app_installed_team_id": team_id,
        "bot_id": "B0TEST01",
    }
    out.update(view)
    return out


def view_submission_body(
    user_id: str,
    view: dict[str, Any],
    trigger_id: str | None = None,
    *,
    team_id: str = TEAM_ID,
    user_name: str | None = None,
    response_urls: list[dict[str, Any]] | None = None,
) -> bytes:
    """A view_submission as `payload=<json>`; `view` needs callback_id and state.values at least."""
    fields = {
        "trigger_id": trigger_id or new_trigger_id(),
        "view": _view(view, team_id),
        "response_urls": response_urls or [],
    }
    return _view_payload("view_submission", user_id, team_id, user_name, fields)


def view_closed_body(
    user_id: str,
    view: dict[str, Any],
    *,
    team_id: str = TEAM_ID,
    user_name: str | None = None,
    is_cleared: bool = False,
) -> bytes:
    """A view_closed as `payload=<json>`, sent only for views opened with notify_on_close."""
    fields = {"view": _view(view, team_id), "is_cleared": is_cleared}
    return _view_payload("view_closed", user_id, team_id, user_name, fields)


def _view_payload(
    kind: str, user_id: str, team_id: str, user_name: str | None, fields: dict[str, Any]
) -> bytes:
    """A view interaction as `payload=<json>`: what Slack sends with every one, around `fields`."""
    payload = {
        "type": kind,
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": _user(user_id, team_id, user_name),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        **fields,
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def event_body(
    event: dict[str, Any],
    event_id: str,
    team_id: str = TEAM_ID,
    *,
    event_time: int | None = None,
    bot_user_id: str = BOT_USER_ID,
) -> bytes:
    """An Events API event_callback envelope as JSON; `event` is the inner event (type, user, ts...)."""
    envelope = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{secrets.token_hex(24)}",
    }
    return json.dumps(envelope).encode()
