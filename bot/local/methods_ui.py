"""Slack Web API methods of the local fake for views and files, plus response_url posts."""

from __future__ import annotations

import secrets
from typing import Any

from bot.local.methods import Context, content, json_arg, method, post_content, postable, str_arg
from bot.local.shapes import file_json, view_json
from bot.local.state import RESPONSE_URL_TTL, RESPONSE_URL_USES, File, SlackError, View

# ----- views -----


def _view_arg(args: dict[str, Any], kinds: tuple[str, ...]) -> dict[str, Any]:
    view = json_arg(args, "view")
    if not isinstance(view, dict) or view.get("type") not in kinds:
        raise SlackError("invalid_arguments")
    return view


def _new_hash(now: float) -> str:
    return f"{now:.6f}.{secrets.token_hex(4)}"


def _new_modal(ctx: Context, args: dict[str, Any]) -> View:
    """A modal from `view`, for the user whose trigger_id (used up here) it names; not stored yet."""
    st = ctx.state
    body = _view_arg(args, ("modal",))
    trigger = st.use_trigger(str_arg(args, "trigger_id") or str_arg(args, "interactivity_pointer"), ctx.now)
    return View(st.new_id("V"), "modal", trigger.user, body, trigger=trigger.id, hash=_new_hash(ctx.now))


def _replace_view(ctx: Context, view: View, body: dict[str, Any], expected: str | None) -> dict[str, Any]:
    """Give a view its new body and hash; a stale `hash`, when given, is Slack's `hash_conflict`."""
    if expected is not None and expected != view.hash:
        raise SlackError("hash_conflict")
    view.view, view.hash = body, _new_hash(ctx.now)
    return {"view": view_json(ctx.state, view)}


@method("views.open")
def views_open(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    st = ctx.state
    view = _new_modal(ctx, args)
    st.views[view.id] = view
    return {"view": view_json(st, view)}


@method("views.push")
def views_push(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    st = ctx.state
    view = _new_modal(ctx, args)
    below = next((v for v in reversed(st.views.values()) if v.type == "modal" and v.user == view.user), None)
    if below is not None:
        view.root_view_id = below.root_view_id or below.id
        view.previous_view_id = below.id
    st.views[view.id] = view
    return {"view": view_json(st, view)}


@method("views.update")
def views_update(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    st = ctx.state
    view_id, external_id = str_arg(args, "view_id"), str_arg(args, "external_id")
    view = st.views.get(view_id or "")
    if view is None and external_id is not None:
        view = next((v for v in st.views.values() if v.view.get("external_id") == external_id), None)
    if view is None:
        raise SlackError("not_found")
    return _replace_view(ctx, view, _view_arg(args, (view.type,)), str_arg(args, "hash"))


@method("views.publish")
def views_publish(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    st = ctx.state
    user = str_arg(args, "user_id")
    if user is None or user not in st.users:
        raise SlackError("user_not_found")
    body = _view_arg(args, ("home",))
    view = next((v for v in st.views.values() if v.type == "home" and v.user == user), None)
    if view is not None:
        return _replace_view(ctx, view, body, str_arg(args, "hash"))
    view = View(st.new_id("V"), "home", user, body)
    st.views[view.id] = view
    return _replace_view(ctx, view, body, None)  # a first publish has no hash to check


# ----- files -----


@method("files.getUploadURLExternal")
def files_get_upload_url_external(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    st = ctx.state
    filename = str_arg(args, "filename")
    try:
        length = int(args.get("length"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SlackError("invalid_arguments") from None
    if filename is None or length < 0:
        raise SlackError("invalid_arguments")
    file = File(st.new_id("F"), filename, filename, length=length, user=st.bot_user_id, created=int(ctx.now))
    st.files[file.id] = file
    return {"upload_url": f"{ctx.base_url}/upload/{file.id}", "file_id": file.id}


@method("files.completeUploadExternal")
def files_complete_upload_external(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    st = ctx.state
    entries = json_arg(args, "files")
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise SlackError("invalid_arguments")
    files: list[File] = []
    for entry in entries:
        file = st.files.get(str(entry.get("id", "")))
        if file is None or file.data is None:
            raise SlackError("file_not_found")
        files.append(file)
    channel_ids = [c for c in (str_arg(args, "channels") or "").split(",") if c]
    if str_arg(args, "channel_id"):
        channel_ids.insert(0, str_arg(args, "channel_id"))  # type: ignore[arg-type]
    channels = [postable(ctx, c) for c in channel_ids]
    thread_ts = str_arg(args, "thread_ts")
    if thread_ts is not None:
        for channel in channels:
            st.thread_parent(channel.id, thread_ts)
    for file, entry in zip(files, entries, strict=True):
        if entry.get("title"):
            file.title = str(entry["title"])
    for channel in channels:
        text = str_arg(args, "initial_comment") or ""
        message = st.post(
            channel.id, st.bot_user_id, ctx.now, text=text, thread_ts=thread_ts, files=[f.id for f in files]
        )
        for file in files:
            file.channel, file.thread_ts, file.ts = channel.id, message.thread_ts, message.ts
    return {"files": [file_json(st, f, ctx.base_url) for f in files]}


@method("files.info")
def files_info(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    file = ctx.state.files.get(str_arg(args, "file") or "")
    if file is None or file.data is None:
        raise SlackError("file_not_found")
    return {
        "file": file_json(ctx.state, file, ctx.base_url),
        "comments": [],
        "response_metadata": {"next_cursor": ""},
    }


# ----- response URLs -----


def respond(ctx: Context, url_id: str, payload: Any) -> tuple[int, dict[str, Any]]:
    """Answer a POST to a response_url the way Slack does: up to five uses within thirty minutes."""
    st = ctx.state
    url = st.response_urls.get(url_id)
    if url is None or ctx.now - url.issued_at > RESPONSE_URL_TTL:
        return 404, {"ok": False, "error": "expired_url"}
    if url.uses >= RESPONSE_URL_USES:
        return 404, {"ok": False, "error": "used_url"}
    if not isinstance(payload, dict):
        return 400, {"ok": False, "error": "invalid_payload"}
    url.uses += 1
    original = st.find_message(url.channel, url.message_ts or url.last_ts, ephemeral=True)
    if payload.get("delete_original") in (True, "true"):
        if original is not None:
            original.deleted = True
        return 200, {"ok": True}
    try:
        if payload.get("replace_original") in (True, "true") and original is not None:
            original.text, original.blocks, original.attachments = content(payload)
            return 200, {"ok": True}
        in_channel = payload.get("response_type") == "in_channel"
        message = post_content(
            ctx,
            url.channel,
            payload,
            required=False,
            thread_ts=url.thread_ts,
            ephemeral_for=None if in_channel else url.user,
        )
    except SlackError as error:
        return 400, {"ok": False, "error": error.error}
    url.last_ts = message.ts
    return 200, {"ok": True}
