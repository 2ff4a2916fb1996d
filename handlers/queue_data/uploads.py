"""Queue data uploaded into an ingest channel or sent to the bot directly: who may load it, how large
it may be, and an answer in the upload's thread every time (stored, refused with reasons, or failed
with a reference)."""

from __future__ import annotations

from bot.chat.events import FileShared
from bot.chat.model import Message, MessageRef, md
from bot.chat.port import ChatError
from bot.context import Context
from bot.roles import UserRoles
from handlers.queue_data.files import SUFFIXES, failure_message, new_reference, outcome_message, take_in

MB = 1024 * 1024
WHO_MAY = (
    "Queue data is loaded from admins (QA leads), and from vendor leads for their own vendor's queues only"
)


def upload_scope(workspace_queues: dict[str, str], roles: UserRoles) -> tuple[list[str] | None, str] | None:
    """Which queues this uploader may load: all (admins), their vendor's (vendor leads), or None."""
    if roles.is_admin:
        return None, ""
    if not roles.lead_of:
        return None
    vendors = ", ".join(sorted(roles.lead_of))
    own = sorted(queue for queue, vendor in workspace_queues.items() if vendor in roles.lead_of)
    return own, f"another vendor's queue: as a lead of {vendors} you may load {vendors}'s queues only"


async def file_shared(ctx: Context, event: FileShared) -> bool:
    """A file shared in an ingest channel or sent to the bot directly (on Teams the only way: files in
    channels never reach a bot): checked for who sent it and its size before download, then
    ingested; the uploader always gets an answer in the upload's thread."""
    if event.channel not in ctx.workspace.ingest.channels and not event.direct:
        return False
    try:
        shared = await ctx.port.download_file(event.file_id, event.channel, content=False)
    except Exception:  # Slack would not even say what the file is: the uploader still hears of it
        failed = failure_message("The file you shared", new_reference("upload", event.file_id))
        await ctx.port.ephemeral(event.channel, event.user, failed)
        return True
    if not shared.name.lower().endswith(SUFFIXES):
        return False  # screenshots and documents shared in the channel are not queue data
    thread = shared.thread or MessageRef(event.channel, event.ts or "")

    async def answer(message: Message) -> None:
        if thread.ts:
            await ctx.port.reply(thread, message)
        else:
            await ctx.port.post(event.channel, message)

    await answer(await _upload_outcome(ctx, event, shared.name, shared.size))
    return True


async def _upload_outcome(ctx: Context, event: FileShared, name: str, size: int) -> Message:
    scope = upload_scope({q.id: q.vendor for q in ctx.workspace.queues}, await ctx.roles())
    if scope is None:
        return Message.text(md("⛔ {}: not loaded. " + WHO_MAY + ": ask a QA lead to upload it.", name))
    limit = ctx.workspace.ingest.max_upload_mb
    if size > limit * MB:
        return too_large(name, f"it is {size / MB:,.0f} MB", limit)
    try:
        shared = await ctx.port.download_file(event.file_id, event.channel, max_bytes=limit * MB)
        report, text = await take_in(
            ctx.services, name, shared.content, queues=scope[0], queues_reason=scope[1]
        )
    except ChatError as exc:
        if exc.code == "file_too_large":  # grew past the limit after Slack reported its size
            return too_large(name, "it is larger than announced", limit)
        return failure_message(name, new_reference("upload", name))
    except Exception:
        return failure_message(name, new_reference("upload", name))
    return outcome_message(report, text)


def too_large(name: str, size: str, limit: int) -> Message:
    return Message.text(
        md(
            "❌ {}: not loaded: {}, above the upload limit of {} MB (ingest.max_upload_mb). "
            "Split it into smaller files, or load it with `tsqa ingest`.",
            name,
            size,
            limit,
        )
    )
