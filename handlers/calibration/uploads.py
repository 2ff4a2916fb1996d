"""Calibration items sent to the bot as a CSV file, rather than pasted into the form's 3,000
characters: read, checked row by row, and kept as a draft for the sender's form.

Only a narrow kind of file is claimed, so everything else reaches the queue-data upload as before: sent
to the bot directly, by an admin or trainer, `.csv`, at most 1 MB, with an `item_id` column and no
`queue` column (queue data always has one). The file names no queue, so its references are checked
when the form is submitted with the chosen queue.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from apscheduler.triggers.cron import CronTrigger

from bot.chat.events import FileShared
from bot.chat.model import Message, MessageRef
from bot.context import Context, Services
from bot.roles import Role
from bot.routing import Job
from bot.workspace import Workspace
from handlers.calibration import store
from handlers.calibration import views as v
from handlers.calibration.items import parse_items
from handlers.queue_data.files import failure_message, new_reference

MAX_BYTES = 1024 * 1024
RUNNERS = (Role.ADMIN, Role.TRAINER)  # as routes.RUNNERS: those who create sessions


def is_items_file(content: bytes) -> str | None:
    """The file's text when its header names `item_id` and no `queue`; None for anything else."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    for row in csv.reader(io.StringIO(text)):
        if not any(cell.strip() for cell in row):
            continue
        names = {cell.strip().lower() for cell in row}
        return text if "item_id" in names and "queue" not in names else None
    return None


async def _items_file(ctx: Context, event: FileShared) -> tuple[str, str, MessageRef | None] | None:
    """Name, text and thread of a calibration items file, or None when it is not one (or could not be
    fetched: the queue-data handler then tries and answers as it always has)."""
    try:
        shared = await ctx.port.download_file(event.file_id, event.channel, content=False)
    except Exception:
        return None
    if not shared.name.lower().endswith(".csv") or shared.size > MAX_BYTES:
        return None
    try:  # Teams announces no size: the download itself stops above the limit
        fetched = await ctx.port.download_file(event.file_id, event.channel, max_bytes=MAX_BYTES)
    except Exception:  # too large (ChatError file_too_large) or failed: queue data answers for it
        return None
    text = is_items_file(fetched.content)
    return None if text is None else (shared.name, text, shared.thread or fetched.thread)


async def file_shared(ctx: Context, event: FileShared) -> bool:
    """An items file sent to the bot by an admin or trainer: "N items read from NAME" with a button to
    the form, or every problem by line and nothing kept. Registered with `router.on_file(first=True)`
    so it is asked before the queue-data upload; it returns False for every other file."""
    if not event.direct or not (await ctx.roles()).has(*RUNNERS):
        return False
    found = await _items_file(ctx, event)
    if found is None:
        return False
    name, text, thread = found
    parsed = parse_items(text, None)
    if parsed.ok:
        person = ctx.workspace.normal_user(event.user)
        try:
            draft = await store.save_draft(ctx.db, person, name, parsed.items, ctx.now())
        except Exception:  # claimed: the sender hears of it, with the reference the log has
            answer = failure_message(name, new_reference("calibration items", name))
        else:
            answer = v.upload_read(name, len(parsed.items), draft)
    else:
        answer = v.upload_refused(name, parsed.problems or ("no items",))
    await _answer(ctx, event, thread, answer)
    return True


async def _answer(ctx: Context, event: FileShared, thread: MessageRef | None, message: Message) -> None:
    """In the upload's thread where there is one (Slack), else in the chat it came from."""
    thread = thread or MessageRef(event.channel, event.ts or "")
    if thread.ts:
        await ctx.port.reply(thread, message)
    else:
        await ctx.port.post(event.channel, message)


DRAFTS_KEPT = timedelta(days=7)


async def forget_old_drafts(services: Services) -> None:
    await store.forget_drafts_before(services.db, services.clock() - DRAFTS_KEPT)


def jobs(workspace: Workspace) -> list[Job]:
    """Uploaded items nobody made a session of within a week are forgotten, at 03:00 workspace time."""
    daily = CronTrigger(hour=3, minute=0, timezone=workspace.tz)
    return [Job("calibration.drafts", daily, forget_old_drafts)]
