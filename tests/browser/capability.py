"""A scripted capability for browser tests: a message with buttons and a select, a thread reply with a
PNG chart, an edited message, and a modal form that validates a date. It exercises the page's Block Kit,
files, threads, edits and modals through the real dispatcher, independently of what the real
capabilities happen to post."""

from __future__ import annotations

import struct
import zlib
from datetime import date

from bot.chat.events import Action, Command, FormSubmission
from bot.chat.model import (
    Button,
    Buttons,
    ChoiceInput,
    ContextLine,
    Divider,
    Fields,
    Form,
    FormErrors,
    Header,
    Message,
    MessageRef,
    Option,
    Select,
    Text,
    TextInput,
)
from bot.context import Context
from bot.routing import Router

QUEUES = (Option("Hate speech EN", "hate-en"), Option("Spam PT", "spam-pt"))


def png(width: int = 120, height: int = 60) -> bytes:
    """A small striped PNG, written by hand so the test needs no imaging library."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((40 + x % 200, 110, 180 - y)) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def card(note: str = "") -> Message:
    parts = [
        Header("Lab check: Hate speech EN"),
        Text("*Output* 1,180 of 1,200 · _SLA_ 96% · see <https://example.org/rubric|the rubric>"),
        Fields(("*Quality*\n93.1%", "*Backlog*\n412 items")),
        Divider(),
        Buttons(
            (
                Button("Breakdown", "labcheck:breakdown", "x", "primary"),
                Button("Request a check", "labcheck:form"),
            )
        ),
        Select("labcheck:queue", "Pick a queue", QUEUES),
        ContextLine((note or "Posted by the lab check",)),
    ]
    return Message(summary="Lab check", parts=tuple(parts))


async def post_card(ctx: Context, cmd: Command, args: list[str]) -> None:
    await ctx.port.post(cmd.channel, card())
    await ctx.respond(Message.text("Posted the lab check."))


async def on_action(ctx: Context, action: Action) -> None:
    if action.action == "labcheck:breakdown":
        ref = MessageRef(action.channel or "", action.message_ts or "")
        await ctx.port.reply(ref, Message.text("Breakdown by site: *lisbon* 620, *manila* 560"))
        await ctx.port.upload_file(ref.channel, "breakdown.png", png(), title="Breakdown chart", thread=ref)
        await ctx.port.update(ref, card(note=f"Breakdown requested by <@{action.user}>"))
    elif action.action == "labcheck:form" and action.trigger:
        form = Form(
            "labcheck_form",
            "Request a check",
            (
                TextInput("day", "Date", placeholder="YYYY-MM-DD", hint="The day to check, e.g. 2026-11-23"),
                ChoiceInput("queue", "Queue", QUEUES),
                TextInput("note", "Note", optional=True, multiline=True),
            ),
            submit="Request",
        )
        await ctx.port.open_form(action.trigger, form)
    elif action.action == "labcheck:queue":
        await ctx.respond(Message.text(f"You picked `{action.value}`."))


async def on_form(ctx: Context, submission: FormSubmission) -> FormErrors | None:
    day = str(submission.values.get("day") or "")
    try:
        date.fromisoformat(day)
    except ValueError:
        return FormErrors({"day": "Use a date like 2026-11-23."})
    await ctx.port.dm(
        ctx.user or "", Message.text(f"Check requested for *{submission.values['queue']}* on {day}.")
    )
    return None


def router() -> Router:
    r = Router()
    r.command("labcheck", "a scripted capability for browser tests")
    r.subcommand("labcheck", "", post_card, usage="/labcheck", summary="post a lab check card")
    r.action("labcheck:", on_action)
    r.form("labcheck_form", on_form)
    return r
