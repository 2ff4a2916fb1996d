"""What the Slack fake reads from a request: the bearer token, form and JSON arguments, uploaded bytes."""

from __future__ import annotations

from typing import Any

from aiohttp import BodyPartReader, web

from bot.local.methods import json_object


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return (header[7:].strip() or None) if header.lower().startswith("bearer ") else None


async def read_args(request: web.Request) -> dict[str, Any]:
    """Merge query string and body, keeping form values as the strings Slack receives."""
    args: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return args
    if request.content_type == "application/json":
        args.update(json_object(await request.text()))
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            args[key] = value.file.read() if isinstance(value, web.FileField) else value
    return args


async def read_upload(request: web.Request) -> bytes:
    if request.content_type != "multipart/form-data":
        return await request.read()
    reader = await request.multipart()
    async for part in reader:
        if isinstance(part, BodyPartReader):
            return bytes(await part.read())
    return b""
